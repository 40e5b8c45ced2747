"""Fast while busy: the gateway's latency while its messages are processed.

One Odoo (prefork, 2 workers) with queue_job's runner on, as in production. Three
routes take the same 1 KB JSON from ``--clients`` partners, each for a cell of
``--seconds``, in rotating order over ``--rounds`` rounds (a drift of the machine
weighs on all alike):

- governed: the gateway (key, signature, Idempotency-Key), its drains processing the
  messages while the next ones arrive;
- delay: Odoo's own ``create`` + ``with_delay()`` (bench/addons/interop_bench), its
  jobs processing the records;
- plain: a bare ORM create that processes nothing (the latency a partner would see
  with no back office at all).

After a cell of a route that processes, the time until its backlog is drained is
measured (it must be within ``--drain-limit`` s for the cell's throughput to count as
accepted *and* processed). Each client mode is measured: a new connection per
request (``close``), kept open (``keep-alive``) and, when it is installed, ``wrk``
(issue 23's own measure: a C client, the requests made and signed before each cell,
connections kept open). Targets: governed p99 <= 2x plain p99, governed
accept+process throughput >= 2x delay's.
"""

import argparse
import functools
import sys
import time

import wrk
from harness import (
    BENCH_ENDPOINT,
    LoadResult,
    OdooServer,
    Setup,
    delay_request,
    free_port,
    governed_request,
    log,
    machine,
    plain_request,
    run_load,
)
from processing import reset, set_param

ROUTES = {
    "governed": governed_request,
    "delay": delay_request,
    "plain": plain_request,
}


def shifted(make, offset, n):
    """``make``'s request ``offset + n``: each cell's requests (and keys) its own."""
    return make(offset + n)


def set_batch_seconds(setup, db, seconds):
    """Set interop.processing_batch_seconds and tell every worker to reload its
    cached parameters (as ``set_param`` through the ORM would)."""
    set_param(setup, db, "interop.processing_batch_seconds", seconds)
    setup.query(db, "SELECT nextval('base_cache_signaling_default')")


def backlog(setup, db, route):
    if route.startswith("governed"):
        sql = (
            "SELECT count(*) FROM interop_message m JOIN interop_endpoint e"
            " ON e.id = m.endpoint_id WHERE e.code = %s AND m.state = 'queued'"
        )
        return setup.query(db, sql, (BENCH_ENDPOINT,))[0][0]
    if route == "delay":
        return setup.query(
            db,
            "SELECT count(*) FROM interop_bench_record"
            " WHERE origin = 'delay' AND date_processed IS NULL",
        )[0][0]
    return 0


