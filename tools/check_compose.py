"""Static check of docker-compose.yml: no Docker engine runs where the suite is built.

Checks what `docker compose config` would and what the suite relies on: the YAML parses,
services reference each other and existing files, both have health checks, Odoo is the
official 18.0 image extended by our Dockerfile and loads queue_job server-wide, and the
deployment's secrets are the entrypoint's: docker/interop-entrypoint (the image's
ENTRYPOINT) generates the encryption key and the master password into the odoo-data
volume, writes odoo.conf 0600 and installs the whole suite, so the compose file neither
names a password for Odoo nor installs a part of the suite itself.
"""

import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENTRYPOINT = "docker/interop-entrypoint"
# where the entrypoint keeps the key, the master password and odoo.conf
STATE_VOLUME_TARGET = "/var/lib/odoo"
SCALE_PROFILE = "scale"
NGINX_TEMPLATES = "./docker/nginx/templates"
NGINX_TEMPLATE = "interop.conf.template"
GATEWAY_ENDPOINT = (
    ROOT / "addons" / "interop_gateway" / "models" / "interop_endpoint.py"
)


def dockerfile_problems(build):
    dockerfile = (
        ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
    )
    if not dockerfile.is_file():
        yield f"odoo build: {dockerfile} does not exist"
        return
    text = dockerfile.read_text()
    if "FROM odoo:18.0" not in text:
        yield f"{dockerfile.name} must extend the official odoo:18.0 image"
    copied = []
    for line in text.splitlines():
        if line.startswith("COPY "):
            for src in line.split()[1:-1]:
                copied.append(src)
                if not (ROOT / src).exists():
                    yield f"{dockerfile.name}: COPY source {src} does not exist"
    if ENTRYPOINT not in copied:
        yield f"{dockerfile.name} must copy {ENTRYPOINT} into the image"
    if f'ENTRYPOINT ["/usr/local/bin/{pathlib.PurePath(ENTRYPOINT).name}"]' not in text:
        yield f"{dockerfile.name}: the ENTRYPOINT must be {ENTRYPOINT}"


def problems(compose):
    all_services = compose.get("services") or {}
    # docker compose up: the services of no profile
    services = {n: s for n, s in all_services.items() if not s.get("profiles")}
    if set(services) != {"db", "odoo"}:
        yield f"expected services db and odoo, found {sorted(services)}"
        return
    others = sorted(n for n, s in all_services.items() if n not in services)
    for name in others:
        if all_services[name].get("profiles") != [SCALE_PROFILE]:
            yield f"{name}: a service beside db and odoo belongs to the scale profile"
    if services["db"].get("image") != "postgres:15":
        yield "db must use the postgres:15 image"
    yield from dockerfile_problems(services["odoo"].get("build") or {})
    if others:
        yield from scale_problems(compose)
    services = all_services
    for name, service in services.items():
        if "healthcheck" not in service:
            yield f"{name}: no healthcheck"
        for dep in service.get("depends_on") or {}:
            if dep not in services:
                yield f"{name}: depends on unknown service {dep}"
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if source.startswith(".") and not (ROOT / source).exists():
                yield f"{name}: bind-mount source {source} does not exist"
            elif not source.startswith((".", "/")) and source not in (
                compose.get("volumes") or {}
            ):
                yield f"{name}: named volume {source} is not declared"
    odoo = services["odoo"]
    command = " ".join(odoo.get("command") or [])
    if "--load=base,web,queue_job,interop_gateway" not in command:
        yield "odoo must load queue_job and interop_gateway server-wide (--load)"
    yield from secret_problems(odoo, command)
    yield from database_problems("odoo", command)


def database_problems(name, command):
    """The entrypoint's odoo.conf names the one database (db_name) without a
    dbfilter: with a filter, Odoo lists PostgreSQL's databases for every request
    without a session (every partner request)."""
    for option in ("--db-filter", "--database", "-d "):
        if option in f"{command} ":
            yield (
                f"{name}: {option.strip()} in the command: the entrypoint's odoo.conf "
                "names the database (db_name, no dbfilter: no listing of the "
                "databases per request)"
            )


def _options(service):
    """{option: value} of an Odoo service's command (``--x=y``; ``--flag``: True)."""
    options = {}
    for word in service.get("command") or []:
        if str(word).startswith("--"):
            name, _sep, value = str(word).partition("=")
            options[name] = value or True
    return options


