#!/usr/bin/env bash
# make test: lint, install every suite module into a fresh database, run all tests.
# Fails on a failing or skipped test, on any WARNING/ERROR logged while installing or testing,
# and when Odoo cannot be found; then the resilience smoke. Ends with pytest's summary line.
set -euo pipefail
# shellcheck source=tools/interop-env.sh
source "$(dirname "$0")/interop-env.sh"

TEST_DB=${INTEROP_TEST_DB:-interop_test}

ensure_odoo_src # first, so that a machine without Odoo fails at once, with the message
bash "$INTEROP_ROOT/tools/lint.sh"
interop_bootstrap "${INTEROP_TEST_HTTP_PORT:-8069}"
# the browser tests (tours) drive Debian's Chromium
command -v chromium >/dev/null || apt_install chromium
modules=$(suite_modules)
extra=$(test_modules)
modules=${modules}${extra:+,$extra}
install_log=$INTEROP_BUILD/install.log

rm -f "$install_log"
log "installing $modules into a fresh database $TEST_DB"
python "$INTEROP_ROOT/tools/pgdb.py" "$ODOO_CONF" drop "$TEST_DB"
if ! python "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$TEST_DB" -i "$modules" \
    --stop-after-init --log-level=info --logfile="$install_log" --no-http; then
    tail -n 40 "$install_log" >&2
    die "installing the suite failed (full log: $install_log)"
fi
if grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$install_log" >&2; then
    die "installing the suite logged the WARNING/ERROR lines above (full log: $install_log)"
fi
log "installed without WARNING or ERROR; running the tests"

# The tests run the jobs they need themselves: no job runner in the test server, which
# would otherwise pick the demo data's jobs while a test holds the test cursor (queue_job,
# imported by the suite, starts its runner unless its root channel has no capacity).
test_conf=$INTEROP_BUILD/odoo-test.conf
write_private_conf_copy "$test_conf" 's/^server_wide_modules = .*/server_wide_modules = base,web/'

# Collect through the addons folder of links, so each test module imports as odoo.addons.<name>.
cd "$INTEROP_BUILD/addons"
test_paths=()
for t in */tests; do test_paths+=("$t"); done
# Then the resilience smoke (bench/drills.py --smoke: no loss under load, bad input,
# SIGKILL mid-processing) on its own database; skipped when pytest gets arguments.
# Both run; the status fails when either fails; pytest's summary line comes last.
pytest_log=$INTEROP_BUILD/pytest.log
set +e
# the README's screenshots land here (make screenshots copies them into readme/images)
ODOO_QUEUE_JOB_CHANNELS=root:0 INTEROP_SCREENSHOTS_DIR=$INTEROP_BUILD/screenshots \
    PYTHONPATH="$INTEROP_ROOT/tools${PYTHONPATH:+:$PYTHONPATH}" python -m pytest \
    -p pytest_interop -c "$INTEROP_ROOT/setup.cfg" --rootdir "$INTEROP_BUILD/addons" \
    --odoo-config "$test_conf" --odoo-database "$TEST_DB" --odoo-http \
    --odoo-log-level warn "${test_paths[@]}" "$@" 2>&1 | tee "$pytest_log"
pytest_status=${PIPESTATUS[0]}
smoke_status=0
smoke_line="resilience smoke skipped (pytest arguments given)"
if (($# == 0)); then
    smoke_log=$INTEROP_BUILD/drills-smoke.log
    log "resilience smoke: tools/bench.sh drills --smoke (log: $smoke_log)"
    bash "$INTEROP_ROOT/tools/bench.sh" drills --smoke --template "$TEST_DB" 2>&1 | tee "$smoke_log"
    smoke_status=${PIPESTATUS[0]}
    smoke_line="resilience smoke: $(grep -c '^PASS' "$smoke_log") checks passed, \
$(grep -c '^FAIL' "$smoke_log") failed (exit $smoke_status)"
fi
set -e
log "$smoke_line"
grep -E '^=+ .* in [0-9.]+s' "$pytest_log" | tail -n 1
((pytest_status == 0 && smoke_status == 0))
