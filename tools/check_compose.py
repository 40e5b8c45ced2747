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
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENTRYPOINT = "docker/interop-entrypoint"
# where the entrypoint keeps the key, the master password and odoo.conf
STATE_VOLUME_TARGET = "/var/lib/odoo"


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
    services = compose.get("services") or {}
    if set(services) != {"db", "odoo"}:
        yield f"expected services db and odoo, found {sorted(services)}"
        return
    if services["db"].get("image") != "postgres:16":
        yield "db must use the postgres:16 image"
    yield from dockerfile_problems(services["odoo"].get("build") or {})
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
