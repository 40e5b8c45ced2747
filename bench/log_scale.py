"""Scale of the message log: generate millions of messages, time what operators do.

Usage (make bench-log runs it): python bench/log_scale.py -c ODOO_CONF -d DB
    [--messages 10000000] [--exceptions 100000] [--prune 1000000] [--keep]

Creates DB with the core module (no demo data) unless it exists, generates the rows
with set-based SQL in chunks, then times, each as the median of 5 runs:
  1. the exception queue's default list (My Exceptions + Open, first page),
  2. a message search by business key,
  3. the endpoint form's smart buttons (today / queued / failed / exceptions),
and finally prunes --prune expired messages with the retention cron, batch by batch,
reporting the total and the longest batch (each batch is its own short transaction).
Prints figures only; targets: 1-3 under 100 ms, pruning 1M under 60 s.
"""

import argparse
import json
import statistics
import sys
import time
from unittest.mock import patch

import odoo
from odoo import api, fields
from odoo.tools import config


def timed(fn, runs=5):
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        durations.append((time.perf_counter() - start) * 1000)
    return statistics.median(durations), max(durations)


def sample_payloads(env, count=16, size=1024):
    """``count`` encrypted JSON payloads of about ``size`` bytes, as the gateway stores.

    Real tokens of real-sized messages: pruning rewrites rows of this width, so a
    15-byte token would flatter it.
    """
    crypto = env["interop.crypto"]
    payloads = []
    for n in range(count):
        body = {"resourceType": "Appointment", "id": f"bench-{n}", "note": ""}
        body["note"] = "x" * (size - len(json.dumps(body)))
        payloads.append(crypto._encrypt(json.dumps(body)))
    return payloads


def generate(env, first, messages, exceptions, chunk=500_000):
    """Insert ``messages`` messages numbered from ``first``, and the exceptions.

    They arrive in time order over 400 days, as the gateway writes them: the oldest
    rows, the ones retention prunes, sit together at the start of the table.
    """
    cr = env.cr
    # a retired endpoint receives nothing
    endpoints = env["interop.endpoint"].search([("state", "!=", "retired")], limit=6)
    payloads = sample_payloads(env)
    total = first + messages - 1
    now = fields.Datetime.now()
    category = env.ref("interop.exception_category_mapping")
    owner = env.ref("base.user_admin")
    print(f"generating {messages:,} messages over {len(endpoints)} endpoints ...")
    done = first - 1
    while done < total:
        n = min(chunk, total - done)
        start = time.perf_counter()
        cr.execute(
            """
            INSERT INTO interop_message (
                direction, endpoint_id, company_id, state, business_key,
                idempotency_key, correlation_id, payload_enc, payload_key_id,
                payload_size, date_received, attempt_count, active, event_version,
                content_type, create_uid, write_uid, create_date, write_date)
            SELECT 'inbound', (%(endpoints)s)[1 + i %% %(n_endpoints)s],
                   %(company)s,
                   CASE WHEN i %% 100 = 0 THEN 'failed'
                        WHEN i %% 100 = 1 THEN 'rejected'
                        WHEN i %% 1000 = 2 THEN 'queued'
                        ELSE 'done' END,
                   'V-' || i, 'idem-' || i, md5(i::text),
                   (%(payloads)s)[1 + i %% %(n_payloads)s], %(key_id)s,
                   %(size)s,
                   %(now)s - interval '400 days' * (1 - i::float8 / %(total)s),
                   1, true, 1, 'application/json', 1, 1, %(now)s, %(now)s
              FROM generate_series(%(first)s, %(last)s) AS i
            """,
            {
                "endpoints": endpoints.ids,
                "n_endpoints": len(endpoints),
                "company": env.company.id,
                "payloads": payloads,
                "n_payloads": len(payloads),
                "key_id": env["interop.crypto"]._key_id_of(payloads[0]),
                "size": 1024,
                "total": total,
                "now": now,
                "first": done + 1,
                "last": done + n,
            },
        )
        cr.commit()
        done += n
        print(f"  {done:,} messages ({time.perf_counter() - start:.1f} s)")
    print(f"generating {exceptions:,} exceptions ...")
    cr.execute(
        """
        INSERT INTO interop_exception (
            name, state, category_id, severity, message_id, endpoint_id, company_id,
            user_id, business_key, occurrence_count, date_first, date_last,
            date_deadline, is_escalated, create_uid, write_uid, create_date, write_date)
        SELECT 'Unmapped code',
               (ARRAY['open', 'in_progress', 'resolved', 'dismissed'])[1 + m.id %% 4],
               %(category)s, 'medium', m.id, m.endpoint_id, m.company_id,
               %(owner)s, m.business_key, 1, m.date_received, m.date_received,
               m.date_received + interval '8 hours', false, 1, 1, %(now)s, %(now)s
          FROM interop_message m
         WHERE m.state = 'failed'
         ORDER BY m.id
         LIMIT %(limit)s
        """,
        {"category": category.id, "owner": owner.id, "now": now, "limit": exceptions},
    )
    cr.commit()
    print("analyze ...")
    cr.execute("ANALYZE interop_message")
    cr.execute("ANALYZE interop_exception")
    cr.commit()


