"""Profile of the metrics exposition (GET /interop/v1/metrics) on a bench database.

Usage: tools/bench.sh monitor_profile [--db interop_bench_monitor] [--runs 5]
    [--explain 8] [--top 25]

On a database rolled up by bench/monitor.py (``--keep-db``), for one company:
  1. the statements one exposition sends to PostgreSQL: how many, and the time of
     each (the slowest first), from a wrapper of the cursor's ``execute``;
  2. ``EXPLAIN (ANALYZE, BUFFERS)`` of the --explain slowest of them;
  3. cProfile of --runs expositions, the --top functions by cumulative time;
  4. the wall time of --runs expositions (median, max).
Prints only; changes nothing in the database (the EXPLAIN ANALYZE of a statement
that writes would write: the exposition sends only SELECTs, checked below).
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time

from harness import Setup

sys.path.insert(0, os.environ.get("ODOO_SRC", ""))

import odoo
from odoo import api
from odoo.sql_db import Cursor
from odoo.tools import SQL, config


class StatementLog:
    """Records every statement sent by ``Cursor.execute`` while active."""

    def __init__(self):
        self.statements = []

    def __enter__(self):
        original = Cursor.execute
        log = self.statements

        def execute(cr, query, params=None, log_exceptions=True):
            start = time.perf_counter()
            try:
                return original(cr, query, params, log_exceptions)
            finally:
                code, args = (
                    (query.code, query.params)
                    if isinstance(query, SQL)
                    else (query, params)
                )
                log.append((time.perf_counter() - start, code, args))

        self.original = original
        Cursor.execute = execute
        return self

    def __exit__(self, *exc):
        Cursor.execute = self.original


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="interop_bench_monitor")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", type=int, default=8)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    setup = Setup()
    config.parse_config(
        [
            "-c",
            setup.conf,
            "-d",
            args.db,
            f"--addons-path={setup.addons_path}",
            "--log-level=warn",
        ]
    )
    setup.ensure_current(args.db)  # a database kept from other code
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        company = env.company
        Metrics = env["interop.monitor.metrics"]
        cr.execute(
            "SELECT count(*), count(DISTINCT bucket) FROM interop_monitor_rollup"
        )
        rows, minutes = cr.fetchone()
        print(f"{args.db}: {rows:,} rollup rows over {minutes:,} distinct buckets")
        print(f"load average: {os.getloadavg()}")
        Metrics._exposition(company)  # warm the registry caches
        env.invalidate_all()

        with StatementLog() as statements:
            start = time.perf_counter()
            body = Metrics._exposition(company)
            total = time.perf_counter() - start
        sql_time = sum(s[0] for s in statements.statements)
        print(
            f"\none exposition: {total * 1000:.1f} ms, {len(body):,} bytes, "
            f"{len(statements.statements)} statements taking {sql_time * 1000:.1f} ms"
        )
        ranked = sorted(statements.statements, key=lambda s: s[0], reverse=True)
        for seconds, query, _params in ranked:
            text = " ".join(str(query).split())
            print(f"  {seconds * 1000:7.2f} ms  {text[:150]}")

        print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the {args.explain} slowest:")
        for seconds, query, params in ranked[: args.explain]:
            text = " ".join(str(query).split())
            if not text.upper().startswith(("SELECT", "WITH")):
                continue
            cr.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query}", params)
            print(f"\n-- {seconds * 1000:.2f} ms: {text[:200]}")
            for (line,) in cr.fetchall():
                print(f"   {line}")
        cr.rollback()

        profile = cProfile.Profile()
        durations = []
        for _run in range(args.runs):
            env.invalidate_all()
            start = time.perf_counter()
            profile.enable()
            Metrics._exposition(company)
            profile.disable()
            durations.append((time.perf_counter() - start) * 1000)
        print(
            f"\n{args.runs} expositions under cProfile: median "
            f"{statistics.median(durations):.1f} ms, max {max(durations):.1f} ms"
        )
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(args.top)

        durations = []
        for _run in range(args.runs):
            env.invalidate_all()
            start = time.perf_counter()
            Metrics._exposition(company)
            durations.append((time.perf_counter() - start) * 1000)
        print(
            f"{args.runs} expositions without the profiler: median "
            f"{statistics.median(durations):.1f} ms, max {max(durations):.1f} ms "
            f"(load average {os.getloadavg()})"
        )
        cr.rollback()
    return 0


if __name__ == "__main__":
    sys.exit(main())
