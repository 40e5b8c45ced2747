# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import SupplyCase


@tagged("post_install", "-at_install")
class TestAttackSupply(SupplyCase):
    """The supply flows attacked by the partner systems, over the gateway."""

    def _received(self, order="T-ATK"):
        message = self._send(self.shop, "order.received", self._order_payload(order))
        self.assertEqual(message.state, "done", message.last_error)
        return self._order(order)

    def test_attack_shop_reports_its_own_order_delivered(self):
        """Only the 3PL the delivery was handed to reports it: the shop's key (or
        a care location's) saying "delivered" ships and invoices nothing."""
        order = self._received()
        picking = order.sudo().picking_id
        self.assertEqual(order.state, "reserved")
        for endpoint in (self.shop, self.locations):
            with self.subTest(endpoint=endpoint.code):
                message = self._send(
                    endpoint,
                    "dispatch.status",
                    self._status_payload("T-ATK", "delivered", n=endpoint.id),
                )
                self.assertEqual(message.state, "failed")
                self.assertEqual(order.state, "reserved")
                self.assertFalse(order.dispatch_status)
                self.assertEqual(picking.state, "assigned")
                self.assertFalse(order.sudo().invoice_id)
        # the 3PL itself still does
        message = self._send(
            self.logistics,
            "dispatch.status",
            self._status_payload("T-ATK", "delivered"),
        )
        self.assertEqual(message.state, "done", message.last_error)
        self.assertEqual(order.state, "invoiced")
