# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import Counter
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import tagged

from .common import SupplyCase

CHATTER_OFF = (
    "tracking_disable",
    "mail_create_nolog",
    "mail_create_nosubscribe",
    "mail_notrack",
)


@tagged("post_install", "-at_install")
class TestSupplyOrderIntake(SupplyCase):
    """order.received through the gateway: confirmed once, reserved, or stopped with
    an exception its owner can act on."""

    def test_order_is_confirmed_reserved_and_handed_to_the_3pl(self):
        message = self._send(self.shop, "order.received", self._order_payload())
        self.assertEqual(message.state, "done", message.last_error)
        order = self._order()
        self.assertRecordValues(
            order,
            [
                {
                    "state": "reserved",
                    "warehouse_id": self.warehouse.id,
                    "team_id": self.team.id,
                    "pricelist_id": self.pricelist.id,
                    "payment_reference": "PAY-T-100",
                    "amount_total": 20.0,
                }
            ],
        )
        self.assertTrue(order.date_received and order.date_confirmed)
        self.assertTrue(order.date_reserved)
        sale_order = order.sale_order_id
        self.assertEqual(sale_order.state, "sale")
        self.assertEqual(sale_order.client_order_ref, "T-100")
        self.assertEqual(order.picking_id.state, "assigned")
        self.assertEqual(order.picking_id.location_id, self.warehouse.lot_stock_id)
        self.assertEqual(order.partner_id.ref, "C-T-100")
        # the 3PL receives the delivery, through the outbound delivery
        dispatch = order.dispatch_message_id
        self.assertEqual(dispatch.endpoint_id, self.logistics)
        self.assertEqual(dispatch.business_key, "T-100")
        self._deliver_dispatch_requests()
        self.assertEqual(dispatch.state, "done")
        sent = self.remote.requests_to("/3pl/shipments")
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0].json()["order_ref"], "T-100")
        self.assertEqual(sent[0].json()["lines"][0]["sku"], "T-GLV")

    def test_orders_drained_together_each_run_once_not_redone_one_by_one(self):
        """Two orders waiting for the same drain go through together. The handler
        reads its message (its reception date) as the shop's service user, who may
        not read messages: it reads what the drain read for it, so the chunk does
        not fail on it and each order is not processed a second time, alone."""
        Order = type(self.env["interop.supply.order"])
        original = Order._interop_handle_order_received
        calls = Counter()

        def handle(recs, message, payload):
            calls[payload["order"]["id"]] += 1
            return original(recs, message, payload)

        messages = self._post(
            self.shop, "order.received", self._order_payload("T-201")
        ) | self._post(self.shop, "order.received", self._order_payload("T-202"))
        with patch.object(Order, "_interop_handle_order_received", handle):
            self._drain("order.received")
        self.assertEqual(messages.mapped("state"), ["done", "done"])
        self.assertEqual(calls, Counter({"T-201": 1, "T-202": 1}))
        for name, message in zip(("T-201", "T-202"), messages, strict=True):
            self.assertRecordValues(
                self._order(name),
                [{"state": "reserved", "date_received": message.date_received}],
            )

    def test_an_order_confirmed_at_intake_logs_no_quotation_to_order_change(self):
        """The sales order is created and confirmed in one go, as Odoo confirms a new
        order: its chatter does not say that a quotation became a sales order (a
        note nobody needs, and a message, its tracking value and its notifications
        written for every order). Changes are tracked: the supply order's chatter
        starts with its milestone."""
        # the chatter as in production (the test classes write none)
        self.env = self.env(
            context={
                key: value
                for key, value in self.env.context.items()
                if key not in CHATTER_OFF
            }
        )
        self._send(self.shop, "order.received", self._order_payload())
        order = self._order()
        # what the transaction logs at its commit
        self.env.cr.flush()
        Tracking = self.env["mail.tracking.value"].sudo()
        self.assertFalse(
            Tracking.search(
                [
                    ("mail_message_id.model", "=", "sale.order"),
                    ("mail_message_id.res_id", "=", order.sale_order_id.id),
                ]
            )
        )
        milestone = Tracking.search(
            [
                ("mail_message_id.model", "=", "interop.supply.order"),
                ("mail_message_id.res_id", "=", order.id),
            ]
        )
        self.assertEqual(milestone.field_id.name, "state")
        self.assertEqual(milestone.new_value_char, "Reserved")

    def test_duplicate_order_is_confirmed_once(self):
        self._send(self.shop, "order.received", self._order_payload())
        # the shop sends the same order again, as a new event
        again = self._send(
            self.shop, "order.received", self._order_payload(event_id="evt-again")
        )
        self.assertEqual(again.state, "done", again.last_error)
        sale_orders = self.env["sale.order"].search(
            [("client_order_ref", "=", "T-100")]
        )
        self.assertEqual(len(sale_orders), 1)
        self.assertEqual(len(self._order()), 1)
        self.assertEqual(
            self.env["interop.message"].search_count(
                [
                    ("endpoint_id", "=", self.logistics.id),
                    ("business_key", "=", "T-100"),
                ]
            ),
            1,
        )

    def test_shortage_is_an_exception_with_the_missing_quantities(self):
        payload = self._order_payload(
            "T-SHORT",
            lines=[
                {"sku": "T-GLV", "quantity": 12, "unit_price": 10.0},
                {"sku": "T-KIT", "quantity": 1, "unit_price": 40.0},
            ],
        )
        message = self._send(self.shop, "order.received", payload)
        self.assertEqual(message.state, "failed")
        exception = self.assertOpenException(
            self.supply_owner, "business_rule", message_id=message.id
        )
        self.assertIn("T-GLV: 2", exception.name)
        self.assertIn("10", exception.name)
        self.assertNotIn("T-KIT", exception.name)
        # no silent backorder: nothing was confirmed
        self.assertFalse(self._order("T-SHORT"))
        self.assertFalse(
            self.env["sale.order"].search([("client_order_ref", "=", "T-SHORT")])
        )
        # stock arrives; the owner retries
        self.env["stock.quant"]._update_available_quantity(
            self.gloves, self.warehouse.lot_stock_id, 5
        )
        exception.with_user(self.supply_owner).action_retry()
        self._drain("order.received")
        self.assertEqual(message.state, "done", message.last_error)
        self.assertEqual(self._order("T-SHORT").state, "reserved")
        self.assertEqual(exception.state, "resolved")

    def test_price_beyond_tolerance_is_an_exception(self):
        payload = self._order_payload(
            "T-PRICE", lines=[{"sku": "T-GLV", "quantity": 1, "unit_price": 8.0}]
        )
        message = self._send(self.shop, "order.received", payload)
        self.assertEqual(message.state, "failed")
        exception = self.assertOpenException(
            self.supply_owner, "business_rule", message_id=message.id
        )
        self.assertIn("T-GLV at 8.0 (list 10.0)", exception.name)
        self.assertFalse(self._order("T-PRICE"))

    def test_price_within_tolerance_is_accepted(self):
        payload = self._order_payload(
            "T-PRICE-OK", lines=[{"sku": "T-GLV", "quantity": 1, "unit_price": 10.1}]
        )
        message = self._send(self.shop, "order.received", payload)
        self.assertEqual(message.state, "done", message.last_error)
        self.assertEqual(self._order("T-PRICE-OK").sale_order_id.amount_untaxed, 10.1)

    def test_unmapped_sku_is_a_mapping_exception_replayed_after_the_fix(self):
        payload = self._order_payload(
            "T-MAP", lines=[{"sku": "T-NEW", "quantity": 1, "unit_price": 10.0}]
        )
        message = self._send(self.shop, "order.received", payload)
        self.assertEqual(message.state, "failed")
        exception = self.assertOpenException(
            self.sku_owner, "mapping", message_id=message.id
        )
        self.assertEqual(exception.mapping_code, "T-NEW")
        table = self.env["interop.mapping.table"].search(
            [("code", "=", "supply-skus"), ("endpoint_id", "=", self.shop.id)]
        )
        table.write(
            {
                "line_ids": [
                    Command.create({"external_code": "T-NEW", "res_id": self.gloves.id})
                ]
            }
        )
        exception.with_user(self.sku_owner).action_retry()
        self._drain("order.received")
        self.assertEqual(message.state, "done", message.last_error)
        self.assertEqual(self._order("T-MAP").state, "reserved")
        self.assertEqual(exception.state, "resolved")

    def test_probable_duplicate_customer_is_a_conflict_never_a_merge(self):
        existing = self.env["res.partner"].create(
            {"name": "Rosa Park Clinic", "ref": "CRM-77", "email": "desk@rosa.example"}
        )
        payload = self._order_payload(
            "T-DUP", id="SHOP-9", name="Rosa Park", email="Desk@Rosa.example"
        )
        partners_before = self.env["res.partner"].search_count([])
        message = self._send(self.shop, "order.received", payload)
        self.assertEqual(message.state, "failed")
        exception = self.assertOpenException(
            self.supply_owner, "conflict", message_id=message.id
        )
        self.assertIn(f"#{existing.id}", exception.name)
        self.assertIn("same email", exception.name)
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        self.assertEqual(existing.ref, "CRM-77")
        # a person decides it is the same customer: the cross-reference, then retry
        self._table(
            self.shop,
            "supply-customers",
            "base.model_res_partner",
            {"SHOP-9": existing.id},
        )
        exception.with_user(self.supply_owner).action_retry()
        self._drain("order.received")
        self.assertEqual(message.state, "done", message.last_error)
        self.assertEqual(self._order("T-DUP").partner_id, existing)
        self.assertEqual(existing.ref, "CRM-77")

    def test_customer_found_by_external_id_is_not_overwritten(self):
        existing = self.env["res.partner"].create(
            {"name": "Known Customer", "ref": "C-KNOWN", "street": "Kept Street 1"}
        )
        payload = self._order_payload(
            "T-KNOWN", id="C-KNOWN", name="Someone Else", email="new@example.com"
        )
        message = self._send(self.shop, "order.received", payload)
        self.assertEqual(message.state, "done", message.last_error)
        self.assertEqual(self._order("T-KNOWN").partner_id, existing)
        self.assertRecordValues(
            existing, [{"name": "Known Customer", "street": "Kept Street 1"}]
        )

    def test_new_customer_owned_by_another_system_is_a_system_of_record_conflict(self):
        self.env["interop.system.of.record"].create(
            {
                "entity": "responsible_party",
                "model_id": self.env.ref("base.model_res_partner").id,
                "field_ids": [
                    Command.set([self.env.ref("base.field_res_partner__email").id])
                ],
                "source": "endpoint",
                "endpoint_id": self.locations.id,
            }
        )
        payload = self._order_payload("T-SOR", email="someone@example.com")
        message = self._send(self.shop, "order.received", payload)
        self.assertEqual(message.state, "failed")
        self.assertEqual(
            message.exception_ids.category_id.code,
            "system_of_record",
            message.last_error,
        )
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "C-T-SOR")]))

    def test_lags_average_only_the_orders_that_reached_both_milestones(self):
        Order = self.env["interop.supply.order"]
        for name in ("T-LAG1", "T-LAG2", "T-LAG3"):
            self._send(self.shop, "order.received", self._order_payload(name))
        orders = Order.search([("name", "in", ("T-LAG1", "T-LAG2", "T-LAG3"))])
        received = fields.Datetime.to_datetime("2026-11-02 08:00:00")
        for order, paid_after in zip(
            orders.sorted("name"), (10, 20, None), strict=True
        ):
            order.write(
                {
                    "date_received": received,
                    "date_paid": paid_after and received + timedelta(hours=paid_after),
                }
            )
        orders.flush_recordset()
        self.env.cr.execute(
            "SELECT name, lag_total_hours FROM interop_supply_order WHERE id IN %s",
            (tuple(orders.ids),),
        )
        # an order not paid yet has no lag to pay (not one of 0 hours)
        self.assertEqual(
            dict(self.env.cr.fetchall()),
            {"T-LAG1": 10.0, "T-LAG2": 20.0, "T-LAG3": None},
        )
        # the dashboards' measure: the average of the two paid orders, not a sum
        # and not a third order paid at once
        (group,) = Order.read_group([("id", "in", orders.ids)], ["lag_total_hours"], [])
        self.assertEqual(group["lag_total_hours"], 15.0)

    def test_stuck_orders_are_found_by_their_delay(self):
        self._send(self.shop, "order.received", self._order_payload())
        order = self._order()
        Order = self.env["interop.supply.order"]
        self.assertFalse(order.is_stuck)
        self.assertNotIn(order, Order.search([("is_stuck", "=", True)]))
        self.env["ir.config_parameter"].set_param("interop_supply.stuck_hours", "-1")
        order.invalidate_recordset(["is_stuck"])
        self.assertTrue(order.is_stuck)
        self.assertIn(order, Order.search([("is_stuck", "=", True)]))
