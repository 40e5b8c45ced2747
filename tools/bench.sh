#!/usr/bin/env bash
# make bench / make drills: run a script of bench/ against a real Odoo in prefork mode.
# Usage: tools/bench.sh SCRIPT [ARGS...]   e.g. tools/bench.sh ingestion --seconds 5
set -euo pipefail
# shellcheck source=tools/interop-env.sh
source "$(dirname "$0")/interop-env.sh"

script=${1:?usage: tools/bench.sh SCRIPT [ARGS...]}
shift
interop_bootstrap "${PORT:-8069}"
# the load generator of the HTTP benchmarks (bench/wrk.py; Python threads without it)
command -v wrk >/dev/null || { is_root && apt_install wrk; } \
    || echo "wrk is not installed: the HTTP benchmarks use Python clients" >&2
if [[ $script == drills ]]; then
    ensure_drills_venv
    export INTEROP_DRILLS_VENV
fi
export INTEROP_ODOO_CONF=$ODOO_CONF ODOO_SRC
export INTEROP_BENCH_LOGS=${INTEROP_BENCH_LOGS:-$INTEROP_BUILD/bench}
cd "$INTEROP_ROOT/bench"
exec python "$script.py" "$@"
