"""The nginx configuration of the multi-node topology, from one template.

``docker/nginx/templates/interop.conf.template`` is an http-context fragment with
``${INTEROP_*}`` placeholders: the official nginx image renders it with envsubst
(docker-compose.yml, profile ``scale``); the drill (tools/drills/nodes.py) renders it
here and wraps it in a main configuration of its own for a private nginx on
loopback. The test of the topology (tests/test_interop_scale_topology.py) renders
it as both do and reads its limits back.
"""

import os
import pwd
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "docker" / "nginx" / "templates" / "interop.conf.template"
PLACEHOLDER = re.compile(r"\$\{(INTEROP_[A-Z_]+)\}")


def placeholders(text=None):
    """The names of the template's placeholders."""
    return set(PLACEHOLDER.findall(text if text is not None else TEMPLATE.read_text()))


def render(values, text=None):
    """The template with its ``${INTEROP_*}`` placeholders replaced by ``values``
    (as envsubst does for the variables it is given); nginx's own ``$variables``
    are left alone. Every placeholder must have a value."""
    text = text if text is not None else TEMPLATE.read_text()
    missing = placeholders(text) - set(values)
    if missing:
        raise KeyError(f"no value for {', '.join(sorted(missing))}")
    return PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), text)


def servers(addresses, extra="max_fails=1 fail_timeout=10s"):
    """``server host:port ...;`` lines of an upstream block."""
    return " ".join(f"server {address} {extra};" for address in addresses)


def main_conf(fragment_path, run_dir):
    """A complete nginx.conf for a private nginx (no root-owned paths) that
    includes the rendered fragment."""
    run_dir = Path(run_dir)
    user = ""
    if os.geteuid() == 0:
        # nginx started as root switches its workers to this user: keep root's files
        user = f"user {pwd.getpwuid(0).pw_name};\n"
    temp = "\n".join(
        f"    {kind}_temp_path {run_dir / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
pid {run_dir / "nginx.pid"};
error_log {run_dir / "error.log"} warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log off;
{temp}
    include {fragment_path};
}}
"""


_TOKEN = re.compile(r"""'[^']*'|"[^"]*"|[{};]|[^\s{};'"]+""")


def parse(text):
    """nginx configuration text as nested lists of ``(name, args, children)``
    (``children`` None for a simple directive); comments dropped. Enough to read
    back what the template says, not a full nginx parser."""
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    stack = [[]]
    words = []
    for token in _TOKEN.findall(text):
        if token == ";":
            stack[-1].append((words[0], words[1:], None))
            words = []
        elif token == "{":
            block = []
            stack[-1].append((words[0], words[1:], block))
            stack.append(block)
            words = []
        elif token == "}":
            stack.pop()
        else:
            words.append(token.strip("'\""))
    return stack[0]


def find(directives, name, *args):
    """The directives called ``name`` (whose first arguments are ``args``)."""
    return [d for d in directives if d[0] == name and d[1][: len(args)] == list(args)]
