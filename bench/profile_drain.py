"""Where a drain spends its time: cProfile and the SQL statements of processing.

Queues ``--messages`` signed 1 KB messages through the gateway (Odoo prefork, runner
off), then runs the drains in this process (no job runner, no HTTP) one after the
other until nothing is queued, each in its own transaction, under ``cProfile``, with
every SQL statement timed by a wrapper around Odoo's cursor (statements normalised:
numbers and strings replaced). Prints messages/s, statements and their time per
message, the statements that cost most, and the functions that cost most.

``pg_stat_statements`` would give PostgreSQL's side of the same statements, but it
must be preloaded (a restart of the cluster, which others share here): the wrapper
times each statement as the worker waits for it, which is what a drain pays.
"""

import argparse
import cProfile
import io
import pstats
import re
import sys
import time
from collections import defaultdict

from harness import (
    BENCH_EVENT,
    OdooServer,
    Setup,
    free_port,
    governed_request,
    log,
    machine,
    message_states,
    run_load,
)
from processing import reset, set_batch_size

NORMALISE = [
    (re.compile(r"'(?:[^']|'')*'"), "'?'"),
    (re.compile(r'SAVEPOINT "[^"]*"'), "SAVEPOINT ?"),
    (re.compile(r"\b\d+(\.\d+)?\b"), "N"),
    (re.compile(r"\(\s*N(\s*,\s*N)*\s*\)"), "(N...)"),
    (re.compile(r"\s+"), " "),
]


def normalise(query):
    text = getattr(query, "code", query)  # odoo.tools.SQL: its text, no values
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    for pattern, replacement in NORMALISE:
        text = pattern.sub(replacement, text)
    return text.strip()[:160]


def queue(setup, db, count, fail_every):
    reset(setup, db)
    with OdooServer(setup, db, free_port(), runner=False, name="profile-queue") as srv:

        def make(n):
            return governed_request(n, fail=bool(fail_every) and n % fail_every == 0)

        load = run_load(srv.port, make, clients=8, count=count, label="queue")
        log(f"queued {load.count} messages ({load.summary()})")
    return load.count


def profile(setup, db, batch_size, top):
    sys.path.insert(0, setup.odoo_src)
    import odoo
    from odoo import api
    from odoo.sql_db import Cursor

    odoo.tools.config.parse_config(
        ["-c", setup.conf, "-d", db, f"--addons-path={setup.addons_path}"]
    )
    odoo.tools.config["log_level"] = "warn"
    odoo.netsvc.init_logger()
    registry = odoo.modules.registry.Registry(db)
    stats = defaultdict(lambda: [0, 0.0])
    original = Cursor.execute

    def timed(self, query, params=None, log_exceptions=True):
        start = time.perf_counter()
        try:
            return original(self, query, params, log_exceptions)
        finally:
            entry = stats[normalise(query)]
            entry[0] += 1
            entry[1] += time.perf_counter() - start

    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        event_type = env["interop.event.type"].search([("code", "=", BENCH_EVENT)])
        event_type_id = event_type.id
        set_batch_size(setup, db, batch_size)
    profiler = cProfile.Profile()
    processed = drains = 0
    Cursor.execute = timed
    start = time.perf_counter()
    try:
        while True:
            with registry.cursor() as cr:
                env = api.Environment(cr, odoo.SUPERUSER_ID, {"job_uuid": "profile"})
                dispatch = env["interop.message.dispatch"]
                profiler.enable()
                dispatch._job_drain(event_type_id)
                profiler.disable()
                cr.execute(
                    "SELECT count(*) FROM interop_message WHERE job_uuid = 'profile'"
                )
                now = cr.fetchone()[0]
            drains += 1
            if now == processed:
                break
            processed = now
    finally:
        Cursor.execute = original
        elapsed = time.perf_counter() - start
    print(
        f"\nDrain profile: {processed} messages in {drains - 1} drains of up to "
        f"{batch_size}, {elapsed:.2f} s in this process ({processed / elapsed:.1f} "
        f"messages/s, {elapsed / processed * 1000:.2f} ms each; {machine()})"
    )
    statements = sum(n for n, _t in stats.values())
    sql_time = sum(t for _n, t in stats.values())
    print(
        f"SQL: {statements / processed:.1f} statements per message, "
        f"{sql_time / processed * 1000:.2f} ms per message waiting for PostgreSQL "
        f"({sql_time / elapsed:.0%} of the time)"
    )
    print("\nStatements by total time (per message: count, ms):")
    for query, (count, total) in sorted(stats.items(), key=lambda i: -i[1][1])[:top]:
        print(
            f"  {count / processed:6.2f} x {total / processed * 1000:6.3f} ms  {query}"
        )
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print("\nFunctions by own time:")
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top * 2)
    print("Functions by cumulative time:")
    print(out.getvalue())
    return processed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="interop_bench_profile")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--fail-every", type=int, default=100, help="0: none fails")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    setup = Setup()
    if not args.keep_db:
        setup.create_database(args.db)
    queue(setup, args.db, args.messages, args.fail_every)
    profile(setup, args.db, args.batch_size, args.top)
    log(f"states after the profile: {message_states(setup, args.db)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
