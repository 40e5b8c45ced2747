"""Where the gateway's accept spends its CPU: Odoo's whole request, in this process.

Sends ``--requests`` governed requests (``POST /interop/v1/inbound/bench-lab/...``,
signed, 1 KB) and as many plain ORM-create requests (``POST /interop_bench/plain``)
through Odoo's WSGI application (``odoo.http.root``) in this process: the request
parsed, the database chosen, the registry checked, the route matched and dispatched,
the response built; no socket, no prefork worker, no job runner (the messages stay
queued). Prints the CPU of this process (Odoo's side alone: PostgreSQL's work is in
its own processes) and the wall time per request of each route, measured in
alternating rounds, then a ``cProfile`` pass of each route (``--top`` functions by
cumulative time).

``bench/standards.py --profile`` and ``bench/profile_drain.py`` profile the adapters'
and the drains' own methods; this one adds what Odoo's HTTP layer costs around them.
"""

import argparse
import cProfile
import io
import pstats
import sys
import time

from harness import Setup, governed_request, machine, plain_request

ROUTES = {"governed": governed_request, "plain": plain_request}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="interop_bench_sustained")
    parser.add_argument("--keep-db", action="store_true", help="reuse the database")
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    setup = Setup()
    if not args.keep_db:
        setup.create_database(args.db)
    sys.path.insert(0, setup.odoo_src)
    from werkzeug.test import EnvironBuilder

    import odoo

    odoo.tools.config.parse_config(
        ["-c", setup.conf, "-d", args.db, f"--addons-path={setup.addons_path}"]
    )
    odoo.tools.config["log_level"] = "warn"
    odoo.netsvc.init_logger()
    odoo.service.server.load_server_wide_modules()
    application = odoo.http.root
    sequence = iter(range(10**8, 10**9))

    def call(make):
        method, path, body, headers = make(next(sequence))
        headers = {k: v for k, v in headers.items() if k != "Connection"}
        environ = EnvironBuilder(
            path=path,
            method=method,
            data=body,
            headers=headers,
            base_url="http://127.0.0.1:8069",
        ).get_environ()
        environ["REMOTE_ADDR"] = "127.0.0.1"
        statuses = []
        b"".join(application(environ, lambda status, *_rest: statuses.append(status)))
        if not statuses[0].startswith("20"):
            raise SystemExit(f"{path}: answered {statuses[0]}")

    for _warm in range(50):
        for make in ROUTES.values():
            call(make)
    cpu = dict.fromkeys(ROUTES, 0.0)
    wall = dict.fromkeys(ROUTES, 0.0)
    per_round = max(1, args.requests // args.rounds)
    for round_ in range(args.rounds):
        order = list(ROUTES) if round_ % 2 == 0 else list(reversed(ROUTES))
        for name in order:
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            for _n in range(per_round):
                call(ROUTES[name])
            cpu[name] += time.process_time() - cpu_start
            wall[name] += time.perf_counter() - wall_start
    count = per_round * args.rounds
    print(f"Accept through Odoo's WSGI application, in this process ({machine()})")
    for name in ROUTES:
        print(
            f"  {name:9s} {count} requests: Odoo CPU {cpu[name] / count * 1000:.2f} ms "
            f"a request, wall {wall[name] / count * 1000:.2f} ms"
        )
    print(
        f"  governed/plain Odoo CPU: {cpu['governed'] / cpu['plain']:.2f}x "
        "(the plain route creates one record with the ORM and processes nothing)"
    )
    for name, make in ROUTES.items():
        profiler = cProfile.Profile()
        profiler.enable()
        for _n in range(count // 2):
            call(make)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(args.top)
        print(f"\n{name}: profiled pass of {count // 2} requests\n{out.getvalue()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
