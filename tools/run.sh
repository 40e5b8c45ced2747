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
    installed=$(python "$INTEROP_ROOT/tools/pgdb.py" "$ODOO_CONF" installed "$DEMO_DB" "$modules")
    missing=$(comm -23 <(tr , '\n' <<<"$modules" | sort) <(tr , '\n' <<<"$installed" | sort) | paste -sd,)
    log "updating ${installed:-nothing} in the existing database $DEMO_DB${missing:+, installing $missing}"
    # update what is installed, install only what is new: -i on an installed module would
    # reload its noupdate data (demo endpoints already retired, messages already logged)
    args=()
    [[ -n $installed ]] && args+=(-u "$installed")
    [[ -n $missing ]] && args+=(-i "$missing")
    "${odoo[@]}" "${args[@]}" --stop-after-init --no-http
else
    log "creating $DEMO_DB with $modules and demo data (a minute or two)"
    "${odoo[@]}" -i "$modules" --stop-after-init --no-http
fi
cat >&2 <<MSG

  Interop is served on http://localhost:$PORT  (database $DEMO_DB)
  Log in as admin / admin, or as a demo user: integration, revenue, finance, supply, auditor
  (each password is the login). Ctrl-C stops the server.

MSG
# -d with no database list, no dbfilter: Odoo serves its one database without listing
# PostgreSQL's databases on a new connection for every request (tools/drills/README.md)
exec "${odoo[@]}" --no-database-list --http-port="$PORT"
