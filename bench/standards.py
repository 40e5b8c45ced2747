"""Healthcare standards at the edge: HL7 v2 DFT intake against the JSON gateway, in
one run, and a 10,000-claim X12 835 remittance imported and balanced.

1. Intake: ``POST /interop/v1/hl7/bench-lab`` (a signed DFT^P03, ER7: parsed by
   ``hl7``, checked and converted, logged queued as the original, whose drain stores
   its canonical ``service.completed`` child, answered with an ACK) against
   ``POST /interop/v1/inbound/bench-lab/service.completed`` (the same visit, party,
   coverage and charge as the JSON the DFT becomes, signed, with an
   Idempotency-Key). Same Odoo (prefork, 2 workers, job runner off: intake
   alone), rounds alternating ABBA. Target: HL7 >= 0.8x JSON.
2. X12 835: one signed ``POST /interop/v1/x12/bench-lab`` of a file of --claims
   claims (1 in 100 partly paid, 1 in 100 denied: exceptions), validated by pyx12,
   balanced, stored as a remittance with one payment.status message per paid
   claim. Target: < 60 s.

Prints figures; exits 1 when a target is missed.

``--before-conf PATH``: a second Odoo on the same database with the addons path of
that configuration (another version of the code, e.g. the main branch's tree): the
intake measured on both in the same run, their rounds interleaved (each turn an
AB BA pair of rounds on one server), each server's HL7/JSON reported.

``--profile N``: instead, where each route spends its time: N DFTs and N JSON
requests handed to the gateway in this process (no HTTP), each request in its own
transaction as the public user (as a worker runs it), under ``cProfile``, every
SQL statement counted and timed by a wrapper around Odoo's cursor (the method of
``bench/profile_drain.py``). Prints per request: the time, the statements, the
functions that cost most, and the time of each step of the HL7 route.
"""

import argparse
import configparser
import cProfile
import hashlib
import hmac
import io
import json
import pstats
import sys
import time
import uuid
from decimal import Decimal

from harness import (
    BENCH_ADDONS,
    BENCH_ENDPOINT,
    BENCH_KEY,
    BENCH_MODULES,
    BENCH_SECRET,
    OdooServer,
    Setup,
    alternate_rounds,
    cpu_seconds,
    free_port,
    log,
    machine,
    request,
    run_load,
)

HL7_PATH = f"/interop/v1/hl7/{BENCH_ENDPOINT}"
JSON_PATH = f"/interop/v1/inbound/{BENCH_ENDPOINT}/service.completed"
X12_PATH = f"/interop/v1/x12/{BENCH_ENDPOINT}"
PREPARED_PER_SECOND = 1000

DFT = (
    "MSH|^~\\&|CARESLOT|MERIDIAN|INTEROP|MERIDIAN|20261201103000||DFT^P03^DFT_P03"
    "|{control}|P|2.5.1\r"
    "EVN|P03|20261201103000\r"
    "PID|1||MRN-{n}^^^CARESLOT^MR||Gomez^Maria||19870412|F|||7 Elm Street^^"
    "Springfield^^01101^US||+1 555 0190^PRN^PH^maria.gomez@example.com\r"
    "PV1|1|O|MD-N01^^^MERIDIAN||||NPI-1457382910^Silva^Ana||||||||||||{visit}\r"
    "FT1|1|||20261201103000||CG|70551^MRI brain^CPT|||1||||||||||NPI-1457382910"
    "^Silva^Ana|||||70551^MRI brain^C4\r"
    "GT1|1|RP-{n}|Gomez^Maria||7 Elm Street^^Springfield^^01101^US|+1 555 0190^"
    "PRN^PH^maria.gomez@example.com||19870412\r"
    "IN1|1|PLAN-2101|NWH-001|North West Health"
)


