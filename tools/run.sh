#!/usr/bin/env bash
# make run: Odoo with the whole suite and demo data in database interop_demo, job runner on.
set -euo pipefail
# shellcheck source=tools/interop-env.sh
source "$(dirname "$0")/interop-env.sh"

DEMO_DB=${INTEROP_DEMO_DB:-interop_demo}
PORT=${PORT:-8069}
interop_bootstrap "$PORT"
modules=$(suite_modules)
odoo=(python "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$DEMO_DB")

if python "$INTEROP_ROOT/tools/pgdb.py" "$ODOO_CONF" exists "$DEMO_DB"; then
    log "updating $modules in the existing database $DEMO_DB"
    "${odoo[@]}" -i "$modules" -u "$modules" --stop-after-init --no-http
else
    log "creating $DEMO_DB with $modules and demo data (a minute or two)"
    "${odoo[@]}" -i "$modules" --stop-after-init --no-http
fi
cat >&2 <<MSG

  Interop is served on http://localhost:$PORT  (database $DEMO_DB)
  Log in as admin / admin, or as a demo user: integration, revenue, finance, auditor
  (each password is the login). Ctrl-C stops the server.

MSG
exec "${odoo[@]}" --db-filter="^${DEMO_DB}\$" --http-port="$PORT"
