# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.interop.errors import SystemOfRecordConflict


@tagged("post_install", "-at_install")
class TestSupplyDemo(TransactionCase):
    def test_demo_company_keeps_its_name_after_inventory_demo(self):
        """Inventory's demo renames the main company; the story's network is still
        Meridian Diagnostics on every screen and document."""
        self.assertEqual(self.env.ref("base.main_company").name, "Meridian Diagnostics")

    def test_demo_catalog_writes_what_its_system_of_record_gives_it(self):
        """CareSlot's catalog owns the codes, names and list prices of services;
        Odoo the rest, and no other system writes them."""
        SystemOfRecord = self.env["interop.system.of.record"]
        careslot = self.env.ref("interop.endpoint_scheduling_platform")
        catalog = ["default_code", "name", "list_price", "type", "active"]
        self.assertTrue(
            SystemOfRecord._check_write("product.product", catalog, careslot)
        )
        with self.assertRaisesRegex(SystemOfRecordConflict, "owned by Odoo"):
            SystemOfRecord._check_write("product.product", ["taxes_id"], careslot)
        crm = self.env.ref("interop.endpoint_crm")
        owned = f"owned by {careslot.name}"
        with self.assertRaisesRegex(SystemOfRecordConflict, owned):
            SystemOfRecord._check_write("product.product", ["list_price"], crm)
        # exceptions needing a new service still ask supply chain's catalog owner
        rule = SystemOfRecord._find("product.product", self.env.company)
        self.assertEqual(rule.user_id, self.env.ref("interop.user_supply_lead"))

    def test_owned_fields_offer_a_products_template_fields_not_computed_ones(self):
        """The Owned Fields picker of a product rule offers the fields a catalog
        writes, those product.product keeps in its template included (name, list
        price), and not the computed figures nobody writes (quantity on hand)."""
        SystemOfRecord = self.env["interop.system.of.record"]
        model = self.env.ref("product.model_product_product")
        domain = SystemOfRecord._fields["field_ids"].domain
        offered = self.env["ir.model.fields"].search(
            safe_eval(domain, {"model_id": model.id})
        )
        names = set(offered.mapped("name"))
        self.assertLessEqual(
            {"default_code", "name", "list_price", "type", "active"}, names
        )
        self.assertNotIn("qty_available", names)
        self.assertEqual(set(offered.mapped("model")), {"product.product"})


@tagged("post_install", "-at_install")
class TestSupplyOwnedFieldsPicker(HttpCase):
    def test_nina_is_offered_a_products_template_field_to_own(self):
        """In Chromium, as Nina: the Owned Fields picker of the products' rule
        offers the sales price (kept in the product's template); nothing saved."""
        rule = self.env.ref("interop_revenue.system_of_record_services")
        self.assertFalse(rule.field_ids)
        self.start_tour(
            f"/odoo/action-interop.interop_system_of_record_action/{rule.id}",
            "interop_supply_owned_fields_tour",
            login="integration",
        )
        rule.invalidate_recordset()
        self.assertFalse(rule.field_ids)
