"""Static check of docker-compose.yml: no Docker engine runs where the suite is built.

Checks what `docker compose config` would and what the suite relies on: the YAML parses,
services reference each other and existing files, both have health checks, Odoo is the
official 18.0 image extended by our Dockerfile and loads queue_job server-wide.
"""

import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


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
    for line in text.splitlines():
        if line.startswith("COPY "):
            for src in line.split()[1:-1]:
                if not (ROOT / src).exists():
                    yield f"{dockerfile.name}: COPY source {src} does not exist"


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
    command = " ".join(services["odoo"].get("command") or [])
    if "--load=base,web,queue_job,interop_gateway" not in command:
        yield "odoo must load queue_job and interop_gateway server-wide (--load)"


def main():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    found = list(problems(compose))
    for problem in found:
        sys.stderr.write(f"docker-compose.yml: {problem}\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
