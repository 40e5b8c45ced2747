#!/usr/bin/env bash
# make drills: the multi-node drill and bench (tools/drills/nodes.py) on loopback:
# nginx from Debian's package, 2 HTTP nodes, 2 job-worker nodes, one PostgreSQL.
# Usage: tools/drills/nodes.sh [--only bench,config,...] [--template DB] [...]
set -euo pipefail
# shellcheck source=tools/interop-env.sh
source "$(dirname "$0")/../interop-env.sh"

interop_bootstrap "${PORT:-8069}"
# nginx in front of the nodes, wrk for the bench: Debian packages, installed once
command -v nginx >/dev/null || apt_install nginx-light
command -v wrk >/dev/null || apt_install wrk
export INTEROP_ODOO_CONF=$ODOO_CONF ODOO_SRC
export INTEROP_BENCH_LOGS=${INTEROP_BENCH_LOGS:-$INTEROP_BUILD/bench}
exec python "$INTEROP_ROOT/tools/drills/nodes.py" "$@"
