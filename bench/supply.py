"""Supply: an order.received processed by interop_supply against a plain ORM script.

Cost (in one Odoo process, one database, alternating rounds): processing one queued
``order.received`` (the drain that runs it: the message's state and attempt, the
mappings, the price and stock checks, the customer found by its id, the sales order
created, confirmed and reserved, the supply order and its milestones), committed,
against a plain script that creates the same sales order (same customer, warehouse,
sales team, price list and lines) and confirms it with the ORM, committed. Both run
as the shop's service user. Target: interop <= 1.3x plain (median per order; the
median of ``--runs`` runs).

End to end: ``--orders`` distinct orders signed and sent through the gateway by
``--clients`` clients to Odoo in prefork mode (2 workers) with its job runner
(``--channels``): concurrent duplicates (another event id, sent at the same moment from
another client), exact repeats, and orders the bench data refuses (a price beyond the
tolerance, an unmapped SKU, a scarce product: :func:`e2e_plan`). Waits until every
message is done or failed, then checks in SQL (:data:`E2E_QUERIES`): each order
confirmed at most once and reserved once, exactly the orders the data refuses refused,
each failed message with its exception, nothing lost, every job done. Exits 1 if a
check fails or the cost misses its target.
"""

import argparse
import cProfile
import hashlib
import hmac
import json
import os
import pstats
import statistics
import sys
import threading
import time
from collections import Counter

from harness import OdooServer, Setup, log, machine, request, wait_until

DEFAULT_MODULES = "interop,interop_gateway,interop_outbound,interop_supply"
SHOP = "bench-shop"
SHOP_KEY = "iop_bench_shop_0123456789abcdef"
SHOP_SECRET = "bench-shop-hmac-secret"
EVENT = "order.received"
PATH = f"/interop/v1/inbound/{SHOP}/{EVENT}"
CUSTOMER_REF = "BENCH-C-1"
#: the order's lines: (SKU, quantity, unit price); the price list has these prices
LINES = [("BENCH-GLV", 2.0, 12.5), ("BENCH-SYR", 1.0, 18.0), ("BENCH-KIT", 3.0, 39.0)]
TARGET = 1.3
#: a product with little stock: the orders that ask for it beyond it are refused
#: (a shortage, not a backorder); its free quantity is reset before each run
RARE = ("BENCH-RARE", 1.0, 99.0)
RARE_STOCK = 20
#: a SKU the shop's table does not map
UNMAPPED_SKU = "BENCH-UNMAPPED"
#: the price list's tolerance is 2 %: BENCH-GLV at 20.0 instead of 12.5 is refused
OFF_PRICE = 20.0
#: this run's order ids are new ones, also in a database kept from an earlier run
RUN = format(int(time.time()), "x")
#: Odoo's configuration is parsed once per process
_CONFIGURED = []


def payload(order_id, event_id):
    return {
        "event_id": event_id,
        "order": {
            "id": order_id,
            "channel": "web",
            "location": "WH",
            "payment_reference": f"PAY-{order_id}",
        },
        "customer": {"id": CUSTOMER_REF, "name": "Bench Clinic"},
        "lines": [
            {"sku": sku, "quantity": quantity, "unit_price": price}
            for sku, quantity, price in LINES
        ],
    }


# In Odoo's process


def odoo_env(setup, db):
    """An Odoo registry of ``db`` in this process (the bench's Odoo configuration)."""
    # importable in the environment tools/bench.sh set up
    import odoo

    if not _CONFIGURED:
        odoo.tools.config.parse_config(
            ["-c", setup.conf, f"--addons-path={setup.addons_path}", "--log-level=warn"]
        )
        _CONFIGURED.append(True)
    setup.ensure_current(db)  # a database kept from other code
    return odoo, odoo.modules.registry.Registry(db)


