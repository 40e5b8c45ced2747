# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import SupplyCase


def client_context(user):
    """What a web client sends with execute_kw, with keys that must unlock nothing."""
    return {
        "lang": "en_US",
        "uid": user.id,
        "allowed_company_ids": user.company_ids.ids,
        "interop_change_apply": True,
        "inventory_mode": True,
    }


@tagged("post_install", "-at_install")
class TestSupplyStockCount(SupplyCase):
    """A care location's count through the gateway: compared with the quants,
    adjusted only once an Interop manager approves."""

    def _count(self, gloves=10, kits=None, count_id="CNT-1"):
        lines = [{"sku": "T-GLV", "quantity": gloves}]
        if kits is not None:
            lines.append({"sku": "T-KIT", "quantity": kits})
        message = self._send(
            self.locations,
            "stock.count",
            {
                "event_id": f"evt-{count_id}",
                "count": {
                    "id": count_id,
                    "location": "TEST-WH",
                    "counted_at": "2026-12-01T18:00:00Z",
                },
                "lines": lines,
            },
        )
        self.assertEqual(message.state, "done", message.last_error)
        return self.env["interop.stock.count"].search([("name", "=", count_id)])

    def _onhand(self, product):
        return product.with_context(
            location=self.warehouse.lot_stock_id.id
        ).qty_available

    def test_count_within_tolerance_changes_nothing(self):
        count = self._count(gloves=10, kits=5)
        self.assertEqual(count.state, "matched")
        self.assertEqual(count.mismatch_count, 0)
        self.assertFalse(
            self.env["interop.exception"].search(
                [("res_model", "=", count._name), ("res_id", "=", count.id)]
            )
        )

    def test_mismatch_is_an_inventory_exception_and_approval_posts_the_adjustment(self):
        count = self._count(gloves=7, kits=5)
        self.assertEqual(count.state, "to_approve")
        line = count.line_ids.filtered("is_beyond_tolerance")
        self.assertRecordValues(
            line, [{"sku": "T-GLV", "counted_qty": 7.0, "onhand_qty": 10.0}]
        )
        exception = self.assertOpenException(
            self.supply_owner, "business_rule", res_model=count._name, res_id=count.id
        )
        self.assertIn("T-GLV counted 7.0, Odoo 10.0", exception.name)
        self.assertNotIn("T-KIT", exception.name)
        # nothing adjusted before the approval
        self.assertEqual(self._onhand(self.gloves), 10.0)
        count.with_user(self.manager).with_context(
            **client_context(self.manager)
        ).action_approve()
        self.assertEqual(self._onhand(self.gloves), 7.0)
        self.assertEqual(self._onhand(self.kit), 5.0)
        self.assertRecordValues(
            count, [{"state": "applied", "approved_by_id": self.manager.id}]
        )
        self.assertEqual(exception.state, "resolved")

    def test_the_same_count_twice_is_compared_once(self):
        count = self._count(gloves=7, count_id="CNT-TWICE")
        message = self._post(
            self.locations,
            "stock.count",
            {
                "event_id": "evt-CNT-TWICE-again",
                "count": {
                    "id": "CNT-TWICE",
                    "location": "TEST-WH",
                    "counted_at": "2026-12-01T18:00:00Z",
                },
                "lines": [{"sku": "T-GLV", "quantity": 7}],
            },
        )
        self._drain("stock.count")
        self.assertEqual(message.state, "done")
        self.assertEqual(
            self.env["interop.stock.count"].search_count([("name", "=", "CNT-TWICE")]),
            1,
        )
        self.assertEqual(count.state, "to_approve")

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule")
    def test_attack_user_approves_the_inventory_adjustment_of_a_count(self):
        count = self._count(gloves=7)
        stock_user = new_test_user(
            self.env,
            login="supply_stock_user",
            groups="interop.group_interop_user,stock.group_stock_manager",
        )
        for user in (self.supply_owner, stock_user, self.auditor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                count.with_user(user).with_context(
                    **client_context(user)
                ).action_approve()
        self.assertEqual(count.state, "to_approve")
        self.assertEqual(self._onhand(self.gloves), 10.0)

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule")
    def test_attack_service_user_approves_the_count_it_sent(self):
        count = self._count(gloves=7)
        service_user = self.locations.service_user_id
        with self.assertRaises(AccessError):
            count.with_user(service_user).with_context(
                **client_context(service_user)
            ).action_approve()
        self.assertEqual(count.state, "to_approve")
        self.assertEqual(self._onhand(self.gloves), 10.0)

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule")
    def test_attack_manager_marks_a_count_applied_through_rpc(self):
        count = self._count(gloves=7)
        for user in (self.manager, self.supply_owner):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                count.with_user(user).with_context(**client_context(user)).write(
                    {"state": "applied", "approved_by_id": user.id}
                )
        with self.assertRaises(AccessError):
            count.line_ids.with_user(self.manager).write({"counted_qty": 10.0})
        self.assertEqual(count.state, "to_approve")


@tagged("post_install", "-at_install")
class TestSupplyOrderAttacks(SupplyCase):
    """What each role can do with a supply order through RPC: read it, never move
    its milestones."""

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule")
    def test_attack_roles_forge_the_milestones_of_an_order(self):
        self._send(self.shop, "order.received", self._order_payload())
        order = self._order()
        for user in (self.user, self.manager, self.auditor, self.supply_owner):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                order.with_user(user).with_context(**client_context(user)).write(
                    {"state": "reconciled", "date_paid": "2026-01-01 00:00:00"}
                )
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["interop.supply.order"].with_user(user).with_context(
                    **client_context(user)
                ).create({"name": "FORGED", "endpoint_id": self.shop.id})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                order.with_user(user).unlink()
        self.assertEqual(order.state, "reserved")

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule")
    def test_attack_user_reads_the_invoice_of_an_order_without_invoicing_rights(self):
        self._send(self.shop, "order.received", self._order_payload())
        for status in ("shipped", "delivered"):
            self._send(
                self.logistics, "dispatch.status", self._status_payload(status=status)
            )
        order = self._order().with_user(self.supply_owner)
        # what the order says of its documents, readable
        self.assertTrue(order.invoice_name)
        self.assertEqual(order.state, "invoiced")
        with self.assertRaises(AccessError):
            order.read(["invoice_id"])
        with self.assertRaises(AccessError):
            order.read(["sale_order_id"])


@tagged("post_install", "-at_install")
class TestSupplyRoutingAttacks(SupplyCase):
    """Which 3PL ships a warehouse is Interop configuration: an Interop manager's."""

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule")
    def test_attack_stock_manager_redirects_a_warehouse_to_another_endpoint(self):
        stock_manager = new_test_user(
            self.env,
            login="supply_stock_manager",
            groups="interop.group_interop_user,stock.group_stock_manager",
        )
        warehouse = self.warehouse.with_user(stock_manager).with_context(
            **client_context(stock_manager)
        )
        with self.assertRaises(AccessError):
            warehouse.write({"interop_logistics_endpoint_id": self.bank.id})
        self.assertEqual(self.warehouse.interop_logistics_endpoint_id, self.logistics)