def _servers(value):
    """host:port of the ``server`` lines of an upstream variable."""
    return [
        line.split()[1]
        for line in str(value or "").split(";")
        if line.split()[:1] == ["server"]
    ]


def _seconds(value):
    match = re.fullmatch(r"([0-9]+)s?", str(value or ""))
    return int(match.group(1)) if match else None


def _gateway_body_cap():
    """MAX_BODY_BYTES_CAP of the gateway, read from its source (no Odoo here)."""
    match = re.search(
        r"^MAX_BODY_BYTES_CAP = ([0-9][0-9 *]*)$",
        GATEWAY_ENDPOINT.read_text(),
        re.MULTILINE,
    )
    if not match:
        return None
    cap = 1
    for factor in match.group(1).split("*"):
        cap *= int(factor)
    return cap


def scale_problems(compose):
    """The "scale" profile: nginx, two HTTP nodes, two job nodes, one installer, a
    PostgreSQL of its own; the nginx template's limits match the gateway's."""
    services = compose.get("services") or {}
    scale = {n: s for n, s in services.items() if s.get("profiles") == [SCALE_PROFILE]}
    odoo = {n: s for n, s in scale.items() if "build" in s}
    installers = [n for n, s in odoo.items() if s.get("command") == ["install"]]
    nodes = {n: s for n, s in odoo.items() if n not in installers}
    if len(installers) != 1:
        yield f"scale: one installer service (command install), found {installers}"
        return

    def env(service):
        return {k: str(v) for k, v in (service.get("environment") or {}).items()}

    http = sorted(
        n for n, s in nodes.items() if env(s).get("ODOO_QUEUE_JOB_CHANNELS") == "root:0"
    )
    jobs = sorted(n for n in nodes if n not in http)
    if len(http) < 2 or len(jobs) < 2:
        yield f"scale: two HTTP nodes and two job nodes, found {http} and {jobs}"
    databases = set()
    data_volumes = set()
    for name, service in odoo.items():
        environment = env(service)
        databases.add((environment.get("HOST"), environment.get("INTEROP_DB")))
        data_volumes.update(
            str(v).split(":")[0]
            for v in service.get("volumes") or []
            if str(v).split(":")[1:2] == [STATE_VOLUME_TARGET]
        )
        command = " ".join(service.get("command") or [])
        yield from secret_problems(service, command)
        yield from database_problems(name, command)
        if name in installers:
            continue
        if environment.get("INTEROP_INSTALL") != "0":
            yield (
                f"{name}: INTEROP_INSTALL must be 0: the nodes would install the "
                "suite at once, each of them, into one database"
            )
        condition = ((service.get("depends_on") or {}).get(installers[0]) or {}).get(
            "condition"
        )
        if condition != "service_completed_successfully":
            yield f"{name}: must start after {installers[0]} completed successfully"
        if _options(service).get("--load") != "base,web,queue_job,interop_gateway":
            yield f"{name}: must load queue_job and interop_gateway server-wide"
    if len(databases) != 1:
        yield f"scale: every node on one PostgreSQL and database, found {databases}"
    elif next(iter(databases))[0] not in scale:
        yield "scale: the nodes' PostgreSQL is a service of the scale profile"
    elif scale[next(iter(databases))[0]].get("image") != "postgres:15":
        yield "scale: the nodes' PostgreSQL must use the postgres:15 image"
    if len(data_volumes) != 1:
        yield (
            f"scale: every node mounts one volume on {STATE_VOLUME_TARGET} (one "
            f"encryption key, one filestore), found {sorted(data_volumes)}"
        )
    yield from role_problems(nodes, http, jobs)
    yield from nginx_problems(scale, nodes, http, jobs)


def role_problems(nodes, http, jobs):
    def env(service):
        return {k: str(v) for k, v in (service.get("environment") or {}).items()}

    for name in http:
        options = _options(nodes[name])
        if options.get("--max-cron-threads") != "0":
            yield f"{name}: an HTTP node runs no cron (--max-cron-threads=0)"
        if "--proxy-mode" not in options:
            yield f"{name}: behind nginx, --proxy-mode"
    for name in jobs:
        options = _options(nodes[name])
        if options.get("--max-cron-threads", "0") == "0":
            yield f"{name}: cron runs on the job nodes (--max-cron-threads)"
        if (env(nodes[name]).get("ODOO_QUEUE_JOB_CHANNELS") or "root:0").startswith(
            "root:0"
        ):
            yield f"{name}: a job node runs queue_job's runner"