def install_fixtures(env):
    """The shop (active, key, secret), three products with plenty of stock in the
    main warehouse, their price list, a sales team, the mapping tables, a customer."""
    admin = env.ref("base.user_admin")
    endpoint = env["interop.endpoint"].create(
        {
            "code": SHOP,
            "name": "Bench Shop",
            "system_kind": "ecommerce",
            "direction": "inbound",
            "environment": "test",
            "data_classification": "confidential",
            "business_owner_id": admin.id,
            "technical_owner_id": admin.id,
            "gateway_rate_limit": 1_000_000,
            "gateway_require_signature": True,
        }
    )
    endpoint._activate()
    env["interop.endpoint"]._grant_supply_service_rights(endpoint.ids)
    env["interop.api.key"]._generate(endpoint, "Bench key", key=SHOP_KEY)
    endpoint._set_gateway_secret(SHOP_SECRET)
    warehouse = env.ref("stock.warehouse0")
    products = {}
    pricelist_items = []
    for sku, _quantity, price in [*LINES, RARE]:
        product = env["product.product"].create(
            {
                "name": f"Bench {sku}",
                "default_code": sku,
                "type": "consu",
                "is_storable": True,
                "list_price": price,
                "taxes_id": False,
                "invoice_policy": "delivery",
            }
        )
        env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, RARE_STOCK if sku == RARE[0] else 1_000_000
        )
        products[sku] = product
        pricelist_items.append(
            (
                0,
                0,
                {
                    "applied_on": "0_product_variant",
                    "product_id": product.id,
                    "compute_price": "fixed",
                    "fixed_price": price,
                },
            )
        )
    pricelist = env["product.pricelist"].create(
        {"name": "Bench Shop Prices", "item_ids": pricelist_items}
    )
    team = env["crm.team"].create({"name": "Bench Web Shop"})
    tables = (
        ("supply-skus", "product.model_product_product", products),
        ("supply-channel-teams", "sales_team.model_crm_team", {"web": team}),
        (
            "supply-channel-pricelists",
            "product.model_product_pricelist",
            {"web": pricelist},
        ),
        ("supply-locations", "stock.model_stock_warehouse", {"WH": warehouse}),
    )
    for code, model_xmlid, targets in tables:
        env["interop.mapping.table"].create(
            {
                "name": f"Bench {code}",
                "code": code,
                "target_type": "record",
                "target_model_id": env.ref(model_xmlid).id,
                "endpoint_id": endpoint.id,
                "owner_id": admin.id,
                "line_ids": [
                    (0, 0, {"external_code": external, "res_id": record.id})
                    for external, record in targets.items()
                ],
            }
        )
    env["res.partner"].create(
        {"name": "Bench Clinic", "ref": CUSTOMER_REF, "is_company": True}
    )


def plain_order_vals(env, order_id):
    """The sales order a plain script creates: the same one the flow creates."""
    endpoint = env["interop.endpoint"].search([("code", "=", SHOP)])
    Mapping = env["interop.mapping.table"]
    products = Mapping._resolve_many(
        "supply-skus", [sku for sku, _q, _p in LINES], endpoint=endpoint
    )
    return {
        "partner_id": env["res.partner"].search([("ref", "=", CUSTOMER_REF)]).id,
        "team_id": Mapping._resolve(
            "supply-channel-teams", "web", endpoint=endpoint
        ).id,
        "pricelist_id": Mapping._resolve(
            "supply-channel-pricelists", "web", endpoint=endpoint
        ).id,
        "warehouse_id": Mapping._resolve(
            "supply-locations", "WH", endpoint=endpoint
        ).id,
        "client_order_ref": order_id,
        "order_line": [
            (
                0,
                0,
                {
                    "product_id": products[sku].id,
                    "product_uom_qty": quantity,
                    "price_unit": price,
                },
            )
            for sku, quantity, price in LINES
        ],
    }


