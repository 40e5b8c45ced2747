# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import TransactionCase, tagged

#: the home each demo role lands on
HOMES = {
    "interop.user_revenue_manager": "interop.interop_exception_action",
    "interop.user_finance_controller": "interop.interop_exception_action",
    "interop.user_supply_lead": "interop.interop_exception_action",
    "interop.user_integration_engineer": "interop.interop_endpoint_action",
    "interop.user_compliance_auditor": "interop.interop_audit_entry_action",
}


@tagged("post_install", "-at_install")
class TestDemoStory(TransactionCase):
    """The demo tells its story with nothing broken that the story does not need."""

    def test_each_role_lands_on_its_own_home(self):
        for user_xmlid, action_xmlid in HOMES.items():
            with self.subTest(user=user_xmlid):
                self.assertEqual(
                    self.env.ref(user_xmlid).action_id.id,
                    self.env.ref(action_xmlid).id,
                )

    def test_demo_raises_no_exception_against_itself(self):
        # a development database never calls production: the demo sends nothing
        # there, so nobody gets an exception about it
        Exception_ = self.env["interop.exception"]
        self.assertFalse(
            Exception_.search([("name", "ilike", "never calls production")])
        )
        Message = self.env["interop.message"]
        self.assertFalse(
            Message.search(
                [
                    ("direction", "=", "outbound"),
                    ("state", "=", "queued"),
                    ("endpoint_id.environment", "=", "production"),
                ]
            )
        )
        # and what it did not send says why
        unsent = Message.search(
            [("direction", "=", "outbound"), ("state", "=", "cancelled")]
        )
        self.assertTrue(unsent)
        self.assertIn("never calls production", unsent[0].last_error)
        # jobs for them deliver nothing and raise nothing
        for message in unsent[:2]:
            self.assertIn("Skipped", message._job_send())
        self.assertFalse(
            Exception_.search([("name", "ilike", "never calls production")])
        )

    def test_demo_invoices_have_no_service_user_as_salesperson(self):
        visits = self.env["interop.visit"].search([("invoice_id", "!=", False)])
        self.assertTrue(visits)
        salespeople = visits.invoice_id.invoice_user_id
        self.assertFalse(
            salespeople.filtered(lambda u: u.has_group("interop.group_interop_service"))
        )