def nginx_problems(scale, nodes, http, jobs):
    proxies = [
        n for n, s in scale.items() if str(s.get("image", "")).startswith("nginx")
    ]
    if len(proxies) != 1:
        yield f"scale: one nginx service, found {proxies}"
        return
    name = proxies[0]
    nginx = scale[name]
    environment = {k: str(v) for k, v in (nginx.get("environment") or {}).items()}
    mounts = [str(v).split(":")[:2] for v in nginx.get("volumes") or []]
    if [NGINX_TEMPLATES, "/etc/nginx/templates"] not in mounts:
        yield f"{name}: mounts {NGINX_TEMPLATES} on /etc/nginx/templates"
    template = (ROOT / NGINX_TEMPLATES / NGINX_TEMPLATE).read_text()
    missing = set(re.findall(r"\$\{(INTEROP_[A-Z_]+)\}", template)) - set(environment)
    if missing:
        yield f"{name}: no value for the template's {', '.join(sorted(missing))}"
    expected = {
        "INTEROP_HTTP_SERVERS": [f"{n}:8069" for n in http],
        "INTEROP_WEBSOCKET_SERVERS": [f"{n}:8072" for n in http],
        "INTEROP_JOB_SERVERS": [f"{n}:8069" for n in jobs],
    }
    for variable, servers in expected.items():
        if sorted(_servers(environment.get(variable))) != servers:
            yield f"{name}: {variable} must list {servers}"
    cap = _gateway_body_cap()
    if environment.get("INTEROP_MAX_BODY_BYTES") != str(cap):
        yield (
            f"{name}: INTEROP_MAX_BODY_BYTES must be the gateway's largest body "
            f"({cap} bytes, MAX_BODY_BYTES_CAP)"
        )
    for variable, names in (
        ("INTEROP_PROXY_TIMEOUT", http),
        ("INTEROP_JOB_TIMEOUT", jobs),
    ):
        timeout = _seconds(environment.get(variable))
        limits = [_seconds(_options(nodes[n]).get("--limit-time-real")) for n in names]
        if timeout is None or None in limits or timeout <= max(limits, default=0):
            yield (
                f"{name}: {variable} must be longer than the --limit-time-real of "
                f"{', '.join(names)}"
            )
    jobs_port = environment.get("INTEROP_JOBS_LISTEN")
    for node in jobs:
        target = {k: str(v) for k, v in nodes[node].get("environment", {}).items()}
        if (target.get("ODOO_QUEUE_JOB_HOST"), target.get("ODOO_QUEUE_JOB_PORT")) != (
            name,
            jobs_port,
        ):
            yield f"{node}: the runner sends jobs to {name}:{jobs_port}"
    published = [str(p).rsplit(":", 1)[-1] for p in nginx.get("ports") or []]
    if jobs_port in published:
        yield f"{name}: the job listener ({jobs_port}) is never published"


def secret_problems(odoo, command):
    """The entrypoint's secrets and installation are not overridden by the file."""
    if "entrypoint" in odoo:
        yield f"odoo: entrypoint is {ENTRYPOINT}, set by the Dockerfile"
    for option in ("--init", "-i ", "--update", "-u ", "--without-demo"):
        if option in f"{command} ":
            yield (
                f"odoo: {option.strip()} in the command: the entrypoint installs "
                "the whole suite with demo data"
            )
    for option in ("--admin-passwd", "admin_passwd", "--config", "-c "):
        if option in f"{command} ":
            yield f"odoo: {option.strip()} in the command: the entrypoint's odoo.conf"
    environment = odoo.get("environment") or {}
    password = str(environment.get("INTEROP_ADMIN_PASSWD", ""))
    if password and not password.startswith("${"):
        yield "odoo: INTEROP_ADMIN_PASSWD is written in the file (generated when empty)"
    targets = [str(v).split(":")[1] for v in odoo.get("volumes") or [] if ":" in str(v)]
    if STATE_VOLUME_TARGET not in targets:
        yield (
            f"odoo: no volume on {STATE_VOLUME_TARGET}: the encryption key would be "
            "lost with the container"
        )
    if not (ROOT / ENTRYPOINT).is_file():
        yield f"{ENTRYPOINT} does not exist"


def main():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    found = list(problems(compose))
    for problem in found:
        sys.stderr.write(f"docker-compose.yml: {problem}\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
