"""Monitoring at 10 million messages: the rollup's catch-up, its cost per cron run
at 500 messages/s, and the dashboards.

Usage (make bench runs it): tools/bench.sh monitor [--messages 10000000]
    [--days 30] [--catch-up-seconds 900] [--runs 5] [--rate 500] [--batch N]
    [--keep-db [--skip-catch-up | --measure-only]] [--http-port PORT]

1. Creates DB (``interop_bench_monitor``) with interop_monitor and six endpoints,
   no demo data, and inserts --messages finished messages (received over the last
   --days, 1 % failed, 1 % rejected, 0.1 % still queued) with set-based SQL
   (``generate_series``), every index in place.
2. Catch-up: rolls the whole log up from an empty rollup, batch after batch, each
   its own transaction, as the cron does; bounded by --catch-up-seconds (what is
   left is reported, with the rate; 0: to the end, however long).
3. Steady state: for each of --runs minutes, inserts the traffic of one minute at
   --rate messages/s (30,000 at 500/s) and runs one cron run (``_cron_rollup``'s
   batches until none remains), measuring its wall time and its CPU time (this
   Odoo process, and the PostgreSQL backend serving it, from /proc). Cost = CPU
   seconds per minute of traffic, as % of one core. Target (issue 20): < 5 %.
4. The dashboards, the tiles' drill-downs and the metrics on the 10 M log
   (bench/monitor_scale.py), medians of 5: < 200 ms and < 100 ms; with --http-port,
   also GET /interop/v1/metrics through a real Odoo on that port.

Prints figures; exits 1 when a target is missed.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from datetime import timedelta

from harness import OdooServer, Setup, log, machine, request

sys.path.insert(0, os.environ.get("ODOO_SRC", ""))

import monitor_scale

import odoo
from odoo import api, fields
from odoo.tools import config

MODULES = "interop,interop_outbound,interop_monitor"


def prepare(env, endpoints_wanted=6):
    endpoints = env["interop.endpoint"].search([("state", "=", "active")])
    if len(endpoints) >= endpoints_wanted:
        return endpoints[:endpoints_wanted]
    owner = env.ref("base.user_admin")
    for n in range(len(endpoints), endpoints_wanted):
        endpoint = env["interop.endpoint"].create(
            {
                "code": f"bench-monitor-{n}",
                "name": f"Bench Monitor {n}",
                "system_kind": "other",
                "direction": "inbound",
                "environment": "test",
                "data_classification": "internal",
                "business_owner_id": owner.id,
                "technical_owner_id": owner.id,
            }
        )
        endpoint._activate()
    env.cr.commit()
    return env["interop.endpoint"].search([("state", "=", "active")])[:endpoints_wanted]


def backend_cpu(env):
    """CPU seconds of the PostgreSQL backend of this cursor (same machine), or None."""
    env.cr.execute("SELECT pg_backend_pid()")
    pid = env.cr.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            parts = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(parts[11]) + int(parts[12])) / ticks


def cron_run(env):
    """One run of the rollup cron: batches, each committed, until none remains.
    Returns messages taken, batches, and the longest batch in seconds (its
    transaction: how long it holds the rollup rows' locks)."""
    Rollup = env["interop.monitor.rollup"]
    taken, batches, longest = 0, 0, 0.0
    while True:
        began = time.perf_counter()
        done, remaining = Rollup._rollup_batch(lag_seconds=0)
        env.cr.commit()
        longest = max(longest, time.perf_counter() - began)
        taken += done
        batches += 1
        if not remaining:
            return taken, batches, longest


def catch_up(env, limit_seconds):
    cursor = env.ref("interop_monitor.interop_monitor_cursor_rollup")
    cursor.write(
        {
            "date_finished": False,
            "message_id": 0,
            "date_received": False,
            "received_message_id": 0,
        }
    )
    env.cr.execute("TRUNCATE interop_monitor_rollup")
    env.cr.execute("SELECT to_regclass('interop_monitor_uptime_hour')")
    if env.cr.fetchone()[0]:
        env.cr.execute("TRUNCATE interop_monitor_uptime_hour")
    env.cr.commit()
    env.cr.execute("SELECT count(*) FROM interop_message")
    total = env.cr.fetchone()[0]
    Rollup = env["interop.monitor.rollup"]
    taken, batches, longest = 0, 0, 0.0
    start = time.perf_counter()
    remaining = 1
    while remaining and (
        not limit_seconds or time.perf_counter() - start < limit_seconds
    ):
        batch_start = time.perf_counter()
        done, remaining = Rollup._rollup_batch(lag_seconds=0)
        env.cr.commit()
        longest = max(longest, time.perf_counter() - batch_start)
        taken += done
        batches += 1
        if batches % 20 == 0:
            log(f"catch-up: {taken:,} message reads in {batches} batches")
    elapsed = time.perf_counter() - start
    cursor.invalidate_recordset()
    env.cr.execute(
        "SELECT count(*) FROM interop_message WHERE date_finished IS NOT NULL"
        " AND (date_finished, id) <= (%s, %s)",
        (cursor.date_finished or "-infinity", cursor.message_id or 0),
    )
    counted = env.cr.fetchone()[0]
    rate = counted / elapsed if elapsed else 0
    print(
        f"catch-up: {counted:,} of {total:,} messages rolled up in {elapsed:.0f} s "
        f"({rate:,.0f} messages/s, {batches} batches, longest {longest:.1f} s)"
        + (
            ""
            if not remaining
            else f"; stopped at the {limit_seconds:.0f} s bound: the rest would take "
            f"about {(total - counted) / rate / 60:.0f} min more"
            if rate
            else ""
        )
    )
    env.cr.commit()


def vacuum(setup, db):
    """VACUUM ANALYZE of the rollup tables, as autovacuum does after the inserts of
    a catch-up (the uptime's index-only scans want the visibility map)."""
    conn = setup.connect(db)
    with conn.cursor() as cr:
        for table in ("interop_monitor_rollup", "interop_monitor_uptime_hour"):
            cr.execute("SELECT to_regclass(%s)", (table,))
            if cr.fetchone()[0]:
                cr.execute(f"VACUUM ANALYZE {table}")
    conn.close()


def steady_state(env, endpoints, runs, rate):
    """Per minute of traffic at ``rate`` messages/s: the cron run's cost."""
    # the watermarks stand at the end of the log: the catch-up may have stopped
    # earlier, the steady state counts new minutes only
    now = fields.Datetime.now()
    env.cr.execute("SELECT max(date_finished), max(date_received) FROM interop_message")
    last_finished, last_received = env.cr.fetchone()
    env.cr.execute("SELECT max(id) FROM interop_message")
    last_id = env.cr.fetchone()[0]
    cursor = env.ref("interop_monitor.interop_monitor_cursor_rollup")
    cursor.write(
        {
            "date_finished": max(last_finished, now),
            "message_id": last_id,
            "date_received": max(last_received, now),
            "received_message_id": last_id,
        }
    )
    env.cr.commit()
    per_minute = rate * 60
    results = []
    minute = now.replace(second=0, microsecond=0) + timedelta(minutes=2)
    for run in range(runs):
        monitor_scale.insert_messages(env, endpoints, per_minute, minute, 60)
        minute += timedelta(minutes=1)
        pg_before = backend_cpu(env)
        cpu_before = time.process_time()
        wall = time.perf_counter()
        with FrozenClock(minute + timedelta(seconds=10)):
            taken, batches, longest = cron_run(env)
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu_before
        pg_after = backend_cpu(env)
        pg = (pg_after - pg_before) if pg_before is not None else 0.0
        results.append((wall, cpu, pg, taken, batches, longest))
        log(
            f"run {run + 1}: {per_minute:,} messages, {batches} batches "
            f"(longest {longest * 1000:.0f} ms), {wall:.2f} s wall, "
            f"CPU Odoo {cpu:.2f} s + PostgreSQL {pg:.2f} s"
        )
    walls = [r[0] for r in results]
    totals = [r[1] + r[2] for r in results]
    share = statistics.median(totals) / 60 * 100
    ok = share < 5
    print(
        f"steady state, {rate} messages/s ({per_minute:,} per minute), {runs} cron "
        f"runs: wall median {statistics.median(walls):.2f} s (max {max(walls):.2f}), "
        f"CPU median {statistics.median(totals):.2f} s per minute of traffic "
        f"(Odoo {statistics.median(r[1] for r in results):.2f} s, PostgreSQL "
        f"{statistics.median(r[2] for r in results):.2f} s) = {share:.1f} % of one "
        f"core -> {'target met' if ok else 'target NOT met'} (< 5 %); longest "
        f"batch {max(r[5] for r in results) * 1000:.0f} ms, peak RSS of this "
        f"process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    return ok


def measure_http(setup, env, db, port, runs=5):
    """GET /interop/v1/metrics through a real Odoo (prefork, 2 workers, no job
    runner) with a metrics key of the company, as Prometheus scrapes it: warm-ups
    until each worker has loaded the registry and checked the key once, then the
    median of ``runs``."""
    _key_record, key = env["interop.metrics.key"]._generate("Bench", env.company)
    env.cr.commit()
    headers = {"Authorization": f"Bearer {key}"}
    with OdooServer(setup, db, port, workers=2, runner=False, name="metrics"):
        for _warm_up in range(6):
            status, body = request(port, "GET", "/interop/v1/metrics", headers=headers)
            if status != 200:
                raise RuntimeError(f"metrics answered {status}: {body[:200]!r}")
        durations, baseline = [], []
        for _run in range(runs):
            start = time.perf_counter()
            status, body = request(port, "GET", "/interop/v1/metrics", headers=headers)
            durations.append((time.perf_counter() - start) * 1000)
            if status != 200:
                raise RuntimeError(f"metrics answered {status}")
            # Odoo's own cost of a request: the gateway's health route (SELECT 1)
            start = time.perf_counter()
            request(port, "GET", "/interop/v1/health")
            baseline.append((time.perf_counter() - start) * 1000)
    median = statistics.median(durations)
    print(
        f"GET /interop/v1/metrics over HTTP ({len(body):,} bytes): median "
        f"{median:.0f} ms, max {max(durations):.0f} ms  "
        + ("OK" if median < 100 else "OVER 100 ms")
        + f"; GET /interop/v1/health meanwhile (a request that does nothing): "
        f"median {statistics.median(baseline):.0f} ms, max {max(baseline):.0f} ms"
    )


class FrozenClock:
    """Odoo's clock at ``moment`` for the cron run (the traffic was written into
    the coming minutes: the run sees them finished)."""

    def __init__(self, moment):
        self.moment = moment

    def __enter__(self):
        from unittest.mock import patch

        self.patch = patch.object(
            fields.Datetime, "now", staticmethod(lambda *a: self.moment)
        )
        self.patch.start()

    def __exit__(self, *exc):
        self.patch.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="interop_bench_monitor")
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--catch-up-seconds",
        type=float,
        default=900,
        help="bound of the catch-up (0: roll the whole log up, however long it takes)",
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument(
        "--batch",
        type=int,
        default=0,
        help="interop_monitor.rollup_batch_size for the run (0: leave it as is)",
    )
    parser.add_argument("--keep-db", action="store_true", help="reuse the database")
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="with --keep-db: no catch-up, no steady state; only time the dashboards "
        "and the metrics on the database as it is (e.g. rolled up whole by a run "
        "with --catch-up-seconds 0)",
    )
    parser.add_argument(
        "--skip-catch-up",
        action="store_true",
        help="with --keep-db: the steady state and the measures on the rollups as "
        "they are (no new catch-up)",
    )
    parser.add_argument(
        "--http-port",
        type=int,
        default=0,
        help="also time GET /interop/v1/metrics through a real Odoo on this port",
    )
    args = parser.parse_args()
    setup = Setup()
    if not args.keep_db:
        setup.create_database(args.db, MODULES)
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
    print(f"\nMonitoring at scale ({machine()})")
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        endpoints = prepare(env)
        if args.batch:
            env["ir.config_parameter"].set_param(
                "interop_monitor.rollup_batch_size", str(args.batch)
            )
            cr.commit()
            print(f"rollup_batch_size = {args.batch}")
        cr.execute("SELECT count(*) FROM interop_message")
        existing = cr.fetchone()[0]
        if existing < args.messages:
            missing = args.messages - existing
            start = fields.Datetime.now() - timedelta(days=args.days)
            seconds = args.days * 86400 - 300
            elapsed = monitor_scale.insert_messages(
                env, endpoints, missing, start, seconds, label="generating"
            )
            cr.execute("ANALYZE interop_message")
            cr.commit()
            print(
                f"generated {missing:,} messages over {args.days} days in "
                f"{elapsed:.0f} s (generate_series, every index in place)"
            )
        met = True
        if not args.measure_only:
            if not args.skip_catch_up:
                catch_up(env, args.catch_up_seconds)
                vacuum(setup, args.db)
            met = steady_state(env, endpoints, args.runs, args.rate)
        vacuum(setup, args.db)
        print(f"load average before measuring: {os.getloadavg()}")
        monitor_scale.measure(env)
        if args.http_port:
            measure_http(setup, env, args.db, args.http_port)
        print(f"load average after measuring: {os.getloadavg()}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
