# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoStory(TransactionCase):
    """The demo tells its story with nothing broken that the story does not need."""

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

    def test_demo_busy_day_reconciles_and_each_mismatch_is_one_exception(self):
        Payment = self.env["interop.visit.payment"]
        Exception_ = self.env["interop.exception"]
        gateway = self.env.ref("interop.endpoint_payment_gateway")
        # the busy day: five payments on one report (payout), all settled
        busy = Payment.search(
            [
                ("endpoint_id", "=", gateway.id),
                ("name", "in", [f"pr_pay_900{n}" for n in (1, 2, 6, 7, 8)]),
            ]
        )
        self.assertEqual(len(busy), 5)
        self.assertEqual(set(busy.mapped("settlement_state")), {"settled"})
        self.assertEqual(len(set(busy.mapped("settlement_ref"))), 1)
        busy_date = busy[0].settlement_ref.split(" / ")[0]
        self.assertFalse(
            Exception_.search(
                [("endpoint_id", "=", gateway.id), ("name", "ilike", busy_date)]
            ),
            "the busy day's report reconciles cleanly",
        )
        # the day before: one mismatch of each kind, one exception each
        short = Payment.search(
            [("endpoint_id", "=", gateway.id), ("name", "=", "pr_pay_8101")]
        )
        mismatch_date = short.settlement_ref.split(" / ")[0]
        exceptions = Exception_.search(
            [
                ("endpoint_id", "=", gateway.id),
                ("name", "ilike", f"of {mismatch_date}"),
                ("state", "in", ("open", "in_progress")),
            ]
        )
        kinds = {
            "amount": "pr_pay_8101 is settled for 495.00 USD",
            "currency": "pr_pay_8102 is settled in EUR",
            "missing": "pr_pay_8103",
            "duplicate": "pr_pay_8104 is listed twice",
            "fee": "fee line pr_fee_8104 charges",
            "unknown": "pr_pay_8199",
        }
        for kind, fragment in kinds.items():
            with self.subTest(kind=kind):
                self.assertEqual(
                    len(exceptions.filtered(lambda e, f=fragment: f in e.name)), 1
                )
        self.assertEqual(len(exceptions), len(kinds))
