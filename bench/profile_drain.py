"""Where a drain spends its time: cProfile and the SQL statements of processing.

Queues ``--messages`` signed 1 KB messages through the gateway (Odoo prefork, runner
off), then runs the drains in this process (no job runner, no HTTP) one after the
other until nothing is queued, each in its own transaction, under ``cProfile``
(``--no-cprofile``: without, for figures cProfile does not inflate), with every SQL
statement timed by a wrapper around Odoo's cursor (statements normalised: numbers
and strings replaced; ``--origins``: the line of the suite that sent each). Prints
messages/s, statements and their time per message, the time of each step of a
message (claim, payload, handler, attempts, states, savepoints, commit...), the
statements that cost most, and the functions that cost most.

Then, in the same process, the encryption of these very payloads: Fernet (the stored
format) against AES-GCM, both from ``cryptography``, per message, in alternating
rounds, beside the drain's cost per message.

``pg_stat_statements`` would give PostgreSQL's side of the same statements, but it
must be preloaded (a restart of the cluster, which others share here): the wrapper
times each statement as the worker waits for it, which is what a drain pays.
"""

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
import traceback
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


#: the steps of a drain timed apart: (model, method, label, depth in the listing)
STEPS = [
    ("interop.message.dispatch", "_drain_claim", "claim the next chunk (lock)", 0),
    ("interop.message.dispatch", "_hand_over", "hand over (next drain ensured)", 0),
    ("interop.message.dispatch", "_drain_batch", "chunks processed together", 0),
    ("interop.message", "_call_handler", "call the handler", 1),
    ("interop.message", "_get_payload", "read the payload", 2),
    ("interop.crypto", "_decrypt", "decrypt (Fernet)", 3),
    ("interop.event.type", "_filter_copyable", "PHI filter", 2),
    ("interop.bench.record", "_interop_handle_bench", "the handler (bench record)", 2),
    ("interop.message.attempt", "create", "attempts (create)", 1),
    ("interop.message.link", "create", "record links (create)", 1),
    ("interop.exception", "_resolve_for_messages", "resolve exceptions", 1),
    ("interop.message.dispatch", "_drain_each", "one by one (failing, their chunk)", 0),
    ("interop.exception", "_raise_for_message", "open the exception", 1),
]
#: SQL statements summed by what they do (a prefix of the normalised text)
SQL_GROUPS = [
    ("message states (UPDATE interop_message ...)", ("UPDATE interop_message",)),
    ("savepoints", ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")),
    (
        "payload rows read",
        (
            'SELECT "interop_message"."id", "interop_message"."payl',
            'SELECT "interop_message"."id", "interop_message"."state", "interop_mess',
        ),
    ),
    ("the handler's insert", ('INSERT INTO "interop_bench_record"',)),
    (
        "attempts: insert, company",
        ('INSERT INTO "interop_message_attempt"', 'UPDATE "interop_message_attempt"'),
    ),
    (
        "links: insert, company",
        ('INSERT INTO "interop_message_link"', 'UPDATE "interop_message_link"'),
    ),
]


def origin_of_statement():
    """The innermost lines of the suite (not Odoo's) that sent a statement."""
    frames = [
        f
        for f in traceback.extract_stack()[:-2]
        if ("/interop" in f.filename or "interop_bench" in f.filename)
        and "profile_drain" not in f.filename
        and "odoo-18.0" not in f.filename
    ]
    return " < ".join(
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}"
        for f in frames[-2:][::-1]
    )