def measure_cost(setup, db, rounds, per_round, profile=None, run_no=0):
    """Seconds per order of each side, over ``rounds`` ABBA rounds (``run_no``:
    the order ids of a run of this process)."""
    odoo, registry = odoo_env(setup, db)
    times = {"interop": [], "plain": []}
    profiler = None
    if profile:
        profiler = cProfile.Profile()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        endpoint = env["interop.endpoint"].search([("code", "=", SHOP)])
        service_user = endpoint.service_user_id
        event_type = env["interop.event.type"]._find(EVENT)
        admin = env.ref("base.user_admin")
        template = plain_order_vals(env, "template")
        cr.commit()

        def interop_side(n):
            order_id = f"BI-{RUN}-{n}"
            message = endpoint.with_user(admin)._receive_event(
                EVENT, payload(order_id, f"evt-{order_id}")
            )
            cr.commit()
            if message.state != "queued":
                raise SystemExit(f"{order_id}: processed at intake ({message.state})")
            env.invalidate_all()
            dispatch = env["interop.message.dispatch"].with_user(admin)
            if profiler and profile == "interop":
                profiler.enable()
            start = time.perf_counter()
            dispatch._job_drain(event_type.id, message_ids=message.ids)
            cr.commit()
            elapsed = time.perf_counter() - start
            if profiler:
                profiler.disable()
            if message.state != "done":
                raise SystemExit(f"{order_id}: message {message.state}")
            return elapsed

        def plain_side(n):
            vals = dict(template, client_order_ref=f"BP-{RUN}-{n}")
            env.invalidate_all()
            SaleOrder = env["sale.order"].with_user(service_user)
            if profiler and profile == "plain":
                profiler.enable()
            start = time.perf_counter()
            order = SaleOrder.create(vals)
            order.action_confirm()
            cr.commit()
            elapsed = time.perf_counter() - start
            if profiler:
                profiler.disable()
            return elapsed

        sides = {"interop": interop_side, "plain": plain_side}
        # warm-up: caches of both sides, not counted
        for n in range(3):
            interop_side(f"{run_no}-w{n}")
            plain_side(f"{run_no}-w{n}")
        count = 0
        for round_no in range(rounds):
            order = ("interop", "plain") if round_no % 2 == 0 else ("plain", "interop")
            for side in order:
                for _n in range(per_round):
                    times[side].append(sides[side](f"{run_no}-{round_no}-{count}"))
                    count += 1
        # checks: each interop order confirmed once, reserved
        cr.execute(
            "SELECT count(*), count(DISTINCT client_order_ref),"
            " count(*) FILTER (WHERE state = 'sale') FROM sale_order"
            " WHERE client_order_ref LIKE %s",
            (f"BI-{RUN}-%",),
        )
        checks = cr.fetchone()
    if profiler:
        path = setup.log_dir / f"supply-{profile}.prof"
        profiler.dump_stats(path)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        log(f"profile written to {path}")
    return times, checks


# Through the gateway


def order_kind(n):
    """What order ``n`` of the end-to-end run is: a plain order (``ok``), one the
    flow must refuse (``price``, ``unmapped``), or one asking for the scarce
    product (``rare``: the first RARE_STOCK processed get it, the others are
    shortages)."""
    if n % 50 == 7:
        return "price"
    if n % 100 == 13:
        return "unmapped"
    if n % 20 == 3:
        return "rare"
    return "ok"


def e2e_payload(order_id, event_id, kind):
    body = payload(order_id, event_id)
    lines = body["lines"]
    if kind == "price":
        lines[0]["unit_price"] = OFF_PRICE
    elif kind == "unmapped":
        lines.append({"sku": UNMAPPED_SKU, "quantity": 1.0, "unit_price": 5.0})
    elif kind == "rare":
        sku, quantity, price = RARE
        lines.append({"sku": sku, "quantity": quantity, "unit_price": price})
    return body


def e2e_plan(orders):
    """The groups of requests of the run, in sending order; the requests of a group
    go at the same moment from as many clients. Per order: its event; one order in
    ten twice at once (another event id, as a shop that resends; some of the scarce
    and refused ones too), one in fifty three times; one in twenty-five sent again
    as is (the same event: an exact repeat) about fifty orders later, one in a
    hundred also as is at the same moment."""
    groups = []
    later = {}
    for n in range(orders):
        order_id = f"BE-{RUN}-{n:04d}"
        kind = order_kind(n)
        original = (order_id, f"evt-{order_id}", kind)
        group = [original]
        if n % 10 == 0 or n % 40 == 23 or n % 100 == 57:
            group.append((order_id, f"evt-{order_id}-again", kind))
        if n % 50 == 0:
            group.append((order_id, f"evt-{order_id}-third", kind))
        if n % 100 == 55:
            group.append(original)
        groups.append(group)
        if n % 25 == 4:
            later.setdefault(n + 50, []).append(original)
        for repeat in later.pop(n, []):
            groups.append([repeat])
    for repeats in later.values():
        groups.extend([repeat] for repeat in repeats)
    return groups


def signed(body):
    timestamp = str(int(time.time()))
    canonical = f"POST\n{PATH}\n\n{timestamp}\n".encode() + body
    digest = hmac.new(SHOP_SECRET.encode(), canonical, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {SHOP_KEY}",
        "X-Interop-Timestamp": timestamp,
        "X-Interop-Signature": f"sha256={digest}",
        "Connection": "close",
    }


