# shellcheck shell=bash
# Interop developer environment: find or build everything `make run` and `make test` need.
#
# Sourced by tools/run.sh and tools/test.sh. Every step is idempotent and keeps its state in a
# cache outside the clone (INTEROP_CACHE, default ~/.cache/interop), so a fresh CI clone reuses
# the virtualenv, Odoo's source and the private PostgreSQL cluster of earlier runs.
set -euo pipefail

INTEROP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
INTEROP_CACHE=${INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/interop}
ODOO_SRC_DEFAULT=$INTEROP_CACHE/odoo-18.0
ODOO_SRC=${ODOO_SRC:-$ODOO_SRC_DEFAULT}
ODOO_NIGHTLY_URL=${ODOO_NIGHTLY_URL:-https://nightly.odoo.com/18.0/nightly/tgz/odoo_18.0.latest.tar.gz}
INTEROP_PYTHON=${INTEROP_PYTHON:-python3.11}
INTEROP_VENV=${INTEROP_VENV:-$INTEROP_CACHE/venv-odoo18-py311}
INTEROP_LINT_VENV=${INTEROP_LINT_VENV:-$INTEROP_CACHE/venv-lint}
INTEROP_DRILLS_VENV=${INTEROP_DRILLS_VENV:-$INTEROP_CACHE/venv-drills}
# Generated files (addons folder, Odoo configuration, logs) of this clone, outside it: pytest
# must not see the clone's root package above the addons folder it collects tests from.
INTEROP_BUILD=$INTEROP_CACHE/build/$(printf '%s' "$INTEROP_ROOT" | sha256sum | cut -c1-12)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
ODOO_CONF=$INTEROP_BUILD/odoo.conf

log() { printf '[interop] %s\n' "$*" >&2; }
die() { printf '[interop] ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [[ $(id -u) -eq 0 ]]; }

# apt-get install, only as root and only for what is missing.
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    is_root || die "missing system packages: ${missing[*]} (install them with apt-get, as root)"
    log "installing system packages: ${missing[*]}"
    if [[ ! -f /var/lib/interop-apt-updated ]]; then
        apt-get update -qq && touch /var/lib/interop-apt-updated
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

odoo_major() {
    [[ -f $1/odoo/release.py ]] || return 1
    python3 -c 'import runpy, sys; print(runpy.run_path(sys.argv[1])["version_info"][0])' \
        "$1/odoo/release.py" 2>/dev/null
}

# Odoo's source: $ODOO_SRC, else the default cache, else the official nightly download.
ensure_odoo_src() {
    if [[ $(odoo_major "$ODOO_SRC" || true) == 18 ]]; then return 0; fi
    if [[ $ODOO_SRC != "$ODOO_SRC_DEFAULT" ]]; then
        die "ODOO_SRC=$ODOO_SRC holds no Odoo 18 source tree (odoo-bin, odoo/release.py)."
    fi
    log "Odoo 18 not found in $ODOO_SRC; downloading the 18.0 nightly source"
    local tmp
    tmp=$(mktemp -d)
    if curl -fsSL --connect-timeout 15 --max-time 900 "$ODOO_NIGHTLY_URL" -o "$tmp/odoo.tgz" \
        && tar -xzf "$tmp/odoo.tgz" -C "$tmp"; then
        local root
        root=$(dirname "$(find "$tmp" -maxdepth 3 -name odoo-bin -print -quit)")
        if [[ -n $root && $(odoo_major "$root" || true) == 18 ]]; then
            mkdir -p "$(dirname "$ODOO_SRC")"
            mv "$root" "$ODOO_SRC"
            rm -rf "$tmp"
            return 0
        fi
    fi
    rm -rf "$tmp"
    die "Odoo 18 source not found. Provide it in one of these ways, then run the command again:
  - set ODOO_SRC to an Odoo 18.0 community source tree (the folder holding odoo-bin), or
  - put that tree at $ODOO_SRC_DEFAULT, or
  - allow this machine to download $ODOO_NIGHTLY_URL"
}

# Odoo's own pins plus the build constraint python-ldap needs; applied to every install.
_write_constraints() {
    local out=$INTEROP_CACHE/constraints.txt
    {
        echo "setuptools<70"
        grep -E '^[A-Za-z0-9_.-]+ *==' "$ODOO_SRC/requirements.txt"
    } >"$out"
    echo "$out"
}

_stamp() { cat "$@" | sha256sum | cut -c1-16; }

ensure_venv() {
    local odoo_stamp suite_stamp
    odoo_stamp=$(_stamp "$ODOO_SRC/odoo/release.py" "$ODOO_SRC/requirements.txt")
    suite_stamp=$(_stamp "$INTEROP_ROOT/requirements.txt" "$INTEROP_ROOT/requirements-test.txt")
    if [[ $(cat "$INTEROP_VENV/.interop-stamp" 2>/dev/null) == "$odoo_stamp $suite_stamp" ]]; then
        return 0
    fi
    command -v "$INTEROP_PYTHON" >/dev/null || die "$INTEROP_PYTHON not found: Odoo 18 needs Python 3.11"
    local pip=("$INTEROP_VENV/bin/python" -m pip --quiet --disable-pip-version-check)
    local constraints
    constraints=$(_write_constraints)
    if [[ $(cut -d' ' -f1 "$INTEROP_VENV/.interop-stamp" 2>/dev/null) != "$odoo_stamp" ]]; then
        apt_install libldap2-dev libsasl2-dev libpq-dev
        log "building Odoo's Python environment in $INTEROP_VENV (a few minutes, once)"
        [[ -x $INTEROP_VENV/bin/python ]] || "$INTEROP_PYTHON" -m venv "$INTEROP_VENV"
        PIP_CONSTRAINT=$constraints "${pip[@]}" install "setuptools<70" wheel
        PIP_CONSTRAINT=$constraints "${pip[@]}" install -r "$ODOO_SRC/requirements.txt"
        # compat mode: a plain path entry, so `import odoo` is the source tree and not the OCA
        # wheels' namespace, while pip knows an `odoo` distribution (queue_job requires one).
        PIP_CONSTRAINT=$constraints "${pip[@]}" install --no-deps -e "$ODOO_SRC" \
            --config-settings editable_mode=compat
        # gevent (Odoo's websocket worker) needs a newer setuptools to see the zope namespace.
        PIP_CONSTRAINT=/dev/null "${pip[@]}" install "setuptools>=70,<81"
        echo "$odoo_stamp -" >"$INTEROP_VENV/.interop-stamp"
    fi
    log "installing the suite's Python requirements"
    grep -v '^setuptools' "$constraints" >"$constraints.suite"
    PIP_CONSTRAINT=$constraints.suite "${pip[@]}" install \
        -r "$INTEROP_ROOT/requirements.txt" -r "$INTEROP_ROOT/requirements-test.txt"
    echo "$odoo_stamp $suite_stamp" >"$INTEROP_VENV/.interop-stamp"
}

ensure_lint_venv() {
    local stamp
    stamp=$(sha256sum "$INTEROP_ROOT/requirements-lint.txt" | cut -c1-16)
    if [[ -f $INTEROP_LINT_VENV/.interop-stamp \
        && $(cat "$INTEROP_LINT_VENV/.interop-stamp") == "$stamp" ]]; then
        return 0
    fi
    log "building the lint environment in $INTEROP_LINT_VENV"
    [[ -x $INTEROP_LINT_VENV/bin/python ]] || "$INTEROP_PYTHON" -m venv "$INTEROP_LINT_VENV"
    PIP_CONSTRAINT=/dev/null "$INTEROP_LINT_VENV/bin/python" -m pip --quiet \
        --disable-pip-version-check install -r "$INTEROP_ROOT/requirements-lint.txt"
    echo "$stamp" >"$INTEROP_LINT_VENV/.interop-stamp"
}

# schemathesis for the drills (make drills), apart from Odoo's environment.
ensure_drills_venv() {
    local stamp
    stamp=$(sha256sum "$INTEROP_ROOT/requirements-drills.txt" | cut -c1-16)
    if [[ $(cat "$INTEROP_DRILLS_VENV/.interop-stamp" 2>/dev/null) == "$stamp" ]]; then
        return 0
    fi
    log "building the drills environment in $INTEROP_DRILLS_VENV"
    [[ -x $INTEROP_DRILLS_VENV/bin/python ]] || "$INTEROP_PYTHON" -m venv "$INTEROP_DRILLS_VENV"
    PIP_CONSTRAINT=/dev/null "$INTEROP_DRILLS_VENV/bin/python" -m pip --quiet \
        --disable-pip-version-check install -r "$INTEROP_ROOT/requirements-drills.txt"
    echo "$stamp" >"$INTEROP_DRILLS_VENV/.interop-stamp"
}

_free_port() {
    python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
while port < 65000:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            port += 1
            continue
    print(port)
    break
PY
}

# As root, the private cluster belongs to the postgres user (initdb refuses root).
_as_pg() {
    if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

# PostgreSQL: the server of the PG* variables, else a private cluster on a free local port.
ensure_postgres() {
    if [[ -n ${PGHOST:-}${PGPORT:-}${PGUSER:-} ]]; then
        DB_HOST=${PGHOST:-localhost} DB_PORT=${PGPORT:-5432} DB_USER=${PGUSER:-$(id -un)}
        DB_PASSWORD=${PGPASSWORD:-False}
        log "using the PostgreSQL server of the PG* variables ($DB_USER@$DB_HOST:$DB_PORT)"
        return 0
    fi
    [[ -x $PG_BIN/pg_ctl ]] || apt_install postgresql
    [[ -x $PG_BIN/pg_ctl ]] || die "PostgreSQL 15 server binaries not found in $PG_BIN"
    local pgdata
    if is_root; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
        pgdata=${INTEROP_PGDATA:-/var/lib/interop/pg15}
        mkdir -p "$pgdata"
        chown postgres: "$(dirname "$pgdata")" "$pgdata"
    else
        pgdata=${INTEROP_PGDATA:-$INTEROP_CACHE/pg15}
        mkdir -p "$pgdata"
    fi
    chmod 700 "$pgdata"
    if [[ ! -f $pgdata/PG_VERSION ]]; then
        log "creating a private PostgreSQL 15 cluster in $pgdata"
        _as_pg "$PG_BIN/initdb" -D "$pgdata" -U postgres -E UTF8 --locale=C.UTF-8 \
            --auth-local=trust --auth-host=trust >/dev/null
        {
            echo "listen_addresses = '127.0.0.1'"
            echo "unix_socket_directories = '$pgdata'"
            echo "max_connections = 200"
            echo "shared_buffers = 256MB"
            echo "fsync = on"
        } >>"$pgdata/postgresql.conf"
    fi
    local port
    port=$(cat "$pgdata/interop.port" 2>/dev/null || true)
    if ! _as_pg "$PG_BIN/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
        if [[ -z $port || $(_free_port "$port") != "$port" ]]; then
            port=$(_free_port "${INTEROP_PGPORT:-54320}")
            _as_pg sh -c "echo $port > '$pgdata/interop.port'"
        fi
        log "starting the private PostgreSQL cluster on 127.0.0.1:$port"
        _as_pg "$PG_BIN/pg_ctl" -D "$pgdata" -o "-p $port" -l "$pgdata/server.log" -w start \
            >/dev/null || die "PostgreSQL did not start; see $pgdata/server.log"
    fi
    _as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAtc \
        "SELECT 1 FROM pg_roles WHERE rolname = 'interop'" | grep -q 1 \
        || _as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc \
            "CREATE ROLE interop LOGIN SUPERUSER" >/dev/null
    DB_HOST=127.0.0.1 DB_PORT=$port DB_USER=interop DB_PASSWORD=False
}

# The repository root is the module `interop`: expose it under that name in an addons folder
# of links, beside the modules of addons/, whatever the clone's directory is called.
ensure_addons_link() {
    local link target
    mkdir -p "$INTEROP_BUILD/addons"
    # drop links of modules that are gone, without disturbing a run in progress
    for link in "$INTEROP_BUILD"/addons/*; do
        [[ -L $link && ! -e $link/__manifest__.py ]] && rm -f "$link"
    done
    ln -sfn "$INTEROP_ROOT" "$INTEROP_BUILD/addons/interop"
    # and the modules the tests alone install (tests/addons, see test_modules)
    for target in "$INTEROP_ROOT"/addons/interop_*/__manifest__.py \
        "$INTEROP_ROOT"/tests/addons/*/__manifest__.py; do
        [[ -f $target ]] || continue
        target=$(dirname "$target")
        ln -sfn "$target" "$INTEROP_BUILD/addons/$(basename "$target")"
    done
}

# A development key for payload and credential encryption, kept outside the clone and the DB.
ensure_encryption_key() {
    local keyfile=$INTEROP_CACHE/encryption.key
    if [[ ! -s $keyfile ]]; then
        (umask 077 && python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())' >"$keyfile")
    fi
    INTEROP_KEY=$(cat "$keyfile")
}

# The master password of this machine's Odoo (database manager): INTEROP_ADMIN_PASSWD, else
# one generated once and kept in the cache, 0600. Never a default everybody knows: make run
# listens on every interface.
ensure_admin_password() {
    local file=$INTEROP_CACHE/admin_passwd
    if [[ -z ${INTEROP_ADMIN_PASSWD:-} ]]; then
        if [[ ! -s $file ]]; then
            (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(24))' >"$file")
        fi
        chmod 600 "$file"
    fi
    INTEROP_MASTER_PASSWD=${INTEROP_ADMIN_PASSWD:-$(cat "$file")}
}

suite_modules() {
    local mods=(interop)
    for m in "$INTEROP_ROOT"/addons/interop_*/__manifest__.py; do
        [[ -f $m ]] && mods+=("$(basename "$(dirname "$m")")")
    done
    (IFS=,; echo "${mods[*]}")
}

# Modules only the tests install (tests/addons): what other modules of the suite may do,
# e.g. add a field with a default to every message. make run never installs them.
test_modules() {
    local mods=()
    for m in "$INTEROP_ROOT"/tests/addons/*/__manifest__.py; do
        [[ -f $m ]] && mods+=("$(basename "$(dirname "$m")")")
    done
    (IFS=,; echo "${mods[*]}")
}

# The configuration holds the encryption key and the master password: readable by its
# owner only. Written to a new file created 0600, then moved over the old one (whose
# mode a plain rewrite would keep).
write_odoo_conf() {
    local http_port=${1:-8069}
    local addons_path=$ODOO_SRC/odoo/addons,$INTEROP_BUILD/addons
    mkdir -p "$INTEROP_BUILD"
    (umask 077 && cat >"$ODOO_CONF.tmp") <<CONF
; generated by tools/interop-env.sh: edit that script, not this file
[options]
addons_path = $addons_path
data_dir = $INTEROP_CACHE/data
db_host = $DB_HOST
db_port = $DB_PORT
db_user = $DB_USER
db_password = $DB_PASSWORD
admin_passwd = $INTEROP_MASTER_PASSWD
http_port = $http_port
server_wide_modules = base,web,queue_job,interop_gateway
interop_encryption_keys = dev:$INTEROP_KEY

[queue_job]
; jobs <= HTTP workers - 1: a job holds a worker, one always stays for partners
channels = root:${INTEROP_JOB_CAPACITY:-1},root.interop:${INTEROP_JOB_CAPACITY:-1}
CONF
    chmod 600 "$ODOO_CONF.tmp"
    mv -f "$ODOO_CONF.tmp" "$ODOO_CONF"
}

# A private copy of the configuration (0600, as write_odoo_conf): write_private_conf_copy OUT
# SED-ARGS... writes $ODOO_CONF edited by the expressions to OUT.
write_private_conf_copy() {
    local out=$1
    shift
    (umask 077 && sed "$@" "$ODOO_CONF" >"$out.tmp")
    chmod 600 "$out.tmp"
    mv -f "$out.tmp" "$out"
}

interop_bootstrap() {
    ensure_odoo_src
    ensure_venv
    ensure_postgres
    ensure_addons_link
    ensure_encryption_key
    ensure_admin_password
    write_odoo_conf "${1:-8069}"
    export PATH=$INTEROP_VENV/bin:$PATH
}
