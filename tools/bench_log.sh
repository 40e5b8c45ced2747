#!/usr/bin/env bash
# make bench-log: the message log at scale (bench/log_scale.py) in its own database.
set -euo pipefail
# shellcheck source=tools/interop-env.sh
source "$(dirname "$0")/interop-env.sh"

BENCH_DB=${INTEROP_BENCH_DB:-interop_bench_log}
interop_bootstrap "${PORT:-8069}"
if ! python "$INTEROP_ROOT/tools/pgdb.py" "$ODOO_CONF" exists "$BENCH_DB"; then
    log "creating $BENCH_DB with the core module and its demo endpoints"
    python "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$BENCH_DB" -i interop \
        --stop-after-init --no-http --log-level=warn
fi
exec python "$INTEROP_ROOT/bench/log_scale.py" -c "$ODOO_CONF" -d "$BENCH_DB" "$@"