def canonical(n, visit):
    """The service.completed event the DFT above becomes (the HL7 adapter's
    mapping), as a JSON sender sends it."""
    return {
        "event_id": f"json:{n}",
        "visit": {
            "id": visit,
            "completed_at": "2026-12-01T10:30:00Z",
            "location": "MD-N01",
            "provider": {"id": "NPI-1457382910"},
        },
        "responsible_party": {
            "id": f"RP-{n}",
            "name": "Maria Gomez",
            "phone": "+1 555 0190",
            "email": "maria.gomez@example.com",
            "birth_date": "1987-04-12",
            "address": {
                "street": "7 Elm Street",
                "city": "Springfield",
                "zip": "01101",
                "country": "US",
            },
        },
        "coverage": {"payer_code": "NWH-001", "plan_ref": "PLAN-2101"},
        "lines": [{"service_code": "70551", "quantity": 1.0, "date": "2026-12-01"}],
    }


def sign(path, body, content_type, idempotency_key=None):
    timestamp = str(int(time.time()))
    canonical_string = f"POST\n{path}\n{idempotency_key or ''}\n{timestamp}\n"
    digest = hmac.new(
        BENCH_SECRET.encode(), canonical_string.encode() + body, hashlib.sha256
    ).hexdigest()
    headers = {
        "Content-Type": content_type,
        "Authorization": f"Bearer {BENCH_KEY}",
        "X-Interop-Timestamp": timestamp,
        "X-Interop-Signature": f"sha256={digest}",
        "Connection": "close",
    }
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return headers


def hl7_request(n):
    tag = uuid.uuid4().hex[:10]
    body = DFT.format(control=f"B{n}-{tag}", n=n, visit=f"V-{n}-{tag}").encode()
    return "POST", HL7_PATH, body, sign(HL7_PATH, body, "x-application/hl7-v2+er7")


def json_request(n):
    tag = uuid.uuid4().hex[:10]
    body = json.dumps(canonical(f"{n}-{tag}", f"V-{n}-{tag}")).encode()
    return (
        "POST",
        JSON_PATH,
        body,
        sign(JSON_PATH, body, "application/json", f"bench-{n}-{tag}"),
    )


def era_835(claims, trace):
    """An 835 of ``claims`` claims that balances: 98 in 100 paid in full, 1 in
    part (contractual and coinsurance adjustments), 1 denied."""
    segments = [
        (
            "ISA*00*          *00*          *ZZ*PAYERSENDER    *ZZ*PROVIDERRCV    "
            "*261201*1200*^*00501*000000101*0*T*:"
        ),
        "GS*HP*PAYERSENDER*PROVIDERRCV*20261201*1200*101*X*005010X221A1",
        "ST*835*0001",
        None,  # BPR, once the total is known
        f"TRN*1*{trace}*1512345678",
        "DTM*405*20261202",
        "N1*PR*NORTH WEST HEALTH",
        "N3*1 PAYER WAY",
        "N4*SPRINGFIELD*IL*62701",
        "PER*BL*CLAIMS*TE*5555550100",
        "N1*PE*BENCH LABORATORY*XX*1234567893",
        "LX*1",
    ]
    total = Decimal(0)
    for n in range(1, claims + 1):
        charged = Decimal(100 + n % 400) + Decimal("0.50")
        if n % 100 == 50:  # denied
            segments += [
                f"CLP*INV/BENCH/{n:06d}*4*{charged}*0*0*12*PCN{n:06d}*11*1",
                f"CAS*CO*197*{charged}",
            ]
        elif n % 100 == 99:  # partly paid
            paid = (charged * Decimal("0.7")).quantize(Decimal("0.01"))
            patient = (charged * Decimal("0.1")).quantize(Decimal("0.01"))
            segments += [
                (
                    f"CLP*INV/BENCH/{n:06d}*1*{charged}*{paid}*{patient}*12"
                    f"*PCN{n:06d}*11*1"
                ),
                f"CAS*CO*45*{charged - paid - patient}",
                f"CAS*PR*2*{patient}",
            ]
            total += paid
        else:
            segments.append(
                f"CLP*INV/BENCH/{n:06d}*1*{charged}*{charged}*0*12*PCN{n:06d}*11*1"
            )
            total += charged
        segments += [f"NM1*QC*1*DOE*PAT{n}****MI*MEMBER{n:06d}", "DTM*232*20261201"]
    segments[3] = (
        f"BPR*I*{total}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880"
        "*DA*98765*20261203"
    )
    count = len(segments) - 2 + 1  # ST to SE
    segments += [f"SE*{count}*0001", "GE*1*101", "IEA*1*000000101"]
    return "~\n".join(segments) + "~\n"


