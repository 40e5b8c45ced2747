"""Sustained mixed load: ingestion and processing together for several minutes.

Odoo in prefork (2 workers) with its job runner; ``--clients`` partners send signed
1 KB messages for ``--minutes`` (1 in ``--fail-every`` is made to fail in
processing), while the runner processes them. Every 10 s the accepted count, the
backlog (queued) and the processed count are printed. Then the backlog is given
time to drain, and the checks run: every 2xx answer has exactly one stored message
and exactly one record (or one failure with its exception); nothing lost, nothing
duplicated, no 5xx. Exits non-zero when a check fails.

The load generator is ``wrk`` when it is installed (issue 23's measure: a C client,
the requests made and signed before the clock starts, connections kept open), else
Python threads (``--client``). Beside the run, on the same server and with the same
client, Odoo's bare create route (a record created, nothing processed) is measured
for ``--plain-seconds``: the rate a route of this machine reaches when it does no
processing at all.
"""

import argparse
import contextlib
import json
import os
import sys
import threading
import time

import wrk
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
    plain_request,
    wait_until,
)
from processing import reset
from wrk import WrkLoad

#: messages/s in and processed over the whole run (issue 23), printed
TARGET_RATE = 400


def arguments():
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
        "--client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="the load generator: wrk (auto: when installed) or Python threads",
    )
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="Python clients keep their connections (wrk always does)",
    )
    parser.add_argument(
        "--max-rate",
        type=float,
        default=1000,
        help="wrk: requests made beforehand per second of the load (more than the "
        "server answers; a load that sends them all fails a check)",
    )
    parser.add_argument(
        "--plain-seconds",
        type=float,
        default=30,
        help="then Odoo's bare create route for as long, with the same client "
        "(0: not measured)",
    )
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--reset",
        action="store_true",
        help="with --keep-db: forget the messages, records, jobs and exceptions of "
        "earlier runs first (a failing sample would join their open exception)",
    )
    args = parser.parse_args()
    if args.client == "auto":
        args.client = "wrk" if wrk.available() else "python"
    if args.client == "wrk" and args.minutes > 4:
        parser.error("with wrk, 4 minutes at most: a signature made beforehand lasts 5")
    return args


def send(args, port, make, seconds, label, prepared=None):
    """A load of ``seconds`` with the run's client."""
    return wrk.send(
        port,
        make,
        args.clients,
        seconds,
        label,
        use_wrk=args.client == "wrk",
        max_rate=args.max_rate,
        keep_alive=args.keep_alive,
        keep_accepted=True,
        prepared=prepared,
    )


def check(setup, args, load):
    """What became of each accepted message: ``(checks, processed)``."""
    ids = [json.loads(body)["message_id"] for _n, _status, body in load.accepted]
    rows = setup.query(
        args.db,
        """
        SELECT m.id, m.state, count(r.id),
               (SELECT count(*) FROM interop_exception e WHERE e.message_id = m.id),
               m.idempotency_key
          FROM interop_message m
          LEFT JOIN interop_bench_record r ON r.message_id = m.id
         WHERE m.id = ANY(%s)
         GROUP BY m.id, m.state
        """,
        (ids,),
    )
    found = {row[0]: row[1:4] for row in rows}
    # the samples made to fail, by the number in their key (bench-<n>-<uuid>)
    failing = [row for row in rows if int(row[4].split("-")[1]) % args.fail_every == 0]
    states = [state for state, _records, _exceptions in found.values()]
    checks = {
        "0 lost (every 2xx has its message)": all(i in found for i in ids),
        "0 duplicated messages": len(ids) == len(set(ids)),
        "0 duplicated effects (one record per message)": all(
            records <= 1 for _s, records, _e in found.values()
        ),
        "every message done or failed": all(s in ("done", "failed") for s in states),
        "every done message has its record": all(
            r == 1 for s, r, _e in found.values() if s == "done"
        ),
        "every failed message has one exception": all(
            e == 1 for s, _r, e in found.values() if s == "failed"
        ),
        "failures are the failing samples only": states.count("failed") == len(failing),
        "no 5xx": not any(status >= 500 for status in load.statuses),
    }
    if load.exhausted:
        checks["the requests made beforehand outlasted the load"] = False
    return checks, states.count("done") + states.count("failed")


def main():
    args = arguments()
    setup = Setup()
    if not args.keep_db:
        setup.create_database(args.db)
    elif args.reset:
        reset(setup, args.db)
    port = free_port()
    samples = []

    def make(n):
        return governed_request(n, fail=n % args.fail_every == 0)

    with contextlib.ExitStack() as stack:
        prepared = None
        if args.client == "wrk":  # made and signed before the clock starts
            count = int(args.max_rate * args.minutes * 60)
            prepared = stack.enter_context(
                WrkLoad(port, make, count, label="sustained")
            )
        server = stack.enter_context(
            OdooServer(
                setup,
                args.db,
                port,
                runner=True,
                name="sustained",
                channels=args.channels,
            )
        )
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
        load = send(args, port, make, args.minutes * 60, "sustained", prepared)
        log(load.summary())

        def drained():
            states = message_states(setup, args.db)
            return states.get("queued", 0) == 0 and states

        drain_start = time.perf_counter()
        states = wait_until(drained, args.drain_timeout, interval=1)
        drain_time = time.perf_counter() - drain_start
        elapsed = time.perf_counter() - start
        stop.set()
        cpu = cpu_seconds(server, args.db) - cpu
        plain = None
        if args.plain_seconds:
            # beside it, on the same server: a route that processes nothing
            plain = send(args, port, plain_request, args.plain_seconds, "plain")
            log(plain.summary())
    checks, processed = check(setup, args, load)
    print(
        f"\nSustained load: {args.clients} "
        f"{'wrk connections' if args.client == 'wrk' else 'Python clients'} for "
        f"{args.minutes:g} min, Odoo prefork 2 workers with job runner "
        f"({machine()}; load average at the end "
        f"{', '.join(f'{v:.1f}' for v in os.getloadavg())})"
    )
    print(
        f"ingestion: {load.rate():.1f} req/s, p50 {load.percentile(0.5):.1f} ms, "
        f"p99 {load.percentile(0.99):.1f} ms, {len(load.accepted)} accepted, "
        f"statuses {dict(load.statuses)}"
    )
    rate = processed / elapsed if elapsed else 0.0
    print(
        f"processing: {processed} messages in {elapsed:.0f} s "
        f"({rate:.1f}/s overall); backlog drained "
        f"{drain_time:.0f} s after the load stopped; final states {states}"
    )
    print(
        f"in and processed: {rate:.1f} messages/s -> "
        f"{'target met' if rate >= TARGET_RATE else 'target NOT met'} "
        f"(>= {TARGET_RATE}/s, figure only: the checks below decide the status)"
    )
    if plain is not None and plain.rate():
        print(
            f"beside it, Odoo's bare create route (processes nothing), "
            f"{args.plain_seconds:g} s: {plain.rate():.1f} req/s, p99 "
            f"{plain.percentile(0.99):.1f} ms; in and processed / bare create = "
            f"{rate / plain.rate():.2f}x"
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
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