def crypto_compare(payloads, key, rounds=6):
    """Per message, in microseconds: Fernet and AES-GCM (256-bit, 12-byte nonce,
    base64 text as stored) encrypting then decrypting these payloads, in alternating
    rounds (ABBA...) so that the machine's drift weighs on both."""
    import base64
    import os

    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    fernet = Fernet(key)
    aesgcm = AESGCM(base64.urlsafe_b64decode(key))

    def fernet_round():
        t0 = time.perf_counter()
        tokens = [fernet.encrypt(p).decode() for p in payloads]
        t1 = time.perf_counter()
        for token in tokens:
            fernet.decrypt(token.encode())
        return t1 - t0, time.perf_counter() - t1

    def aesgcm_round():
        t0 = time.perf_counter()
        tokens = []
        for p in payloads:
            nonce = os.urandom(12)
            tokens.append(
                base64.b64encode(nonce + aesgcm.encrypt(nonce, p, None)).decode()
            )
        t1 = time.perf_counter()
        for token in tokens:
            raw = base64.b64decode(token)
            aesgcm.decrypt(raw[:12], raw[12:], None)
        return t1 - t0, time.perf_counter() - t1

    results = {"Fernet": [0.0, 0.0], "AES-GCM": [0.0, 0.0]}
    for n in range(rounds):
        order = [("Fernet", fernet_round), ("AES-GCM", aesgcm_round)]
        if n % 2:
            order.reverse()
        for name, func in order:
            enc, dec = func()
            results[name][0] += enc
            results[name][1] += dec
    count = len(payloads) * rounds
    return {
        name: (enc / count * 1e6, dec / count * 1e6)
        for name, (enc, dec) in results.items()
    }


def time_steps(registry):
    """Wrap the methods of :data:`STEPS` with a timer: ``({label: [calls,
    seconds]}, what to restore)``."""
    steps = defaultdict(lambda: [0, 0.0])
    patched = []
    for model, method, label, _depth in STEPS:
        if model not in registry or not hasattr(registry[model], method):
            continue
        cls = registry[model]
        function = getattr(cls, method)

        def wrapper(*args, _function=function, _label=label, **kwargs):
            start = time.perf_counter()
            try:
                return _function(*args, **kwargs)
            finally:
                step = steps[_label]
                step[0] += 1
                step[1] += time.perf_counter() - start

        patched.append((cls, method, cls.__dict__.get(method)))
        setattr(cls, method, wrapper)
    return steps, patched


def profile(setup, db, batch_size, top, use_cprofile=True, origins=False):
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
    stats = defaultdict(lambda: [0, 0.0])
    where = {}
    original = Cursor.execute

    def timed(self, query, params=None, log_exceptions=True):
        start = time.perf_counter()
        try:
            return original(self, query, params, log_exceptions)
        finally:
            entry = stats[normalise(query)]
            entry[0] += 1
            entry[1] += time.perf_counter() - start
            if origins and entry[0] == 1:
                where[normalise(query)] = origin_of_statement()

    steps, patched = time_steps(registry)

    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        event_type = env["interop.event.type"].search([("code", "=", BENCH_EVENT)])
        event_type_id = event_type.id
        set_batch_size(setup, db, batch_size)
    profiler = cProfile.Profile()
    processed = drains = 0
    commit_time = 0.0
    Cursor.execute = timed
    start = time.perf_counter()
    try:
        while True:
            with registry.cursor() as cr:
                env = api.Environment(cr, odoo.SUPERUSER_ID, {"job_uuid": "profile"})
                dispatch = env["interop.message.dispatch"]
                if use_cprofile:
                    profiler.enable()
                dispatch._job_drain(event_type_id)
                if use_cprofile:
                    profiler.disable()
                started = time.perf_counter()
                cr.commit()
                commit_time += time.perf_counter() - started
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
        for cls, method, previous in patched:
            if previous is None:
                delattr(cls, method)
            else:
                setattr(cls, method, previous)
    per_message = elapsed / processed * 1000
    print(
        f"\nDrain profile: {processed} messages in {drains - 1} drains of up to "
        f"{batch_size}, {elapsed:.2f} s in this process ({processed / elapsed:.1f} "
        f"messages/s, {per_message:.2f} ms each; cProfile "
        f"{'on' if use_cprofile else 'off'}; {machine()}; load average "
        f"{load_average()})"
    )
    report_steps(processed, per_message, steps, commit_time)
    report_sql(processed, elapsed, stats, where, top)
    if use_cprofile:
        report_cprofile(profiler, top)

    # the same payloads, encrypted and decrypted both ways, in this process
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        crypto = env["interop.crypto"]
        cr.execute(
            "SELECT payload_enc FROM interop_message WHERE payload_enc IS NOT NULL"
        )
        payloads = [crypto._decrypt_bytes(row[0]) for row in cr.fetchall()]
        key = current_fernet_key(crypto)
    figures = crypto_compare(payloads, key)
    size = sum(len(p) for p in payloads) / len(payloads)
    print(
        f"\nPayload encryption, the {len(payloads)} payloads above ({size:.0f} bytes "
        f"on average), microseconds per message, same process, alternating rounds "
        f"(load average {load_average()}):"
    )
    for name, (enc, dec) in figures.items():
        print(f"  {name:8s} encrypt {enc:7.1f}  decrypt {dec:7.1f}")
    saved = figures["Fernet"][1] - figures["AES-GCM"][1]
    print(
        f"  AES-GCM saves {saved:.1f} us per message in processing (decrypt): "
        f"{saved / 1000 / per_message:.1%} of the drain's {per_message:.2f} ms per "
        f"message; {figures['Fernet'][0] - figures['AES-GCM'][0]:.1f} us per "
        "message in ingestion (encrypt)"
    )
    return processed


