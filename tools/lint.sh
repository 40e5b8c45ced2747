#!/usr/bin/env bash
# make lint: ruff (check and format), pylint with pylint-odoo, and the OCA module checks.
set -euo pipefail
# shellcheck source=tools/interop-env.sh
source "$(dirname "$0")/interop-env.sh"

ensure_lint_venv
cd "$INTEROP_ROOT"
bin=$INTEROP_LINT_VENV/bin
if [[ ${1:-} == --readme ]]; then # make readme: write them, no lint
    exec "$bin/python" tools/gen_readme.py
fi
log "lint: ruff"
"$bin/ruff" check --no-cache .
"$bin/ruff" format --no-cache --check .
# pylint and the OCA checks want module directories by their own names: lint the links.
ensure_addons_link
targets=("$INTEROP_BUILD"/addons/* "$INTEROP_ROOT"/bench/addons/*)
log "lint: pylint-odoo (${targets[*]##*/})"
"$bin/pylint" --rcfile=setup.cfg "${targets[@]}"
log "lint: oca-checks-odoo-module"
# These checks locate the repository by its .git entry: give them the real module paths.
# README.md, not README.rst: each addon's README is generated from its readme/ fragments
# (tools/gen_readme.py, Markdown as the fragments; Odoo 18 shows a README.md in Apps),
# without pandoc, which OCA's README.rst generator needs for Markdown fragments.
"$bin/oca-checks-odoo-module" --disable=prefer-readme-rst . $(compgen -G "addons/interop_*/" || true) \
    $(compgen -G "bench/addons/*/" || true) $(compgen -G "tests/addons/*/" || true)
log "lint: the addons' README.md are those their readme/ fragments give"
"$bin/python" tools/gen_readme.py --check
log "lint: docker-compose.yml (static: no Docker engine here)"
"$bin/python" tools/check_compose.py
log "lint: clean"
