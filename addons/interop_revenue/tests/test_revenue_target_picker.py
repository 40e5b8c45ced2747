# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestRevenueTargetPicker(HttpCase):
    """A mapping table's target picker offers only what the table allows."""

    def test_service_codes_picker_offers_services_not_desks(self):
        table = self.env.ref("interop_revenue.mapping_table_service_codes")
        Product = self.env["product.product"]
        # what an unrestricted picker would offer: the catalog's desks
        desks = Product.search([("name", "ilike", "Desk")])
        self.assertTrue(desks, "the demo catalog has desks")
        self.assertFalse(desks.filtered(lambda p: p.type == "service"))
        lines = table.line_ids
        action = self.env.ref("interop.interop_mapping_table_action")
        self.start_tour(
            f"/odoo/action-{action.id}/{table.id}",
            "interop_revenue_target_picker_tour",
            login="integration",
        )
        table.invalidate_recordset()
        self.assertEqual(table.line_ids, lines, "the tour discarded its line")