def warm_up(port):
    for make, expected in ((hl7_request, 200), (json_request, 202)):
        warm = run_load(port, make, clients=2, count=100, label="warmup")
        if set(warm.statuses) != {expected}:
            raise SystemExit(f"warm-up answered {dict(warm.statuses)}")
    method, path, dft, headers = hl7_request(0)
    status, body = request(port, method, path, dft, headers)
    if b"MSA|AA" not in body:
        raise SystemExit(f"the DFT was not accepted: {status} {body[:300]!r}")


def intake(servers, args):
    """HL7 against JSON on each server of ``servers`` (``{name: OdooServer}``):
    with two (``--before-conf``), two code versions measured in the same run, their
    rounds interleaved (each turn an AB BA pair of rounds on one server, the
    servers' order alternating from turn to turn). The CPU time of each route is
    read around its rounds (Odoo, PostgreSQL's backends, the client threads): at
    several clients the two cores are the bound, and the rates' ratio is theirs."""
    log("warming up both routes")
    for server in servers.values():
        warm_up(server.port)
    routes = [("hl7 dft", hl7_request), ("json", json_request)]
    results = {}
    for clients in (int(c) for c in args.clients.split(",")):
        if len(servers) == 1:
            ((name, server),) = servers.items()
            results[name, clients] = alternate_rounds(
                server.port,
                routes,
                clients,
                args.rounds,
                args.seconds,
                PREPARED_PER_SECOND,
                cpu=lambda server=server: cpu_seconds(server, args.db),
            )
            continue
        order = list(servers.items())
        for turn in range(max(1, args.rounds // 2)):
            for name, server in order if turn % 2 == 0 else reversed(order):
                log(f"{name}, turn {turn + 1}")
                totals, ratios = alternate_rounds(
                    server.port,
                    routes,
                    clients,
                    2,
                    args.seconds,
                    PREPARED_PER_SECOND,
                    cpu=lambda server=server: cpu_seconds(server, args.db),
                )
                if (name, clients) not in results:
                    results[name, clients] = (totals, ratios)
                    continue
                for total, part in zip(results[name, clients][0], totals, strict=True):
                    total.merge(part)
                results[name, clients][1].extend(ratios)
    met = True
    print(f"\nHL7 v2 DFT^P03 against JSON service.completed ({machine()})")
    for (name, clients), ((hl7_total, json_total), ratios) in sorted(
        results.items(), key=lambda item: (item[0][1], item[0][0])
    ):
        for total in (hl7_total, json_total):
            print(total.summary())
            print(f"           {total.cpu_summary()}")
        ratio = hl7_total.rate() / json_total.rate()
        bad = sum(n for s, n in hl7_total.statuses.items() if s != 200) + sum(
            n for s, n in json_total.statuses.items() if s != 202
        )
        ok = ratio >= 0.8 and not bad
        if name == "this code":
            met &= ok
        print(
            f"{name}: c={clients}: throughput HL7/JSON = {ratio:.2f}x (rounds: "
            f"{', '.join(f'{r:.2f}' for r in ratios)}) -> "
            f"{'target met' if ok else 'target NOT met'} (>= 0.8x)"
            + (f"; {bad} unexpected answers" if bad else "")
        )
    return met


def remittance(port, args):
    trace = f"BENCH{uuid.uuid4().hex[:8].upper()}"
    body = era_835(args.claims, trace).encode()
    log(f"posting an 835 of {args.claims:,} claims ({len(body) / 1e6:.1f} MB)")
    start = time.perf_counter()
    status, answer = request(
        port,
        "POST",
        X12_PATH,
        body,
        sign(X12_PATH, body, "application/edi-x12"),
        timeout=900,
    )
    elapsed = time.perf_counter() - start
    try:
        answer = json.loads(answer)
    except ValueError:
        answer = {"body": answer[:300].decode(errors="replace")}
    claims = answer.get("claims") if isinstance(answer, dict) else None
    ok = status == 200 and claims == args.claims and elapsed < 60
    print(
        f"\nX12 835 of {args.claims:,} claims: HTTP {status} in {elapsed:.1f} s "
        f"({args.claims / elapsed:,.0f} claims/s), answer {answer} -> "
        f"{'target met' if ok else 'target NOT met'} (< 60 s)"
    )
    return ok


def hl7_accept(env, headers, body):
    return env["interop.hl7.adapter"]._accept(
        BENCH_ENDPOINT, headers, lambda size: body[:size], length=len(body)
    )


def json_accept(env, headers, body):
    return env["interop.gateway"]._accept(
        BENCH_ENDPOINT,
        "service.completed",
        headers,
        lambda size: body[:size],
        length=len(body),
    )


class StatementCounter:
    """Odoo's ``Cursor.execute`` wrapped: each statement counted and timed under
    the route being measured (statements normalised as ``bench/profile_drain.py``
    does)."""

    def __init__(self, cursor_class):
        from profile_drain import normalise

        self.cursor_class = cursor_class
        self.original = cursor_class.execute
        self.stats = {}  # {route: {statement: [count, seconds]}}
        self.route = None
        counter = self

        def timed(cursor, query, params=None, log_exceptions=True):
            start = time.perf_counter()
            try:
                return counter.original(cursor, query, params, log_exceptions)
            finally:
                if counter.route:
                    entry = counter.stats[counter.route].setdefault(
                        normalise(query), [0, 0.0]
                    )
                    entry[0] += 1
                    entry[1] += time.perf_counter() - start

        cursor_class.execute = timed

    def restore(self):
        self.cursor_class.execute = self.original

    def report(self, route, count, top):
        stats = self.stats.get(route, {})
        statements = sum(n for n, _t in stats.values())
        sql_time = sum(t for _n, t in stats.values())
        print(
            f"{statements / count:.1f} statements each besides the commit, "
            f"{sql_time / count * 1000:.2f} ms waiting for them:"
        )
        for query, (n, total) in sorted(stats.items(), key=lambda i: -i[1][1])[:top]:
            print(f"  {n / count:6.2f} x {total / count * 1000:6.3f} ms  {query}")


def profile(setup, db, count, top):
    """cProfile and SQL statements of ``count`` requests of each route, in this
    process (see the module's docstring): a timed pass, the routes alternating
    request by request (the same load on both), statements counted; then a
    profiled pass of each route."""
    sys.path.insert(0, setup.odoo_src)
    import odoo
    from odoo import api
    from odoo.sql_db import Cursor

    odoo.tools.config.parse_config(
        ["-c", setup.conf, "-d", db, f"--addons-path={setup.addons_path}"]
    )
    odoo.tools.config["log_level"] = "warn"
    odoo.netsvc.init_logger()
    setup.ensure_current(db)  # a database kept from other code
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        public_uid = api.Environment(cr, odoo.SUPERUSER_ID, {}).ref("base.public_user")
        public_uid = public_uid.id
    routes = {"HL7 DFT": (hl7_request, hl7_accept), "JSON": (json_request, json_accept)}

    def one(route, n, profiler=None):
        make, accept = routes[route]
        _method, _path, body, headers = make(10**6 + n)
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        with registry.cursor() as cr:
            answer = accept(api.Environment(cr, public_uid, {}), headers, body)
        if profiler:
            profiler.disable()
        if answer.status not in (200, 202):
            raise SystemExit(f"{route}: answered {answer.status}")
        return time.perf_counter() - start

    counter = StatementCounter(Cursor)
    elapsed = dict.fromkeys(routes, 0.0)
    try:
        for n in range(-50, count):
            for route in routes:
                counter.route = route if n >= 0 else None
                counter.stats.setdefault(route, {})
                took = one(route, n)
                if n >= 0:
                    elapsed[route] += took
    finally:
        counter.route = None
        counter.restore()
    profilers = dict.fromkeys(routes)
    for route in routes:
        profilers[route] = cProfile.Profile()
        for n in range(count, 2 * count):
            one(route, n, profilers[route])
    print(f"Per-request profile of both routes ({machine()})")
    for route, profiler in profilers.items():
        print(
            f"\n{route}: {count} requests, {elapsed[route] / count * 1000:.2f} ms "
            f"each ({count / elapsed[route]:.1f}/s in one process, no HTTP, not "
            "profiled);",
            end=" ",
        )
        counter.report(route, count, top)
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
            print(f"Profiled pass, by {order}:\n{out.getvalue()}")
    print("HL7 route, cumulative ms per request of its functions (profiled pass):")
    steps = pstats.Stats(profilers["HL7 DFT"]).stats
    ranked = sorted(steps.items(), key=lambda i: -i[1][3])
    for (filename, _line, name), (*_counts, cumulative, _callers) in ranked[: top * 2]:
        print(
            f"  {cumulative / count * 1000:7.3f}  {filename.rsplit('/', 1)[-1]}:{name}"
        )
    print(
        f"\nHL7/JSON in this process: {elapsed['JSON'] / elapsed['HL7 DFT']:.2f}x "
        f"({elapsed['HL7 DFT'] / count * 1000:.2f} ms against "
        f"{elapsed['JSON'] / count * 1000:.2f} ms)"
    )
    derive_pass(registry, count)


def derive_pass(registry, count):
    """What the HL7 route leaves to processing: the drain of ``count`` of the
    DFTs just stored (queued originals), each read again and its canonical child
    stored, in chunks as a drain runs them, in this process; rolled back."""
    from odoo import SUPERUSER_ID, api

    from odoo.addons.interop.models.interop_message_dispatch import CHUNK_SIZE

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Message = env["interop.message"]
        original_type = env["interop.event.type"]._find("hl7.v2_message")
        ids = Message.search(
            [("event_type_id", "=", original_type.id), ("state", "=", "queued")],
            limit=count,
            order="id desc",
        ).ids
        env.invalidate_all()
        counts = {"done": 0, "failed": 0, "retry": 0}
        cpu, wall = time.process_time(), time.perf_counter()
        for start in range(0, len(ids), CHUNK_SIZE):
            env["interop.message.dispatch"]._drain_process(
                Message.browse(ids[start : start + CHUNK_SIZE]), False, counts
            )
        env.flush_all()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        children = Message.search_count([("parent_id", "in", ids)])
        cr.rollback()
    print(
        f"Deriving step (the DFTs' drain, in this process, rolled back): "
        f"{len(ids)} originals, {counts['done']} done, {children} children stored; "
        f"{wall / max(len(ids), 1) * 1000:.2f} ms each, "
        f"{cpu / max(len(ids), 1) * 1000:.2f} ms of this process's CPU"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="interop_bench_standards")
    parser.add_argument("--seconds", type=float, default=3, help="per route and round")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=18169, help="first port tried")
    parser.add_argument("--keep-db", action="store_true", help="reuse the database")
    parser.add_argument(
        "--profile", type=int, default=0, help="profile N requests of each route"
    )
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--before-conf",
        help="an Odoo configuration whose addons path holds other code (e.g. the "
        "main branch): its HL7/JSON measured in the same run, rounds interleaved",
    )
    args = parser.parse_args()
    setup = Setup()
    if not args.keep_db:
        setup.create_database(args.db, BENCH_MODULES + ",interop_standards")
    if args.profile:
        profile(setup, args.db, args.profile, args.top)
        return 0
    # an 835 of 10,000 claims is about 1 MB: above the gateway's default limit
    setup.query(
        args.db,
        "UPDATE interop_endpoint SET gateway_max_body_bytes = 50000000 WHERE code = %s",
        (BENCH_ENDPOINT,),
    )
    port = free_port(args.port)
    with OdooServer(setup, args.db, port, runner=False, name="standards") as server:
        if not args.before_conf:
            met = intake({"this code": server}, args)
        else:
            # the code to compare with: the same database, another addons path
            before = Setup()
            before.conf = args.before_conf
            before.options = configparser.ConfigParser()
            before.options.read(args.before_conf)
            before.options = before.options["options"]
            before.addons_path = f"{before.options['addons_path']},{BENCH_ADDONS}"
            other = free_port(port + 1)
            with OdooServer(
                before, args.db, other, runner=False, name="before"
            ) as other_server:
                met = intake({"this code": server, "before": other_server}, args)
        met &= remittance(port, args)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
