# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestSupplyDemo(TransactionCase):
    def test_demo_company_keeps_its_name_after_inventory_demo(self):
        """Inventory's demo renames the main company; the story's network is still
        Meridian Diagnostics on every screen and document."""
        self.assertEqual(self.env.ref("base.main_company").name, "Meridian Diagnostics")
