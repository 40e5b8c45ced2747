# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import threading
import uuid

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged


@tagged("post_install", "-at_install")
class TestConcurrentDrains(BaseCase):
    """Two drains, each in its own transaction, take two deliveries of one order at
    the same moment: it is confirmed once and both messages go through (the second
    one retried in a transaction of its own, which finds the order).

    Real transactions on the demo's shop (committed data: a test transaction would
    hide the first drain's order from the second); the order is a new one each run.
    """

    def _env(self, cr, **context):
        return api.Environment(cr, SUPERUSER_ID, context)

    def test_two_drains_confirm_a_duplicate_order_once(self):
        registry = Registry(get_db_name())
        order_id = f"CONC-{uuid.uuid4().hex[:8]}"
        with registry.cursor() as cr:
            env = self._env(cr, queue_job__no_delay=False)
            shop = env.ref("interop_supply.endpoint_supply_shop")
            messages = env["interop.message"]
            for suffix in ("a", "b"):
                messages |= shop._receive_event(
                    "order.received",
                    {
                        "event_id": f"evt-{order_id}-{suffix}",
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
                )
            self.assertEqual(messages.mapped("state"), ["queued", "queued"])
            message_ids = messages.ids
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