def measure(env, prune):
    owner = env.ref("base.user_admin")
    Exception_ = env["interop.exception"].with_user(owner)
    my_open = [
        "|",
        "|",
        ("user_id", "=", owner.id),
        ("team_id.member_ids", "in", owner.id),
        ("team_id.lead_id", "=", owner.id),
        ("state", "in", ("open", "in_progress")),
    ]
    list_fields = [
        "date_last",
        "name",
        "category_id",
        "severity",
        "endpoint_id",
        "event_type_id",
        "business_key",
        "occurrence_count",
        "user_id",
        "date_deadline",
        "state",
        "is_overdue",
    ]

    def exception_list():
        Exception_.search_read(my_open, list_fields, limit=80)
        Exception_.search_count(my_open)

    Message = env["interop.message"].with_user(owner)
    cr = env.cr
    cr.execute("SELECT max(id) FROM interop_message")
    key = f"V-{cr.fetchone()[0] // 2}"

    def by_business_key():
        Message.search_read([("business_key", "=", key)], ["state", "date_received"])

    endpoint = env["interop.endpoint"].search([], limit=1)

    def smart_buttons():
        endpoint.invalidate_recordset()
        endpoint._compute_message_counts()

    for label, fn in (
        ("exception queue default list (80 rows + count)", exception_list),
        ("message search by business key", by_business_key),
        ("endpoint smart buttons", smart_buttons),
    ):
        median, worst = timed(fn)
        verdict = "OK" if median < 100 else "OVER 100 ms"
        print(f"{label:50s} median {median:8.1f} ms  max {worst:8.1f} ms  {verdict}")
        env.invalidate_all()

    if not prune:
        return
    # make exactly `prune` messages expire: the oldest ones, by date
    cr.execute(
        "SELECT date_received FROM interop_message"
        " ORDER BY date_received LIMIT 1 OFFSET %s",
        [prune],
    )
    cutoff = cr.fetchone()[0]
    days = (fields.Datetime.now() - cutoff).days
    endpoints = env["interop.endpoint"].search([("state", "!=", "retired")])
    endpoints._interop_apply_write({"retention_days": max(days, 1)})
    cr.commit()
    # as the scheduler does: call again while the cron reports work remaining
    progress = {}

    def notify_progress(self, *, done, remaining, deactivate=False):
        progress.update(done=done, remaining=remaining)

    Cron = type(env["ir.cron"])
    batches, total, longest = 0, 0, 0.0
    start = time.perf_counter()
    with patch.object(Cron, "_notify_progress", notify_progress):
        while True:
            batch_start = time.perf_counter()
            pruned, _deleted = env["interop.retention"]._cron_apply_retention()
            cr.commit()  # each batch is its own short transaction, as the cron does
            longest = max(longest, time.perf_counter() - batch_start)
            batches += 1
            total += pruned
            if not progress["remaining"] or time.perf_counter() - start > 600:
                break
    elapsed = time.perf_counter() - start
    verdict = "OK" if elapsed < 60 else "OVER 60 s"
    print(
        f"prune {total:,} expired messages: {elapsed:.1f} s in {batches} batches, "
        f"longest batch (transaction) {longest * 1000:.0f} ms  {verdict}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--exceptions", type=int, default=100_000)
    parser.add_argument("--prune", type=int, default=1_000_000)
    args = parser.parse_args()
    config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        cr.execute("SELECT count(*) FROM interop_message")
        existing = cr.fetchone()[0]
        if existing < args.messages:
            generate(env, existing + 1, args.messages - existing, args.exceptions)
        measure(env, args.prune)
    return 0


if __name__ == "__main__":
    sys.exit(main())
