"""The load generator of issue 23's own measure: ``wrk`` (C, epoll), fed requests
made beforehand.

A Python client on the same two cores as Odoo and PostgreSQL costs about 0.4 ms of
CPU a request (``sustained.py`` prints it); ``wrk`` about a third of that. It
cannot sign (its Lua has no HMAC), so the requests are made and signed here first,
written to one file per ``wrk`` thread, and sent in order, each once: every request
keeps its own Idempotency-Key. Each thread keeps the ``message_id`` of its 2xx
answers, so that the checks of a run (nothing lost, nothing doubled) read the same
as with the Python client. ``wrk`` stops at the end of its duration with a request
in flight on each connection: the server may store it, and nobody reads the answer
(a partner would send it again with its key); the checks are about the answers read.
"""

import contextlib
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from harness import HOST, LoadResult, log, run_load

#: the Lua side: one file of prepared requests per thread, each request preceded by
#: its length on a line; ``done`` writes the figures and the accepted ids as JSON
SCRIPT = r"""
local threads = {}
local count = 0

function setup(thread)
  thread:set("number", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1] .. "." .. number, "rb"))
  local data = file:read("*a")
  file:close()
  requests, sent, exhausted, ids, statuses = {}, 0, 0, {}, {}
  local pos = 1
  while pos <= #data do
    local eol = data:find("\n", pos, true)
    local size = tonumber(data:sub(pos, eol - 1))
    requests[#requests + 1] = data:sub(eol + 1, eol + size)
    pos = eol + size + 1
  end
end

function request()
  if sent >= #requests then
    -- every prepared request was sent: stop (the run is reported), and never
    -- send one twice: what may still go out is a health check
    exhausted = 1
    wrk.thread:stop()
    return wrk.format("GET", "/interop/v1/health")
  end
  sent = sent + 1
  return requests[sent]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status >= 200 and status < 300 then
    ids[#ids + 1] = tonumber(body:match('"message_id"%s*:%s*(%d+)'))
  end
end

function done(summary, latency, requests_)
  local out = assert(io.open(output, "w"))
  -- the latencies at QUANTILES evenly spaced quantiles (wrk keeps a histogram)
  local quantiles = {}
  for k = 1, QUANTILES do
    quantiles[k] = latency:percentile((k - 0.5) * 100 / QUANTILES)
  end
  local parts = {}
  for _, thread in ipairs(threads) do
    local ids = thread:get("ids")
    local statuses = thread:get("statuses")
    local status_parts = {}
    for status, n in pairs(statuses) do
      status_parts[#status_parts + 1] = string.format('"%s": %d', status, n)
    end
    local id_parts = {}
    for _, id in ipairs(ids) do id_parts[#id_parts + 1] = tostring(id) end
    parts[#parts + 1] = string.format(
      '{"statuses": {%s}, "ids": [%s], "exhausted": %d}',
      table.concat(status_parts, ", "), table.concat(id_parts, ","),
      thread:get("exhausted"))
  end
  out:write(string.format(
    '{"duration_us": %d, "requests": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "quantiles_us": [%s], ' ..
    '"threads": [%s]}',
    summary.duration, summary.requests, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, table.concat(quantiles, ","),
    table.concat(parts, ", ")))
  out:close()
end
"""


#: quantiles of the latency written by ``wrk`` (one every 0.1 %)
QUANTILES = 1000


def available():
    return shutil.which("wrk") is not None


def raw(port, method, path, body, headers):
    """The bytes of one HTTP/1.1 request, as ``wrk`` sends them."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}"]
    lines += [
        f"{name}: {value}"
        for name, value in headers.items()
        if name.lower() != "connection"  # partners keep their connections
    ]
    lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body


class WrkLoad:
    """``count`` requests (``make_request(n)``, n from 0) made and signed
    beforehand, as a partner system does its own work before it sends, then sent
    in order by ``wrk``, each once. A context manager: its files are removed at the
    end. The gateway accepts a signature for 5 minutes (``SIGNATURE_TOLERANCE``):
    a load must end within that of its preparation."""

    def __init__(self, port, make_request, count, label="load", threads=2):
        self.port = port
        self.make_request = make_request
        self.count = count
        self.label = label
        self.threads = threads
        self.workdir = None

    def __enter__(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="interop-wrk-"))
        started = time.perf_counter()
        with contextlib.ExitStack() as stack:
            files = [
                stack.enter_context(open(self.workdir / f"requests.{k}", "wb"))
                for k in range(self.threads)
            ]
            for n in range(self.count):
                data = raw(self.port, *self.make_request(n))
                files[n % self.threads].write(b"%d\n%s" % (len(data), data))
        took = time.perf_counter() - started
        log(f"{self.label}: {self.count} requests prepared in {took:.1f} s")
        return self

    def __exit__(self, *exc_info):
        shutil.rmtree(self.workdir, ignore_errors=True)

    def run(self, clients, duration):
        """Send the requests over ``clients`` connections for ``duration`` seconds
        (or until all are sent). Returns a :class:`harness.LoadResult`: its rate
        and statuses from ``wrk``, ``accepted`` as ``(None, status, body)`` with
        the ``message_id`` of each 2xx answer, ``latencies`` rebuilt from
        1,000 quantiles of ``wrk``'s histogram, ``exhausted``
        when the requests ran out before the duration (``count`` was too small
        for this machine)."""
        script = self.workdir / "load.lua"
        output = self.workdir / "result.json"
        script.write_text(
            f"output = {json.dumps(str(output))}\nQUANTILES = {QUANTILES}\n{SCRIPT}"
        )
        subprocess.run(
            [
                "wrk",
                f"-t{self.threads}",
                f"-c{clients}",
                f"-d{max(1, round(duration))}s",
                "--timeout",
                "30s",
                "-s",
                str(script),
                f"http://{HOST}:{self.port}/",
                "--",
                str(self.workdir / "requests"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        figures = json.loads(output.read_text())
        result = LoadResult(self.label, clients)
        result.elapsed = figures["duration_us"] / 1e6
        # the latencies again, from their quantiles, each as often as it stands for
        # requests (so that rounds merge and percentiles read as the Python client's)
        weight = max(1, round(figures["requests"] / QUANTILES))
        result.latencies = [
            micros / 1e6 for micros in figures["quantiles_us"] for _k in range(weight)
        ]
        result.exhausted = any(thread["exhausted"] for thread in figures["threads"])
        for thread in figures["threads"]:
            result.statuses.update(
                {int(status): n for status, n in thread["statuses"].items()}
            )
            result.accepted += [
                (None, 202, json.dumps({"message_id": message_id}))
                for message_id in thread["ids"]
            ]
        result.errors.update(
            {name: n for name, n in figures["errors"].items() if n and name != "status"}
        )
        return result


def send(
    port,
    make_request,
    clients,
    seconds,
    label,
    use_wrk,
    max_rate,
    keep_alive=False,
    keep_accepted=False,
    prepared=None,
):
    """A load of ``seconds`` from ``clients``: ``wrk``'s (the requests of
    ``prepared``, a :class:`WrkLoad`, or ``max_rate`` a second made now) or Python
    threads' (:func:`harness.run_load`, connections kept open with ``keep_alive``).
    """
    if not use_wrk:
        return run_load(
            port,
            make_request,
            clients=clients,
            duration=seconds,
            label=label,
            keep_accepted=keep_accepted,
            keep_alive=keep_alive,
        )
    if prepared is not None:
        return prepared.run(clients, seconds)
    count = int(max_rate * seconds)
    with WrkLoad(port, make_request, count, label=label) as cell:
        return cell.run(clients, seconds)
