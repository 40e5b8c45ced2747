# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import threading
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.interop_outbound.tests.common import (
    RemoteServer,
    _QuietServer,
    unused_port,
)

from .common import SupplyCase


class RemoteServerOnPort(RemoteServer):
    """The 3PL's server, started on a given port: the one the 3PL was down on."""

    def __init__(self, port):
        super().__init__()
        handler = self.server.RequestHandlerClass
        self.server.server_close()
        self.server = _QuietServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@tagged("post_install", "-at_install")
class TestSupplyDispatch(SupplyCase):
    """The 3PL gets the reserved deliveries and reports them: Odoo ships, invoices
    once, takes back what failed, and buffers while the 3PL is down."""

    def _received(self, order="T-100", lines=None):
        message = self._send(
            self.shop, "order.received", self._order_payload(order, lines=lines)
        )
        self.assertEqual(message.state, "done", message.last_error)
        return self._order(order)

    def _status(self, order="T-100", status="shipped", n=1, lines=None):
        message = self._send(
            self.logistics,
            "dispatch.status",
            self._status_payload(order, status, n=n, lines=lines),
        )
        self.assertEqual(message.state, "done", message.last_error)
        return message

    def test_shipped_validates_the_delivery_with_the_3pl_lots_and_tracking(self):
        order = self._received(
            "T-LOTS", lines=[{"sku": "T-KIT", "quantity": 2, "unit_price": 40.0}]
        )
        other_lot = self.env["stock.lot"].create(
            {
                "name": "T-LOT-2",
                "product_id": self.kit.id,
                "company_id": self.company.id,
            }
        )
        self.env["stock.quant"]._update_available_quantity(
            self.kit, self.warehouse.lot_stock_id, 3, lot_id=other_lot
        )
        self._status(
            "T-LOTS",
            "shipped",
            lines=[{"sku": "T-KIT", "quantity": 2, "lot": "T-LOT-2"}],
        )
        picking = order.picking_id
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_line_ids.lot_id, other_lot)
        self.assertEqual(sum(picking.move_line_ids.mapped("quantity")), 2)
        self.assertRecordValues(
            order,
            [
                {
                    "state": "dispatched",
                    "tracking_ref": "TRK-T-LOTS",
                    "carrier": "TestPost",
                }
            ],
        )
        self.assertTrue(order.date_dispatched)
        self.assertFalse(order.invoice_id)

    def test_delivered_is_invoiced_exactly_once_and_late_statuses_are_harmless(self):
        order = self._received()
        self._status(status="shipped")
        self._status(status="delivered")
        invoice = order.invoice_id
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_total, 20.0)
        self.assertEqual(invoice.payment_reference, "PAY-T-100")
        self.assertEqual(order.state, "invoiced")
        self.assertTrue(order.date_delivered and order.date_invoiced)
        # the same status again, then a late one: nothing moves back, nothing twice
        self._status(status="delivered", n=2)
        self._status(status="shipped", n=2)
        self._status(status="picked", n=1)
        invoices = self.env["account.move"].search(
            [
                ("move_type", "=", "out_invoice"),
                ("invoice_origin", "=", order.sale_order_id.name),
            ]
        )
        self.assertEqual(invoices, invoice)
        self.assertEqual(order.state, "invoiced")
        self.assertEqual(order.picking_id.state, "done")

    def test_invoice_paid_in_accounting_marks_the_order_paid(self):
        order = self._received()
        self._status(status="delivered")
        accountant = self.env["res.users"].create(
            {
                "name": "Supply Accountant",
                "login": "supply_accountant",
                # Odoo tells the sales order's chatter that its invoice is paid
                "email": "accountant@example.com",
                "groups_id": [
                    (6, 0, [self.env.ref("account.group_account_invoice").id])
                ],
            }
        )
        invoice = order.invoice_id.with_user(accountant)
        payment_journal = self.env["account.journal"].search(
            [("type", "in", ("bank", "cash")), ("company_id", "=", self.company.id)],
            limit=1,
        )
        self.env["account.payment.register"].with_user(accountant).with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": payment_journal.id})._create_payments()
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        self.assertEqual(order.state, "paid")
        self.assertTrue(order.date_paid)
        # paid by hand, not matched with a bank line: not reconciled
        self.assertFalse(order.date_reconciled)

    def test_delivered_before_shipped_ships_and_invoices(self):
        order = self._received()
        self._status(status="delivered")
        self.assertEqual(order.picking_id.state, "done")
        self.assertEqual(order.state, "invoiced")
        self.assertTrue(order.date_dispatched)
        self._status(status="shipped")
        self.assertEqual(order.state, "invoiced")

    def test_invoice_policy_order_bills_the_ordered_quantities(self):
        self.env["ir.config_parameter"].set_param(
            "interop_supply.invoice_policy", "order"
        )
        order = self._received()
        self.assertEqual(order.invoice_policy, "order")
        self._status(status="delivered")
        self.assertEqual(order.invoice_id.invoice_line_ids.quantity, 2.0)

    def test_failed_delivery_returns_the_goods_and_tells_customer_service(self):
        order = self._received()
        self._status(status="shipped")
        self._status(status="failed_delivery")
        self.assertEqual(order.state, "returned")
        returned = order.return_picking_id
        self.assertTrue(returned)
        self.assertEqual(returned.picking_type_id.code, "incoming")
        self.assertEqual(returned.move_ids.product_uom_qty, 2.0)
        exception = self.assertOpenException(
            self.service_owner, "business_rule", res_model=order._name, res_id=order.id
        )
        self.assertIn("failed delivery", exception.name)
        self.assertFalse(order.invoice_id)
        # the 3PL reports it again, then returned: harmless
        self._status(status="failed_delivery", n=2)
        self._status(status="returned")
        self.assertEqual(
            self.env["stock.picking"].search_count(
                [("return_id", "=", order.picking_id.id)]
            ),
            1,
        )
        self.assertOpenException(
            self.service_owner, "business_rule", res_model=order._name, res_id=order.id
        )

    def test_3pl_outage_buffers_the_deliveries_and_flushes_them_in_order(self):
        port = unused_port()
        self.logistics._interop_apply_write(
            {
                "base_url": f"http://127.0.0.1:{port}/3pl",
                "breaker_threshold": 1,
                "breaker_cooldown": 60,
            }
        )
        orders = [self._received(f"T-OUT-{n}") for n in (1, 2, 3)]
        messages = self.env["interop.message"].browse(
            [order.dispatch_message_id.id for order in orders]
        )
        # the 3PL is down: the first delivery fails and opens the circuit, the others
        # wait behind it; nothing is lost
        self._deliver_dispatch_requests()
        self._deliver_dispatch_requests()
        self.assertEqual(messages.mapped("state"), ["queued"] * 3)
        self.assertTrue(all(messages.mapped("date_held")))
        self.assertEqual(self.logistics.breaker_state, "open")
        # the 3PL is back, on the same address; the cool-down is over
        server = RemoteServerOnPort(port).start()
        self.addCleanup(server.stop)
        self.logistics.sudo().breaker_date_opened = fields.Datetime.now() - timedelta(
            minutes=5
        )
        for _attempt in range(10):
            outcome = self.logistics._job_deliver_held()
            if "No held message" in outcome:
                break
        self.env.invalidate_all()
        self.assertEqual(messages.mapped("state"), ["done"] * 3)
        received = [r.json()["order_ref"] for r in server.requests_to("/3pl/shipments")]
        # in order, and each once
        self.assertEqual(received, ["T-OUT-1", "T-OUT-2", "T-OUT-3"])
        self.assertEqual(self.logistics.breaker_state, "closed")
