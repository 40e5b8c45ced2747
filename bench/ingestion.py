"""Ingestion: the governed gateway route against a plain Odoo route, in one run.

Governed: POST /interop/v1/inbound/bench-lab/bench.result with API key, HMAC
signature and an Idempotency-Key, 1 KB of JSON: authenticated, rate-counted,
validated, logged encrypted and queued. Plain: POST /interop_bench/plain, the same
body parsed and stored as one record with the ORM (bench/addons/interop_bench).

Both run on the same Odoo (prefork, 2 workers, one fixed database, job runner off so
that ingestion is measured alone), alternating in rounds, at 1 and 8 concurrent
clients. Prints req/s, p50 and p99 of each, and the ratios. Targets: governed
throughput >= 1.0x plain, governed p99 <= 1.5x plain.
"""

import argparse
import sys

from harness import (
    OdooServer,
    Setup,
    alternate_rounds,
    free_port,
    governed_request,
    log,
    machine,
    plain_request,
    run_load,
)

#: requests prepared per second of a round: more than this machine answers (a
#: faster one ends the round early, on the count, and its rate is still right)
PREPARED_PER_SECOND = 2000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="interop_bench_ingest")
    parser.add_argument("--seconds", type=float, default=3, help="per route and round")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-db", action="store_true", help="reuse the database")
    args = parser.parse_args()
    setup = Setup()
    if not args.keep_db:
        setup.create_database(args.db)
    port = free_port()
    results = {}
    with OdooServer(setup, args.db, port, workers=args.workers, runner=False):
        log("warming up both routes")
        for make in (governed_request, plain_request):
            run_load(port, make, clients=2, count=200, label="warmup")
        for clients in (int(c) for c in args.clients.split(",")):
            (governed, plain), round_ratios = alternate_rounds(
                port,
                [("governed", governed_request), ("plain", plain_request)],
                clients,
                args.rounds,
                args.seconds,
                PREPARED_PER_SECOND,
            )
            results[clients] = (governed, plain, round_ratios)
    print(f"\nIngestion, 1 KB JSON, Odoo prefork {args.workers} workers ({machine()})")
    met = True
    for clients, (governed, plain, round_ratios) in results.items():
        print(governed.summary())
        print(plain.summary())
        ratio = governed.rate() / plain.rate()
        p99_ratio = governed.percentile(0.99) / plain.percentile(0.99)
        ok = ratio >= 1.0 and p99_ratio <= 1.5
        met &= ok
        bad = sum(n for status, n in governed.statuses.items() if status != 202)
        print(
            f"c={clients}: throughput governed/plain = {ratio:.2f}x "
            f"(rounds: {', '.join(f'{r:.2f}' for r in round_ratios)}), "
            f"p99 governed/plain = {p99_ratio:.2f}x -> "
            f"{'target met' if ok else 'target NOT met'}"
            + (f"; {bad} governed answers were not 202" if bad else "")
        )
        met &= not bad
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
