"""Sustained mixed load: ingestion and processing together for several minutes.

Odoo in prefork (2 workers) with its job runner; ``--clients`` partners send signed
1 KB messages for ``--minutes`` (1 in ``--fail-every`` is made to fail in
processing), while the runner processes them. Every 10 s the accepted count, the
backlog (queued) and the processed count are printed. Then the backlog is given
time to drain, and the checks run: every 2xx answer has exactly one stored message
and exactly one record (or one failure with its exception); nothing lost, nothing
duplicated, no 5xx. Exits non-zero when a check fails.
"""

import argparse
import json
import os
import sys
import threading
import time

from harness import (
    OdooServer,
    Setup,
    cpu_per,
    cpu_seconds,
    free_port,
    governed_request,
    log,
    machine,
    message_states,
    run_load,
    wait_until,
)
from processing import reset

#: messages/s in and processed over the whole run (issue 23), printed
TARGET_RATE = 400


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="interop_bench_sustained")
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--fail-every", type=int, default=200)
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument(
        "--channels", help="queue_job channels instead of the configuration's"
    )
    parser.add_argument(
        "--keep-alive", action="store_true", help="clients keep their connections"
    )
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--reset",
        action="store_true",
        help="with --keep-db: forget the messages, records, jobs and exceptions of "
        "earlier runs first (a failing sample would join their open exception)",
    )
    args = parser.parse_args()
    setup = Setup()
    if not args.keep_db:
        setup.create_database(args.db)
    elif args.reset:
        reset(setup, args.db)
    port = free_port()
    samples = []
    with OdooServer(
        setup, args.db, port, runner=True, name="sustained", channels=args.channels
    ) as server:
        stop = threading.Event()
        start = time.perf_counter()
        cpu = cpu_seconds(server, args.db)

        def sampler():
            while not stop.wait(10):
                states = message_states(setup, args.db)
                sample = (
                    time.perf_counter() - start,
                    sum(states.values()),
                    states.get("queued", 0),
                    states.get("done", 0) + states.get("failed", 0),
                )
                samples.append(sample)
                log(
                    f"t={sample[0]:5.0f} s  stored {sample[1]:6d}  backlog "
                    f"{sample[2]:6d}  processed {sample[3]:6d}"
                )

        thread = threading.Thread(target=sampler, daemon=True)
        thread.start()

        def make(n):
            return governed_request(n, fail=n % args.fail_every == 0)

        load = run_load(
            port,
            make,
            clients=args.clients,
            duration=args.minutes * 60,
            label="sustained",
            keep_accepted=True,
            keep_alive=args.keep_alive,
        )
        log(load.summary())
        accepted = len(load.accepted)

        def drained():
            states = message_states(setup, args.db)
            return states.get("queued", 0) == 0 and states

        drain_start = time.perf_counter()
        states = wait_until(drained, args.drain_timeout, interval=1)
        drain_time = time.perf_counter() - drain_start
        stop.set()
        cpu = cpu_seconds(server, args.db) - cpu
    elapsed = time.perf_counter() - start
    ids = [json.loads(body)["message_id"] for _n, _status, body in load.accepted]
    failing = {n for n, _status, _body in load.accepted if n % args.fail_every == 0}
    rows = setup.query(
        args.db,
        """
        SELECT m.id, m.state, count(r.id),
               (SELECT count(*) FROM interop_exception e WHERE e.message_id = m.id)
          FROM interop_message m
          LEFT JOIN interop_bench_record r ON r.message_id = m.id
         WHERE m.id = ANY(%s)
         GROUP BY m.id, m.state
        """,
        (ids,),
    )
    by_id = {row[0]: row[1:] for row in rows}
    lost = [i for i in ids if i not in by_id]
    duplicated = len(ids) - len(set(ids))
    double_effect = [i for i, (_s, records, _e) in by_id.items() if records > 1]
    unfinished = [i for i, (s, _r, _e) in by_id.items() if s not in ("done", "failed")]
    failed_without_exception = [
        i for i, (s, _r, e) in by_id.items() if s == "failed" and e != 1
    ]
    done_without_record = [
        i for i, (s, r, _e) in by_id.items() if s == "done" and r != 1
    ]
    server_errors = sum(n for status, n in load.statuses.items() if status >= 500)
    print(
        f"\nSustained load: {args.clients} clients for {args.minutes} min, "
        f"Odoo prefork "
        f"2 workers with job runner ({machine()}; load average at the end "
        f"{', '.join(f'{v:.1f}' for v in os.getloadavg())})"
    )
    print(
        f"ingestion: {load.rate():.1f} req/s, p50 {load.percentile(0.5):.1f} ms, "
        f"p99 {load.percentile(0.99):.1f} ms, {accepted} accepted, statuses "
        f"{dict(load.statuses)}"
    )
    processed = sum(1 for s, _r, _e in by_id.values() if s in ("done", "failed"))
    print(
        f"processing: {processed} messages in {elapsed:.0f} s "
        f"({processed / elapsed:.1f}/s overall); backlog drained "
        f"{drain_time:.0f} s after the load stopped; final states {states}"
    )
    rate = processed / elapsed if elapsed else 0.0
    print(
        f"in and processed: {rate:.1f} messages/s -> "
        f"{'target met' if rate >= TARGET_RATE else 'target NOT met'} "
        f"(>= {TARGET_RATE}/s, figure only: the checks below decide the status)"
    )
    if processed:
        # what bounds the rate when the backlog stays small: the two cores
        print(
            f"CPU ms per message accepted and processed: {cpu_per(cpu, processed)} "
            f"({sum(cpu.values()) / elapsed:.2f} cores busy on average, of "
            f"{os.cpu_count()})"
        )
    print("backlog over time (s, stored, queued, processed):")
    for sample in samples:
        print(f"  {sample[0]:5.0f} {sample[1]:7d} {sample[2]:7d} {sample[3]:7d}")
    checks = {
        "0 lost (every 2xx has its message)": not lost,
        "0 duplicated messages": not duplicated,
        "0 duplicated effects (one record per message)": not double_effect,
        "every message done or failed": not unfinished,
        "every done message has its record": not done_without_record,
        "every failed message has one exception": not failed_without_exception,
        "failures are the failing samples only": len(
            [1 for s, _r, _e in by_id.values() if s == "failed"]
        )
        == len(failing),
        "no 5xx": not server_errors,
    }
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