def report_steps(processed, per_message, steps, commit_time):
    print("\nSteps per message (ms; a step includes those indented under it):")
    print(f"  {'whole drain, commit included':44s} {per_message:7.3f}  100%")
    for _model, _method, label, depth in STEPS:
        if label in steps:
            count, total = steps[label]
            ms = total / processed * 1000
            print(
                f"  {'  ' * depth + label:44s} {ms:7.3f}  {ms / per_message:4.0%}"
                f"  ({count} calls)"
            )
    ms = commit_time / processed * 1000
    print(f"  {'commit':44s} {ms:7.3f}  {ms / per_message:4.0%}")


def report_sql(processed, elapsed, stats, where, top):
    statements = sum(n for n, _t in stats.values())
    sql_time = sum(t for _n, t in stats.values())
    print(
        f"\nSQL: {statements / processed:.1f} statements per message, "
        f"{sql_time / processed * 1000:.2f} ms per message waiting for PostgreSQL "
        f"({sql_time / elapsed:.0%} of the time)"
    )
    print("SQL per message by kind (count, ms):")
    for label, prefixes in SQL_GROUPS:
        count = total = 0
        for query, (n, t) in stats.items():
            if query.startswith(prefixes):
                count += n
                total += t
        print(
            f"  {label:44s} {count / processed:5.2f} x {total / processed * 1000:6.3f}"
        )
    print("\nStatements by total time (per message: count, ms):")
    for query, (count, total) in sorted(stats.items(), key=lambda i: -i[1][1])[:top]:
        print(
            f"  {count / processed:6.2f} x {total / processed * 1000:6.3f} ms  {query}"
        )
        if query in where:
            print(f"{'':24s}from {where[query]}")


def report_cprofile(profiler, top):
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print("\nFunctions by own time:")
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top * 2)
    print("Functions by cumulative time:")
    print(out.getvalue())


def current_fernet_key(crypto):
    """The configured current key (a Fernet key), as the keys' specification
    gives it."""
    import os

    from odoo import tools

    from odoo.addons.interop.models.interop_crypto import CONFIG_OPTION, ENV_VARIABLE

    spec = os.environ.get(ENV_VARIABLE) or tools.config.get(CONFIG_OPTION)
    key_id = crypto._current_key_id()
    for item in spec.split(","):
        ident, _sep, key = item.strip().partition(":")
        if ident == key_id:
            return key.encode()
    raise RuntimeError("no current key")


def load_average():
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="interop_bench_profile")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--fail-every", type=int, default=100, help="0: none fails")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--no-cprofile", action="store_true", help="steps and SQL only (no cProfile)"
    )
    parser.add_argument(
        "--origins", action="store_true", help="the line that sent each statement"
    )
    parser.add_argument(
        "--no-queue", action="store_true", help="drain what is queued already"
    )
    parser.add_argument(
        "--queue-only",
        action="store_true",
        help="queue, do not drain (then --keep-db --no-queue: two trees side by side)",
    )
    args = parser.parse_args()
    setup = Setup()
    if not args.keep_db:
        setup.create_database(args.db)
    if not args.no_queue:
        queue(setup, args.db, args.messages, args.fail_every)
    if args.queue_only:
        return 0
    profile(
        setup,
        args.db,
        args.batch_size,
        args.top,
        use_cprofile=not args.no_cprofile,
        origins=args.origins,
    )
    log(f"states after the profile: {message_states(setup, args.db)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