def wait_drained(setup, db, route, timeout):
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if not backlog(setup, db, route):
            return time.perf_counter() - start
        time.sleep(0.1)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="interop_bench_busy")
    parser.add_argument("--seconds", type=float, default=10, help="per cell")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--modes",
        default="close,keep-alive" + (",wrk" if wrk.available() else ""),
        help="client modes: close, keep-alive, wrk",
    )
    parser.add_argument(
        "--max-rate",
        type=float,
        default=1500,
        help="wrk mode: requests prepared per second of a cell",
    )
    parser.add_argument("--fail-every", type=int, default=100, help="0: none fails")
    parser.add_argument("--drain-limit", type=float, default=5)
    parser.add_argument(
        "--channels", help="queue_job channels instead of the configuration's"
    )
    parser.add_argument(
        "--batch-seconds",
        help="interop.processing_batch_seconds values to compare side by side in one"
        " run, e.g. 0.1,0.25,0.5,0 (a governed cell for each, in rotating order;"
        " default: the database's)",
    )
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    setup = Setup()
    if not args.keep_db:
        setup.create_database(args.db)
    reset(setup, args.db)
    port = free_port()
    results = {}
    fail_every = args.fail_every

    def governed(n):
        return governed_request(n, fail=bool(fail_every) and n % fail_every == 0)

    settings = args.batch_seconds.split(",") if args.batch_seconds else [None]
    makers = {
        (f"governed@{value}" if value is not None else "governed"): governed
        for value in settings
    }
    makers.update(delay=ROUTES["delay"], plain=ROUTES["plain"])
    seconds_of = {f"governed@{value}": value for value in settings if value is not None}
    with OdooServer(
        setup, args.db, port, runner=True, name="busy", channels=args.channels
    ):
        log("warming up the three routes")
        for make in makers.values():
            run_load(port, make, clients=2, count=100, label="warmup")
        for route in makers:
            wait_drained(setup, args.db, route, 60)
        offset = 10**8
        for mode in args.modes.split(","):
            totals = {route: LoadResult(route, args.clients) for route in makers}
            drains = {route: [] for route in makers}
            order = list(makers)
            for round_no in range(args.rounds):
                shift = round_no % len(order)
                for route in order[shift:] + order[:shift]:
                    offset += 10**6
                    if route in seconds_of:
                        set_batch_seconds(setup, args.db, seconds_of[route])
                    make = functools.partial(shifted, makers[route], offset)
                    part = wrk.send(
                        port,
                        make,
                        args.clients,
                        args.seconds,
                        route,
                        use_wrk=mode == "wrk",
                        max_rate=args.max_rate,
                        keep_alive=mode == "keep-alive",
                    )
                    drained = wait_drained(setup, args.db, route, 120)
                    drains[route].append(drained)
                    log(
                        f"{mode} round {round_no + 1}: {part.summary()}"
                        + (
                            f"  drained {drained:.1f} s after"
                            if drained is not None and route != "plain"
                            else ""
                        )
                    )
                    totals[route].merge(part)
            results[mode] = (totals, drains)
    print(
        f"\nFast while busy: {args.clients} clients, cells of {args.seconds:g} s x "
        f"{args.rounds} rounds, Odoo prefork 2 workers with its job runner "
        f"(channels {args.channels or 'of the configuration'}), 1 in "
        f"{args.fail_every} governed messages failing ({machine()})"
    )
    met = True
    for mode, (totals, drains) in results.items():
        print(f"-- {mode}")
        for route, total in totals.items():
            waits = [d for d in drains[route] if d is not None]
            print(
                total.summary()
                + (
                    f"  drain after cells: max {max(waits):.1f} s"
                    + (
                        " (one never drained)"
                        if len(waits) < len(drains[route])
                        else ""
                    )
                    if route != "plain" and waits
                    else ""
                )
            )
        plain = totals["plain"]
        # accepted, over the cells' time and the drains after them (a backlog never
        # drained counts the whole wait)
        rates = {
            route: totals[route].count
            / (
                totals[route].elapsed
                + sum(d if d is not None else 120 for d in drains[route])
            )
            for route in totals
            if route != "plain"
        }
        print(f"accept+process: delay {rates['delay']:.1f}/s")
        for route in (r for r in totals if r.startswith("governed")):
            gov = totals[route]
            p99_ratio = gov.percentile(0.99) / plain.percentile(0.99)
            rate_ratio = rates[route] / rates["delay"]
            kept_pace = all(
                d is not None and d <= args.drain_limit for d in drains[route]
            )
            ran_out = totals[route].exhausted or plain.exhausted
            ok = p99_ratio <= 2 and rate_ratio >= 2 and kept_pace and not ran_out
            bad = sum(n for status, n in gov.statuses.items() if status != 202)
            print(
                f"{mode} {route}: p99 / plain p99 = {p99_ratio:.2f}x (target <= 2x); "
                f"accept+process {rates[route]:.1f}/s = {rate_ratio:.2f}x delay's "
                f"(target >= 2x); backlog drained within {args.drain_limit:g} s of "
                f"every cell: {'yes' if kept_pace else 'NO'} -> "
                f"{'target met' if ok else 'target NOT met'}"
                + (f"; {bad} answers were not 202" if bad else "")
                + (
                    "; a cell ran out of its requests: raise --max-rate"
                    if ran_out
                    else ""
                )
            )
            met &= ok and not bad
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
