#!/usr/bin/env bash
# What a dbfilter costs an Odoo node (tools/drills/dbfilter.py), after the nodes drill:
# one node with -d alone, then with --db-filter, side by side.
# Usage: tools/drills/dbfilter.sh --db DB --port PORT [--seconds S --rounds N]
set -euo pipefail
# shellcheck source=tools/interop-env.sh
source "$(dirname "$0")/../interop-env.sh"

interop_bootstrap "${PORT:-8069}"
command -v wrk >/dev/null || apt_install wrk
export INTEROP_ODOO_CONF=$ODOO_CONF ODOO_SRC
export INTEROP_BENCH_LOGS=${INTEROP_BENCH_LOGS:-$INTEROP_BUILD/bench}
exec python "$INTEROP_ROOT/tools/drills/dbfilter.py" "$@"
