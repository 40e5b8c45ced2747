# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import threading
import uuid

import requests

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import config

from odoo.addons.interop_gateway.tests.common import inbound_path
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import DEFAULT_MAX_RETRIES, Job


@tagged("post_install", "-at_install")
class TestConcurrentDrains(BaseCase):
    """The shop sends one order twice at once through the gateway; two drains, each
    in its own transaction, take the two deliveries at the same moment: it is
    confirmed once and both messages go through (the second one retried in a
    transaction of its own, which finds the order).

    Real transactions on the demo's shop (committed data: a test transaction would
    hide the first drain's order from the second); the order is a new one each run.
    """

    def _env(self, cr, **context):
        return api.Environment(cr, SUPERUSER_ID, context)

    def _remove_key(self, registry, key_id):
        with registry.cursor() as cr:
            self._env(cr)["interop.api.key"].browse(key_id).unlink()

    def _post_at_once(self, key, payloads):
        """POST the payloads to the shop's gateway route at the same moment, one
        thread each, as a shop that resends; return the message ids answered."""
        url = "http://127.0.0.1:{}{}".format(
            config["http_port"], inbound_path("medshop-test", "order.received")
        )
        barrier = threading.Barrier(len(payloads))
        answers = []

        def post(payload):
            barrier.wait(timeout=30)
            response = requests.post(
                url,
                data=json.dumps(payload).encode(),
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {key}",
                },
                timeout=60,
            )
            answers.append((response.status_code, response.json()))

        threads = [threading.Thread(target=post, args=(p,)) for p in payloads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        self.assertEqual(sorted(status for status, _body in answers), [202, 202])
        return [body["message_id"] for _status, body in answers]

    def test_two_drains_confirm_a_duplicate_order_once(self):
        registry = Registry(get_db_name())
        order_id = f"CONC-{uuid.uuid4().hex[:8]}"
        with registry.cursor() as cr:
            env = self._env(cr)
            shop = env.ref("interop_supply.endpoint_supply_shop")
            key_record, key = env["interop.api.key"]._generate(shop, "Concurrency test")
            key_id = key_record.id
        self.addCleanup(self._remove_key, registry, key_id)
        # the shop sends the order twice at once (two event ids): two deliveries
        message_ids = self._post_at_once(
            key,
            [
                {
                    "event_id": f"evt-{order_id}-{suffix}",
                    "order": {"id": order_id, "channel": "web", "location": "CENTRAL"},
                    "customer": {"id": "CRM-C-0002", "name": "Cedar Lane Clinic"},
                    "lines": [{"sku": "MS-GLV-100", "quantity": 1, "unit_price": 12.5}],
                }
                for suffix in ("a", "b")
            ],
        )
        with registry.cursor() as cr:
            messages = self._env(cr)["interop.message"].browse(message_ids)
            self.assertEqual(messages.mapped("state"), ["queued", "queued"])
            event_type_id = messages.event_type_id.id
        barrier = threading.Barrier(2)
        errors = []

        def drain(message_id):
            try:
                with registry.cursor() as cr:
                    Message = self._env(cr)["interop.message.dispatch"]
                    barrier.wait(timeout=30)
                    # each drain takes one of the two deliveries, as two job runners
                    Message._job_drain(event_type_id, message_ids=[message_id])
            except Exception as error:  # noqa: BLE001 - reported by the test
                errors.append(repr(error))

        threads = [threading.Thread(target=drain, args=(mid,)) for mid in message_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(errors, [])
        # the drain that met the other one handed its message to a job of its own:
        # the job runner runs it later, in a new transaction
        with registry.cursor() as cr:
            messages = self._env(cr)["interop.message"].browse(message_ids)
            for message in messages.filtered(lambda m: m.state == "queued"):
                message._job_process()
        with registry.cursor() as cr:
            env = self._env(cr)
            messages = env["interop.message"].browse(message_ids)
            self.assertEqual(messages.mapped("state"), ["done", "done"])
            self.assertEqual(
                env["sale.order"].search_count([("client_order_ref", "=", order_id)]), 1
            )
            order = env["interop.supply.order"].search([("name", "=", order_id)])
            self.assertEqual(len(order), 1)
            self.assertEqual(order.state, "reserved")
            self.assertEqual(order.sale_order_id.state, "sale")

    def test_attack_second_drain_reserves_products_committed_since_its_snapshot(self):
        """Two orders of the same product, two drains: the second drain's snapshot
        is older than the reservation the first committed. It meets that at the
        quants, before creating anything (no failed statement in the log), its
        order is retried in a transaction of its own, and each order is confirmed
        once."""
        registry = Registry(get_db_name())
        run = uuid.uuid4().hex[:8]
        order_ids = [f"CONCP-{run}-{n}" for n in (1, 2)]
        with registry.cursor() as cr:
            env = self._env(cr)
            shop = env.ref("interop_supply.endpoint_supply_shop").with_user(
                env.ref("base.user_admin")
            )
            message_ids = [
                shop._receive_event(
                    "order.received",
                    {
                        "event_id": f"evt-{order_id}",
                        "order": {
                            "id": order_id,
                            "channel": "web",
                            "location": "CENTRAL",
                        },
                        "customer": {"id": "CRM-C-0002", "name": "Cedar Lane Clinic"},
                        "lines": [
                            {"sku": "MS-GLV-100", "quantity": 1, "unit_price": 12.5}
                        ],
                    },
                ).id
                for order_id in order_ids
            ]
            messages = env["interop.message"].browse(message_ids)
            self.assertEqual(messages.mapped("state"), ["queued", "queued"])
            event_type_id = messages.event_type_id.id
        with registry.cursor() as late_cr:
            # the second drain's snapshot starts now
            late_cr.execute("SELECT 1 FROM stock_quant LIMIT 1")
            with registry.cursor() as cr:
                self._env(cr)["interop.message.dispatch"]._job_drain(
                    event_type_id, message_ids=message_ids[:1]
                )
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                self._env(late_cr)["interop.message.dispatch"]._job_drain(
                    event_type_id, message_ids=message_ids[1:]
                )
            late_cr.commit()
        with registry.cursor() as cr:
            env = self._env(cr)
            second = env["interop.message"].browse(message_ids[1])
            # handed to a job of its own; the job runner runs it later
            self.assertEqual(second.state, "queued")
            second._job_process()
        with registry.cursor() as cr:
            env = self._env(cr)
            messages = env["interop.message"].browse(message_ids)
            self.assertEqual(messages.mapped("state"), ["done", "done"])
            for order_id in order_ids:
                self.assertEqual(
                    env["sale.order"].search_count(
                        [("client_order_ref", "=", order_id), ("state", "=", "sale")]
                    ),
                    1,
                )
                order = env["interop.supply.order"].search([("name", "=", order_id)])
                self.assertEqual(order.state, "reserved")

    def test_order_behind_another_drains_reservation_waits_without_failing(self):
        """Two drains at once (a channel of capacity 2): one reserves the gloves
        for its orders, the other meets an order of gloves. That order's own job
        retries while the first drain holds the quants, as long as it takes: it is
        never failed for it once queue_job's retries (5) are spent (a technical
        exception for an order nothing was wrong with), and it is confirmed once
        the quants are free."""
        registry = Registry(get_db_name())
        order_id = f"CONCW-{uuid.uuid4().hex[:8]}"
        with registry.cursor() as cr:
            env = self._env(cr)
            shop = env.ref("interop_supply.endpoint_supply_shop").with_user(
                env.ref("base.user_admin")
            )
            message = shop._receive_event(
                "order.received",
                {
                    "event_id": f"evt-{order_id}",
                    "order": {"id": order_id, "channel": "web", "location": "CENTRAL"},
                    "customer": {"id": "CRM-C-0002", "name": "Cedar Lane Clinic"},
                    "lines": [{"sku": "MS-GLV-100", "quantity": 1, "unit_price": 12.5}],
                },
            )
            self.assertEqual(message.state, "queued")
            message_id = message.id
            # the drain that met the other one handed the message to a job of its own
            job_uuid = message._enqueue_own_job().uuid
            product_id = (
                env["product.product"].search([("default_code", "=", "MS-GLV-100")]).id
            )
        retries = 0
        with registry.cursor() as other_drain:
            # the other drain is reserving gloves: it holds their quants
            other_drain.execute(
                "SELECT id FROM stock_quant WHERE product_id = %s FOR NO KEY UPDATE",
                (product_id,),
            )
            for _attempt in range(DEFAULT_MAX_RETRIES + 1):
                with registry.cursor() as cr:
                    job = Job.load(self._env(cr), job_uuid)
                    job.retry = retries
                    with self.assertRaises(RetryableJobError):
                        job.perform()
                    retries = job.retry
                    # the job runner rolls the attempt back and postpones the job
                    cr.rollback()
            other_drain.rollback()
        with registry.cursor() as cr:
            job = Job.load(self._env(cr), job_uuid)
            job.retry = retries
            job.perform()
            job.set_done()
            job.store()
        with registry.cursor() as cr:
            env = self._env(cr)
            self.assertEqual(env["interop.message"].browse(message_id).state, "done")
            self.assertEqual(
                env["sale.order"].search_count(
                    [("client_order_ref", "=", order_id), ("state", "=", "sale")]
                ),
                1,
            )
            order = env["interop.supply.order"].search([("name", "=", order_id)])
            self.assertEqual(order.state, "reserved")
