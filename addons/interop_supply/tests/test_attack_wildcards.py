# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import TransactionCase, tagged

from ..models.interop_sync import BankEntry


@tagged("post_install", "-at_install")
class TestSupplyWildcards(TransactionCase):
    """A payer's or customer's name and email are compared as written: ``%`` and
    ``_`` in them are characters, not patterns that match other customers (a
    payment credited to the wrong customer, a false duplicate)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Harbor Home Care",
                "email": "billing.harbor@example.com",
                "zip": "02110",
            }
        )

    def _entry(self, debtor_name):
        return BankEntry(
            key="E-WILD",
            statement="STMT-WILD",
            date="2026-12-04",
            amount=100.0,
            currency="EUR",
            reference="",
            text="",
            debtor_name=debtor_name,
            debtor_iban=None,
        )

    def test_attack_payer_named_with_a_pattern_is_taken_for_a_customer(self):
        Sync = self.env["interop.sync"]
        self.assertFalse(Sync._bank_partner(self._entry("Harbor%")))
        self.assertFalse(Sync._bank_partner(self._entry("Harbor_Home Care")))
        # the same name, whatever its case, is still the customer
        self.assertEqual(
            Sync._bank_partner(self._entry("HARBOR HOME CARE")), self.customer
        )

    def test_attack_wildcard_customer_is_a_duplicate_of_others(self):
        Intake = self.env["interop.supply.order.intake"]
        for customer in (
            {"id": "SHOP-W1", "name": "Other", "email": "%@example.com"},
            {"id": "SHOP-W2", "name": "Other", "email": "billing_harbor@example.com"},
            {
                "id": "SHOP-W3",
                "name": "Harbor%",
                "billing_address": {"zip": "02110"},
            },
        ):
            with self.subTest(customer=customer["id"]):
                found, _reason = self.env["res.partner"]._interop_probable_duplicates(
                    Intake._prepare_customer_vals(customer), ref=customer["id"]
                )
                self.assertFalse(found)