def send_groups(port, groups, clients, deadline):
    """Send the groups from ``clients`` clients; a group of several requests is
    sent by as many clients at once (a barrier). A request that times out or
    loses its connection is sent again as is (an exact repeat: the gateway answers
    with the message it stored). Returns one answer per request:
    ``(order_id, event_id, kind, status, body)``."""
    lock = threading.Lock()
    queue = iter(groups)
    answers = []
    errors = Counter()

    def send(item, barrier=None):
        order_id, event_id, kind = item
        body = json.dumps(e2e_payload(order_id, event_id, kind)).encode()
        if barrier is not None:
            barrier.wait(timeout=60)
        status, answer = None, b""
        while time.monotonic() < deadline:
            try:
                # signed as it is sent: a resend is signed anew
                status, answer = request(port, "POST", PATH, body, signed(body), 60)
            except OSError as error:
                with lock:
                    errors[type(error).__name__] += 1
                time.sleep(0.5)
                continue
            if status < 500 and status != 429:
                break
            time.sleep(0.5)
        with lock:
            answers.append((order_id, event_id, kind, status, answer))

    def client():
        while True:
            with lock:
                group = next(queue, None)
            if group is None:
                return
            if len(group) == 1:
                send(group[0])
                continue
            barrier = threading.Barrier(len(group))
            threads = [
                threading.Thread(target=send, args=(item, barrier)) for item in group
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, errors


def reset_rare_stock(setup, db):
    """The scarce product's free quantity back to RARE_STOCK (a run kept from an
    earlier one reserved it)."""
    odoo, registry = odoo_env(setup, db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        product = env["product.product"].search([("default_code", "=", RARE[0])])
        location = env.ref("stock.warehouse0").lot_stock_id
        quants = env["stock.quant"].search(
            [("product_id", "=", product.id), ("location_id", "=", location.id)]
        )
        free = sum(quants.mapped("quantity")) - sum(quants.mapped("reserved_quantity"))
        if free != RARE_STOCK:
            env["stock.quant"]._update_available_quantity(
                product, location, RARE_STOCK - free
            )


#: the run's figures, checked in SQL; %(run)s is the LIKE pattern of the run's
#: order ids. Each query's rows are printed.
E2E_QUERIES = {
    "messages by state": """
        SELECT m.state, count(*) FROM interop_message m
          JOIN interop_endpoint e ON e.id = m.endpoint_id
         WHERE e.code = %(shop)s AND m.direction = 'inbound'
           AND m.business_key LIKE %(run)s
         GROUP BY m.state ORDER BY m.state""",
    "messages per event id (max), attempts (max), messages retried": """
        SELECT max(n), max(attempts), count(*) FILTER (WHERE attempts > 1)
          FROM (SELECT m.idempotency_key, count(*) AS n,
                       max(m.attempt_count) AS attempts
                  FROM interop_message m
                  JOIN interop_endpoint e ON e.id = m.endpoint_id
                 WHERE e.code = %(shop)s AND m.business_key LIKE %(run)s
                 GROUP BY m.idempotency_key) AS per_event""",
    "sales orders: order ids, orders, max per order id, confirmed": """
        SELECT count(DISTINCT client_order_ref), count(*),
               coalesce(max(n), 0), count(*) FILTER (WHERE state = 'sale')
          FROM (SELECT client_order_ref, state,
                       count(*) OVER (PARTITION BY client_order_ref) AS n
                  FROM sale_order WHERE client_order_ref LIKE %(run)s) AS s""",
    "supply orders: orders, order ids, reserved, without their sales order": """
        SELECT count(*), count(DISTINCT o.name),
               count(*) FILTER (WHERE o.state = 'reserved'),
               count(*) FILTER (WHERE s.client_order_ref IS DISTINCT FROM o.name)
          FROM interop_supply_order o
          LEFT JOIN sale_order s ON s.id = o.sale_order_id
         WHERE o.name LIKE %(run)s""",
    "deliveries per sales order (max), moves not reserved, moves reserved other"
    " than ordered": """
        SELECT coalesce(max(deliveries), 0),
               coalesce(sum(not_reserved), 0), coalesce(sum(off), 0)
          FROM (SELECT s.id,
                       count(DISTINCT p.id) AS deliveries,
                       count(DISTINCT sm.id) FILTER (WHERE sm.state != 'assigned')
                         AS not_reserved,
                       count(DISTINCT sm.id) FILTER (
                         WHERE abs(sm.product_uom_qty - coalesce((
                           SELECT sum(ml.quantity) FROM stock_move_line ml
                            WHERE ml.move_id = sm.id), 0)) > 0.0001) AS off
                  FROM sale_order s
                  LEFT JOIN stock_picking p ON p.sale_id = s.id
                  LEFT JOIN stock_move sm ON sm.picking_id = p.id
                 WHERE s.client_order_ref LIKE %(run)s GROUP BY s.id) AS per_order""",
    "the scarce product: stock, reserved by quants, reserved by this run's moves": """
        SELECT sum(q.quantity), sum(q.reserved_quantity), (
               SELECT coalesce(sum(ml.quantity), 0) FROM stock_move_line ml
                 JOIN stock_move sm ON sm.id = ml.move_id
                 JOIN sale_order_line sl ON sl.id = sm.sale_line_id
                 JOIN sale_order s ON s.id = sl.order_id
                WHERE ml.product_id = p.id AND s.client_order_ref LIKE %(run)s)
          FROM product_product p
          JOIN stock_quant q ON q.product_id = p.id
          JOIN stock_location l ON l.id = q.location_id AND l.usage = 'internal'
         WHERE p.default_code = %(rare)s GROUP BY p.id""",
    "exceptions by category: exceptions, occurrences, messages": """
        SELECT c.code, count(*), sum(x.occurrence_count), sum(r.messages)
          FROM interop_exception x
          JOIN interop_exception_category c ON c.id = x.category_id
          JOIN (SELECT r.exception_id, count(*) AS messages
                  FROM interop_exception_message_rel r
                  JOIN interop_message m ON m.id = r.message_id
                 WHERE m.business_key LIKE %(run)s
                 GROUP BY r.exception_id) AS r ON r.exception_id = x.id
         GROUP BY c.code ORDER BY c.code""",
    "failed messages without an exception, messages neither done nor failed": """
        SELECT count(*) FILTER (WHERE m.state = 'failed' AND NOT EXISTS (
                 SELECT 1 FROM interop_exception_message_rel r
                  WHERE r.message_id = m.id)),
               count(*) FILTER (WHERE m.state NOT IN ('done', 'failed'))
          FROM interop_message m
          JOIN interop_endpoint e ON e.id = m.endpoint_id
         WHERE e.code = %(shop)s AND m.business_key LIKE %(run)s""",
    "jobs of the run by state": """
        SELECT state, count(*) FROM queue_job
         WHERE date_created >= %(since)s GROUP BY state ORDER BY state""",
}


def e2e_checks(setup, db, since):
    params = {
        "shop": SHOP,
        "run": f"BE-{RUN}-%",
        "rare": RARE[0],
        "since": since,
    }
    return {title: setup.query(db, sql, params) for title, sql in E2E_QUERIES.items()}


def refused_orders(setup, db):
    """{order id: categories of its exceptions} of the orders with no sales order."""
    rows = setup.query(
        db,
        "SELECT m.business_key, array_agg(DISTINCT c.code)"
        " FROM interop_message m"
        " LEFT JOIN interop_exception_message_rel r ON r.message_id = m.id"
        " LEFT JOIN interop_exception x ON x.id = r.exception_id"
        " LEFT JOIN interop_exception_category c ON c.id = x.category_id"
        " WHERE m.business_key LIKE %s AND NOT EXISTS (SELECT 1 FROM sale_order s"
        " WHERE s.client_order_ref = m.business_key)"
        " GROUP BY m.business_key",
        (f"BE-{RUN}-%",),
    )
    return {key: sorted(c for c in codes if c) for key, codes in rows}


def end_to_end(setup, db, port, orders, timeout, clients, channels):
    """``orders`` orders through the gateway (:func:`e2e_plan`), then the checks."""
    groups = e2e_plan(orders)
    reset_rare_stock(setup, db)
    since = setup.query(db, "SELECT now() AT TIME ZONE 'UTC'")[0][0]
    server = OdooServer(
        setup, db, port, runner=True, name="supply-e2e", channels=channels
    )
    log_offset = server.logfile.stat().st_size if server.logfile.exists() else 0
    with server:
        start = time.perf_counter()
        answers, errors = send_groups(port, groups, clients, time.monotonic() + timeout)
        sent_seconds = time.perf_counter() - start
        log(f"{len(answers)} requests answered in {sent_seconds:.1f} s")
        event_ids = {event_id for _o, event_id, _k, _s, _b in answers}

        def settled():
            rows = setup.query(
                db,
                "SELECT count(*), count(*) FILTER (WHERE m.state IN"
                " ('done', 'failed', 'rejected', 'cancelled')) FROM interop_message m"
                " JOIN interop_endpoint e ON e.id = m.endpoint_id"
                " WHERE e.code = %s AND m.direction = 'inbound'"
                " AND m.business_key LIKE %s",
                (SHOP, f"BE-{RUN}-%"),
            )
            total, final = rows[0]
            return total >= len(event_ids) and final == total

        done = wait_until(settled, timeout, interval=1.0)
        elapsed = time.perf_counter() - start
        logfile = server.logfile
    return {
        "groups": groups,
        "answers": answers,
        "errors": errors,
        "event_ids": event_ids,
        "settled": bool(done),
        "sent_seconds": sent_seconds,
        "seconds": elapsed,
        "checks": e2e_checks(setup, db, since),
        "refused": refused_orders(setup, db),
        "log": logfile,
        "log_counts": log_counts(logfile, log_offset),
    }


#: what the server log is searched for (counted, printed; a deadlock fails the run)
LOG_PATTERNS = (
    " ERROR ",
    " WARNING ",
    "deadlock detected",
    "could not serialize",
    "could not obtain lock",
    "Traceback",
)


def log_counts(logfile, offset=0):
    """The patterns' counts in the server log from ``offset`` (Odoo appends to the
    log of an earlier run on the same database)."""
    try:
        with open(logfile, "rb") as log_file:
            log_file.seek(offset)
            text = log_file.read().decode(errors="replace")
    except OSError:
        return {}
    return {pattern.strip(): text.count(pattern) for pattern in LOG_PATTERNS}


def verify_e2e(setup, db, orders, result):
    """The checks of the end-to-end run: a list of failures (empty: all pass)."""
    kinds = {f"BE-{RUN}-{n:04d}": order_kind(n) for n in range(orders)}
    failures = verify_answers(setup, db, result)
    confirmed_expected = verify_refused(kinds, result, failures)
    verify_orders(kinds, result, confirmed_expected, failures)
    return failures


def verify_answers(setup, db, result):
    """Nothing lost: every request accepted, every accepted request has its
    message, of its order; every event id one message, each done or failed with
    its exception."""
    failures = []
    answers = result["answers"]
    statuses = Counter(status for *_rest, status, _body in answers)
    if any(status not in (200, 202) for status in statuses):
        failures.append(f"requests not accepted: {dict(statuses)}")
    # nothing lost: every accepted request has its message, of its order, and
    # every event id one message
    message_of = {}
    for _order_id, event_id, _kind, status, body in answers:
        if status not in (200, 202):
            continue
        message_id = json.loads(body)["message_id"]
        if message_of.setdefault(event_id, message_id) != message_id:
            failures.append(f"{event_id}: answered with two messages")
        message_of[event_id] = message_id
    rows = setup.query(
        db,
        "SELECT id, business_key, idempotency_key FROM interop_message"
        " WHERE id = ANY(%s)",
        (list(message_of.values()),),
    )
    found = {row[0]: row for row in rows}
    lost = [e for e, m in message_of.items() if m not in found]
    if lost:
        failures.append(f"{len(lost)} accepted requests without their message")
    order_of = {event_id: order_id for order_id, event_id, *_rest in answers}
    wrong = [
        e for e, m in message_of.items() if m in found and found[m][1] != order_of[e]
    ]
    if wrong:
        failures.append(f"{len(wrong)} answers name another order's message")
    if len(set(message_of.values())) != len(result["event_ids"]):
        failures.append(
            f"{len(result['event_ids'])} event ids, "
            f"{len(set(message_of.values()))} messages answered"
        )
    if not result["settled"]:
        failures.append("messages still waiting at the timeout")
    checks = result["checks"]
    states = dict(checks["messages by state"])
    if sum(states.values()) != len(result["event_ids"]):
        failures.append(
            f"{sum(states.values())} messages for {len(result['event_ids'])} event ids"
        )
    per_event = checks["messages per event id (max), attempts (max), messages retried"]
    if per_event[0][0] != 1:
        failures.append("an event id with more than one message")
    without, waiting = checks[
        "failed messages without an exception, messages neither done nor failed"
    ][0]
    if without or waiting:
        failures.append(f"{without} failed without exception, {waiting} not final")
    return failures


def verify_refused(kinds, result, failures):
    """Refused: exactly the orders the bench data refuses, each for its reason.
    Returns how many orders must be confirmed."""
    expected_refused = {
        key: kind for key, kind in kinds.items() if kind in ("price", "unmapped")
    }
    rare = [key for key, kind in kinds.items() if kind == "rare"]
    refused = result["refused"]
    category = {"price": ["business_rule"], "unmapped": ["mapping"]}
    for key, kind in expected_refused.items():
        if refused.get(key) != category[kind]:
            failures.append(f"{key} ({kind}): refused as {refused.get(key)}")
    unexpected = [
        k for k in refused if kinds.get(k) not in ("price", "unmapped", "rare")
    ]
    if unexpected:
        failures.append(f"orders refused without reason: {unexpected[:10]}")
    shortages = [k for k in rare if k in refused]
    if any(refused[k] != ["business_rule"] for k in shortages):
        failures.append("a scarce order refused for another reason than a shortage")
    expected_shortages = max(0, len(rare) - RARE_STOCK)
    if len(shortages) != expected_shortages:
        failures.append(
            f"{len(shortages)} shortages for {len(rare)} orders of a product with "
            f"{RARE_STOCK} in stock (expected {expected_shortages})"
        )
    return len(kinds) - len(expected_refused) - expected_shortages


def verify_orders(kinds, result, confirmed_expected, failures):
    """Each order confirmed once, its delivery reserved once, the scarce product
    never reserved beyond its stock, every job done."""
    checks = result["checks"]
    rare = [key for key, kind in kinds.items() if kind == "rare"]
    ids, count, most, confirmed = checks[
        "sales orders: order ids, orders, max per order id, confirmed"
    ][0]
    if not (ids == count == confirmed == confirmed_expected and most <= 1):
        failures.append(
            f"sales orders: {count} for {ids} order ids (max {most} per id), "
            f"{confirmed} confirmed; expected {confirmed_expected} once each"
        )
    supply = checks[
        "supply orders: orders, order ids, reserved, without their sales order"
    ][0]
    if supply != (confirmed_expected, confirmed_expected, confirmed_expected, 0):
        failures.append(
            f"supply orders {supply}, expected {confirmed_expected} reserved"
        )
    deliveries, not_reserved, off = checks[
        "deliveries per sales order (max), moves not reserved, moves reserved other"
        " than ordered"
    ][0]
    if deliveries != 1 or not_reserved or off:
        failures.append(
            f"deliveries: max {deliveries} per order, {not_reserved} moves not "
            f"reserved, {off} reserved other than ordered"
        )
    stock, reserved, by_moves = checks[
        "the scarce product: stock, reserved by quants, reserved by this run's moves"
    ][0]
    if reserved > stock or by_moves != min(len(rare), RARE_STOCK):
        failures.append(
            f"scarce product: {reserved} reserved of {stock}, {by_moves} by the run"
        )
    if result["log_counts"].get("deadlock detected"):
        failures.append("deadlocks in the server log")
    jobs = dict(checks["jobs of the run by state"])
    if set(jobs) - {"done"}:
        failures.append(f"jobs not done: {jobs}")


def print_e2e(orders, result, failures, clients, channels):
    answers = result["answers"]
    statuses = Counter(status for *_rest, status, _body in answers)
    groups = result["groups"]
    duplicated = sum(1 for g in groups if len({e for _o, e, _k in g}) > 1)
    at_once = sum(1 for g in groups if len(g) > len({e for _o, e, _k in g}))
    repeats = len(answers) - len(result["event_ids"])
    print(
        f"\nEnd to end: {orders} distinct orders, {len(answers)} requests, "
        f"{len(result['event_ids'])} events: {duplicated} orders sent 2 or 3 times "
        f"at once from as many clients with other event ids, {repeats} exact "
        f"repeats ({at_once} of them at once with the original); {clients} "
        f"clients, prefork 2 workers, job runner channels "
        f"{channels or 'as configured'}"
    )
    print(
        f"answers {dict(sorted(statuses.items()))}, client errors "
        f"{dict(result['errors']) or 0}; sent in {result['sent_seconds']:.1f} s; all "
        f"processed in {result['seconds']:.1f} s: "
        f"{orders / result['seconds']:.1f} orders/s"
    )
    for title, rows in result["checks"].items():
        print(f"  {title}: {rows}")
    refused = Counter(
        (order_kind(int(key.rsplit("-", 1)[1])), tuple(codes))
        for key, codes in result["refused"].items()
    )
    print(f"  refused orders (kind, categories): {dict(refused)}")
    print(f"  server log {result['log']}: {result['log_counts']}")
    print(
        "end to end: "
        + ("check ok" if not failures else "CHECK FAILED: " + "; ".join(failures))
    )


def cost_runs(setup, args):
    """``--runs`` measurements of the cost, each in ``--rounds`` alternating
    rounds; True when the median of their ratios meets the target."""
    ratios = []
    ok = True
    for run_no in range(args.runs):
        load_before = os.getloadavg()[0]
        times, checks = measure_cost(
            setup,
            args.db,
            args.rounds,
            args.per_round,
            profile=args.profile,
            run_no=run_no,
        )
        load_after = os.getloadavg()[0]
        interop = statistics.median(times["interop"]) * 1000
        plain = statistics.median(times["plain"]) * 1000
        ratio = interop / plain
        ratios.append(ratio)
        mean_ratio = statistics.mean(times["interop"]) / statistics.mean(times["plain"])
        ok = ok and checks[0] == checks[1] == checks[2]
        print(
            f"cost run {run_no + 1}: {len(times['interop'])} orders per side in "
            f"{args.rounds} alternating rounds, 3 lines each: order.received "
            f"processed median {interop:.1f} ms (mean "
            f"{statistics.mean(times['interop']) * 1000:.1f}); plain ORM create + "
            f"confirm median {plain:.1f} ms (mean "
            f"{statistics.mean(times['plain']) * 1000:.1f}) -> {ratio:.2f}x median, "
            f"{mean_ratio:.2f}x mean; load average {load_before:.2f} -> "
            f"{load_after:.2f}; {checks[0]} sales orders for {checks[1]} order ids, "
            f"{checks[2]} confirmed",
            flush=True,
        )
    median = statistics.median(ratios)
    ok = ok and median <= TARGET
    print(
        f"Supply order cost ({machine()}): ratios "
        f"{', '.join(f'{r:.2f}x' for r in ratios)}, median {median:.2f}x -> "
        f"{'target met' if ok else 'target NOT met'} (<= {TARGET}x)",
        flush=True,
    )
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="interop_bench_supply")
    parser.add_argument("--port", type=int, default=8601)
    parser.add_argument("--runs", type=int, default=3, help="cost runs (0: none)")
    parser.add_argument("--rounds", type=int, default=10, help="ABBA rounds a run")
    parser.add_argument("--per-round", type=int, default=5, help="orders per side")
    parser.add_argument("--orders", type=int, default=1000, help="0: no end to end")
    parser.add_argument("--clients", type=int, default=4, help="end to end")
    parser.add_argument(
        "--channels", help="end to end: the job runner's channels (e.g. root:2)"
    )
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--profile", choices=("interop", "plain"))
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    setup = Setup()
    if not args.keep_db:
        setup.create_database(args.db, modules=DEFAULT_MODULES)
        odoo, registry = odoo_env(setup, args.db)
        with registry.cursor() as cr:
            install_fixtures(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}))
    cost_ok = cost_runs(setup, args) if args.runs else True
    e2e_ok = True
    if args.orders:
        result = end_to_end(
            setup,
            args.db,
            args.port,
            args.orders,
            args.timeout,
            args.clients,
            args.channels,
        )
        failures = verify_e2e(setup, args.db, args.orders, result)
        print_e2e(args.orders, result, failures, args.clients, args.channels)
        e2e_ok = not failures
    return 0 if cost_ok and e2e_ok else 1


if __name__ == "__main__":
    sys.exit(main())
