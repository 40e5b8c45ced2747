# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import RevenueCase


@tagged("post_install", "-at_install")
class TestGatewayPayments(RevenueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # every test pays the visit V-T1, invoiced 850.00
        cls.scheduling._receive_event("service.completed", cls._completed_payload())

    def test_captured_payment_is_posted_and_reconciled(self):
        message = self._pay()
        self.assertEqual(message.state, "done")
        visit = self._visit()
        gateway_payment = visit.payment_ids
        self.assertRecordValues(
            gateway_payment,
            [{"name": "pay-V-T1", "status": "captured", "amount": 850.0, "fees": 1.5}],
        )
        payment = gateway_payment.account_payment_id
        self.assertEqual(payment.state, "paid")
        self.assertEqual(payment.journal_id, self.journal)
        self.assertIn(visit.invoice_id.payment_state, ("paid", "in_payment"))
        self.assertEqual(visit.invoice_id.amount_residual, 0.0)
        self.assertEqual(visit.state, "paid")
        self.assertTrue(visit.date_paid)

    def test_partial_payment_leaves_the_residual_open(self):
        self._pay(amount=300.0)
        visit = self._visit()
        self.assertEqual(visit.invoice_id.payment_state, "partial")
        self.assertEqual(visit.invoice_id.amount_residual, 550.0)
        self.assertEqual(visit.state, "invoiced")
        self._pay(amount=550.0, payment_id="pay-V-T1-b")
        self.assertEqual(visit.state, "paid")

    def test_payment_by_invoice_reference(self):
        invoice = self._visit().invoice_id
        message = self._pay(visit=None, invoice_ref=invoice.name, payment_id="p-inv")
        self.assertEqual(message.state, "done")
        self.assertEqual(self._visit().state, "paid")

    def test_amount_above_the_invoice_goes_to_finance_then_replays(self):
        message = self._pay(amount=885.0)
        exception = self.assertException(message, "business_rule", self.finance_owner)
        self.assertIn("885", exception.name)
        self.assertFalse(self._visit().payment_ids)
        # the visit had a lab panel too: the platform amends it
        self.scheduling._receive_event(
            "service.amended",
            self._completed_payload(codes=("70551", "85025"), event_id="evt-amend"),
        )
        exception.with_user(self.finance_owner).action_retry()
        self.assertEqual(message.state, "done")
        self.assertEqual(self._visit().state, "paid")

    def test_currency_mismatch_goes_to_finance(self):
        other = self.env.ref("base.EUR")
        if other == self.currency:
            other = self.env.ref("base.USD")
        message = self._pay(currency=other.name)
        exception = self.assertException(message, "business_rule", self.finance_owner)
        self.assertIn(other.name, exception.name)

    def test_unknown_reference_goes_to_finance_then_replays(self):
        message = self._pay(visit="V-LATE", payment_id="pay-late")
        exception = self.assertException(message, "business_rule", self.finance_owner)
        self.assertIn("V-LATE", exception.name)
        # the visit's completion arrives after its payment
        self._complete(visit="V-LATE")
        exception.with_user(self.finance_owner).action_retry()
        self.assertEqual(message.state, "done")
        self.assertEqual(self._visit("V-LATE").state, "paid")

    def test_duplicate_gateway_payment_id_goes_to_finance(self):
        self._pay(amount=300.0)
        message = self._pay(amount=300.0, event_id="evt-second-delivery")
        exception = self.assertException(message, "business_rule", self.finance_owner)
        self.assertIn("pay-V-T1", exception.name)
        visit = self._visit()
        self.assertEqual(len(visit.payment_ids), 1)
        self.assertEqual(visit.invoice_id.amount_residual, 550.0)
        # the exception links the payment and the visit it pays
        self.assertEqual(
            {(link.res_model, link.res_id) for link in exception.link_ids},
            {
                ("interop.visit.payment", visit.payment_ids.id),
                ("interop.visit", visit.id),
            },
        )

    def test_refund_reverses_the_payment(self):
        self._pay()
        message = self._pay(status="refunded")
        self.assertEqual(message.state, "done")
        visit = self._visit()
        self.assertEqual(visit.payment_ids.status, "refunded")
        self.assertTrue(visit.payment_ids.reversal_move_id)
        self.assertEqual(visit.invoice_id.payment_state, "not_paid")
        self.assertEqual(visit.invoice_id.amount_residual, 850.0)
        self.assertEqual(visit.state, "invoiced")

    def test_chargeback_of_an_unknown_payment_goes_to_finance(self):
        message = self._pay(status="chargeback", payment_id="pay-unknown")
        self.assertException(message, "business_rule", self.finance_owner)

    def test_authorization_records_the_payment_without_accounting(self):
        message = self._pay(status="authorized")
        self.assertEqual(message.state, "done")
        payment = self._visit().payment_ids or self.env["interop.visit.payment"].search(
            [("name", "=", "pay-V-T1")]
        )
        self.assertEqual(payment.status, "authorized")
        self.assertFalse(payment.account_payment_id)
        self.assertEqual(self._visit().invoice_id.payment_state, "not_paid")
