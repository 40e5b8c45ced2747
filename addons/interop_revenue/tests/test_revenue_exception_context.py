# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields
from odoo.tests import new_test_user, tagged

from .common import RevenueCase


@tagged("post_install", "-at_install")
class TestRevenueExceptionContext(RevenueCase):
    """A revenue exception links what it is about and says who can fix it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.catalog_owner = new_test_user(
            cls.env, login="catalog_owner_rev", groups="interop.group_interop_user"
        )
        SystemOfRecord = cls.env["interop.system.of.record"]
        SystemOfRecord.search([]).unlink()
        SystemOfRecord.create(
            [
                {
                    "entity": "product",
                    "model_id": cls.env.ref("product.model_product_product").id,
                    "source": "odoo",
                    "user_id": cls.catalog_owner.id,
                },
                {
                    "entity": "price",
                    "model_id": cls.env.ref("product.model_product_pricelist").id,
                    "source": "odoo",
                    "user_id": cls.finance_owner.id,
                },
            ]
        )

    def _links(self, exception):
        return {(link.res_model, link.res_id) for link in exception.link_ids}

    def test_stuck_visit_exception_shows_codes_date_location(self):
        message = self._complete(codes=("99999",))
        exception = message.exception_ids
        visit = self._visit()
        details = exception.business_context
        today = fields.Date.to_string(fields.Date.today())
        for fact in ("V-T1", "99999", today, "SITE-1", "TEST-PAYER"):
            self.assertIn(fact, details)
        # no payload value beyond business codes: not the party, not the provider
        for phi in ("Party of", "Dr. Test", "1980-01-31", "@example.com"):
            self.assertNotIn(phi, details)
            self.assertNotIn(phi, exception.fix_hint or "")
        self.assertIn(("interop.visit", visit.id), self._links(exception))
        self.assertIn(
            ("interop.mapping.table", self.service_table.id), self._links(exception)
        )
        # the visit says why it waits
        self.assertIn("99999", visit.with_user(self.revenue_owner).waiting_reason)

    def test_unmapped_service_code_names_the_catalog_owner(self):
        message = self._complete(codes=("99999",))
        exception = message.exception_ids
        self.assertEqual(exception.fixer_id, self.catalog_owner)
        self.assertIn(self.catalog_owner.name, exception.fix_hint)
        self.assertIn("99999", exception.fix_hint)
        # Fix Mapping still opens a new line of the table
        fix = exception.with_user(self.table_owner).action_open_related()
        self.assertEqual(fix["context"]["default_table_id"], self.service_table.id)

    def test_pricing_exception_links_pricelist_visit_and_product(self):
        self.pricelist.item_ids.filtered(lambda i: i.product_id == self.ct).unlink()
        message = self._complete(codes=("70551", "71260"))
        exception = message.exception_ids
        links = self._links(exception)
        self.assertIn(("product.pricelist", self.pricelist.id), links)
        self.assertIn(("interop.visit", self._visit().id), links)
        self.assertIn(("product.product", self.ct.id), links)
        self.assertNotIn(("product.product", self.mri.id), links)
        self.assertEqual(exception.fixer_id, self.finance_owner)
