"""What a dbfilter costs an Odoo node: one node served with ``-d <db>`` alone, then
with ``-d <db> --db-filter=^<db>$`` (both ``--no-database-list``, as the entrypoint's
odoo.conf), side by side, in alternating rounds.

With a dbfilter, Odoo lists PostgreSQL's databases (``list_dbs(force=True)``: a
query on a new connection to ``postgres``, which Odoo's pool never keeps) for every
request without a session, which every partner request is; with ``db_name`` alone
the list is ``db_name``.

For each setting and route, wrk for ``--seconds``: requests per second, p50/p99, and
CPU per request of the node (every process of its group) and of PostgreSQL (the
backends whose application_name is one of the node's processes, ``postgres``
connections included), from /proc/<pid>/stat, and of the backends that ended
meanwhile (the postmaster's reaped children: the connections to ``postgres`` a
listing opens and closes; Odoo keeps no connection to that database in its pool).

  ping     GET /interop/v1/health (auth none: the database answers SELECT 1)
  gateway  POST /interop/v1/inbound/... (ingest.lua: unique ~1 KB lab results)

On a database of the nodes drill (it has the unsigned endpoint and its key), e.g.
  make drills-nodes NODES_ARGS="--only config --db D"
  tools/drills/dbfilter.sh --db D --port P
"""

import argparse
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1] / "bench"), str(HERE)]

from harness import HOST, OdooServer, Setup, log, machine
from nodes import (
    CLK_TCK,
    OPEN_ENDPOINT,
    OPEN_KEY,
    cpu_delta,
    cpu_of,
    group_pids,
    open_path,
)

PING_LUA = """
function done(summary, latency, requests)
   io.write(string.format(
      "WRK accepted=%d other=%d errors=%d p50_ms=%.1f p99_ms=%.1f\\n",
      summary.requests - summary.errors.status, summary.errors.status,
      summary.errors.connect + summary.errors.read + summary.errors.write
         + summary.errors.timeout, latency:percentile(50) / 1000,
      latency:percentile(99) / 1000))
end
"""


class FilteredServer(OdooServer):
    def start(self, timeout=120):
        # the entrypoint's odoo.conf: list_db = False
        original = self.setup.odoo

        def odoo(db, *args):
            return original(db, "--no-database-list", *args)

        self.setup.odoo = odoo
        try:
            return super().start(timeout)
        finally:
            self.setup.odoo = original


def backends(setup, pids):
    names = [f"odoo-{pid}" for pid in pids]
    return [
        pid
        for (pid,) in setup.query(
            "postgres",
            "SELECT pid FROM pg_stat_activity WHERE application_name = ANY(%s)",
            (names,),
        )
    ]


def reaped(setup):
    """CPU seconds of the backends PostgreSQL's postmaster has reaped (its children's
    utime + stime): the short-lived connections a listing opens and closes end
    there (any database's: other connections ending meanwhile count too)."""
    ((backend,),) = setup.query("postgres", "SELECT pg_backend_pid()")
    with open(f"/proc/{backend}/stat") as stat:
        postmaster = int(stat.read().rsplit(")", 1)[1].split()[1])
    with open(f"/proc/{postmaster}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # after the command: state(0) ... cutime(13) cstime(14)
    return (int(fields[13]) + int(fields[14])) / CLK_TCK


def node_pids(server):
    return group_pids(server.process.pid)


def wrk(args, port, route, lua):
    command = [
        "wrk",
        f"-t{args.wrk_threads}",
        f"-c{args.wrk_connections}",
        f"-d{args.seconds}s",
        "--timeout=30s",
        "-s",
        str(lua),
        f"http://{HOST}:{port}" + ("/interop/v1/health" if route == "ping" else ""),
    ]
    if route == "gateway":
        command += [
            "--",
            open_path(OPEN_ENDPOINT),
            OPEN_KEY,
            f"f{uuid.uuid4().hex[:8]}",
        ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=args.seconds + 60,
        check=False,
    )
    return dict(
        part.split("=")
        for line in done.stdout.splitlines()
        if line.startswith("WRK ")
        for part in line.split()[1:]
    )


def measure(args, setup, server, route, lua):
    pids = node_pids(server)
    pg = backends(setup, pids)
    before_node, before_pg, before_reaped = cpu_of(pids), cpu_of(pg), reaped(setup)
    started = time.monotonic()
    summary = wrk(args, server.port, route, lua)
    elapsed = time.monotonic() - started
    pids = node_pids(server)
    pg = backends(setup, pids)
    node, postgres = (
        cpu_delta(before_node, cpu_of(pids)),
        cpu_delta(before_pg, cpu_of(pg)),
    )
    exited = reaped(setup) - before_reaped
    ok = int(summary.get("accepted", 0))
    bad = int(summary.get("other", 0)) + int(summary.get("errors", 0))
    return {
        "ok": ok,
        "bad": bad,
        "rate": ok / elapsed,
        "p50": float(summary.get("p50_ms", "nan")),
        "p99": float(summary.get("p99_ms", "nan")),
        "node_ms": 1000 * node / max(ok, 1),
        "pg_ms": 1000 * postgres / max(ok, 1),
        "pg_exited_ms": 1000 * exited / max(ok, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--wrk-connections", type=int, default=8)
    args = parser.parse_args()
    setup = Setup()
    ping_lua = setup.log_dir / "dbfilter-ping.lua"
    ping_lua.write_text(PING_LUA)
    lua = {"ping": ping_lua, "gateway": HERE / "ingest.lua"}
    results = {}
    for round_ in range(args.rounds):
        for label, db_filter in (("-d alone", False), ("--db-filter", True)):
            server = FilteredServer(
                setup,
                args.db,
                args.port,
                workers=args.workers,
                runner=False,
                name=f"dbfilter-{int(db_filter)}",
                db_filter=db_filter,
            )
            try:
                server.start()
                for route in ("ping", "gateway"):
                    measure(args, setup, server, route, lua[route])  # warm
                    row = measure(args, setup, server, route, lua[route])
                    log(f"round {round_ + 1} {label} {route}: {row}")
                    results.setdefault((label, route), []).append(row)
            finally:
                server.stop()
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"\ndbfilter cost: 1 node of {args.workers} workers, wrk {args.wrk_threads} "
        f"threads x {args.wrk_connections} connections x {args.seconds} s, "
        f"{args.rounds} alternating rounds ({machine()}), load average {load}"
    )
    for route in ("ping", "gateway"):
        for label in ("-d alone", "--db-filter"):
            rows = results[(label, route)]
            mean = {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]}
            rounds = ", ".join(f"{r['rate']:.0f}" for r in rows)
            print(
                f"DBFILTER {route:<7} {label:<11} {mean['rate']:7.1f} req/s "
                f"(rounds {rounds}), p50 "
                f"{mean['p50']:.1f} ms, p99 {mean['p99']:.1f} ms; CPU ms per request: "
                f"node {mean['node_ms']:.2f}, PostgreSQL {mean['pg_ms']:.2f} + "
                f"{mean['pg_exited_ms']:.2f} in backends that ended; "
                f"{sum(r['bad'] for r in rows)} not 2xx"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
