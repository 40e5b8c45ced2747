# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import RevenueCase


@tagged("post_install", "-at_install")
class TestRevenueFlow(RevenueCase):
    """One business flow, one correlation id: completion in, invoice, payment,
    statuses out."""

    def _outbound(self, visit="V-T1"):
        return self.env["interop.message"].search(
            [("direction", "=", "outbound"), ("business_key", "=", visit)],
            order="id",
        )

    def test_billing_status_keeps_the_completion_correlation_id(self):
        completion = self._complete()
        status = self._outbound()
        self.assertEqual(len(status), 1)
        self.assertEqual(status.correlation_id, completion.correlation_id)
        self.assertEqual(status.parent_id, completion)
        self.assertEqual(completion.child_ids, status)

    def test_one_search_by_correlation_id_shows_the_whole_flow(self):
        completion = self._complete()
        payment = self._pay(amount=850.0)
        self.assertEqual(payment.state, "done")
        visit = self._visit()
        self.assertEqual(visit.state, "paid")
        self.assertEqual(visit.correlation_id, completion.correlation_id)
        flow = self.env["interop.message"].search(
            [("correlation_id", "=", completion.correlation_id)], order="id"
        )
        invoiced, paid = self._outbound()
        self.assertEqual(flow, completion | invoiced | payment | paid)
        self.assertEqual(payment.parent_id, completion)
        self.assertEqual(paid.parent_id, payment)
        self.assertEqual(paid._get_payload()["event"], "paid")
        # the invoice and the payment are the records of the flow's messages
        records = {link.res_ref for link in flow.link_ids}
        self.assertIn(visit.invoice_id, records)
        self.assertIn(visit.payment_ids, records)
        # the form's button opens that search
        action = completion.with_user(self.user).action_view_flow()
        self.assertEqual(self.env["interop.message"].search(action["domain"]), flow)

    def test_replayed_completion_keeps_its_correlation_id(self):
        completion = self._complete(codes=("99999",))
        self.assertEqual(completion.state, "failed")
        correlation = completion.correlation_id
        self.env["interop.mapping.line"].create(
            {
                "table_id": self.service_table.id,
                "external_code": "99999",
                "res_id": self.cbc.id,
            }
        )
        completion.with_user(self.manager).action_replay()
        self.assertEqual(completion.state, "done")
        self.assertEqual(completion.correlation_id, correlation)
        status = self._outbound()
        self.assertEqual(status.correlation_id, correlation)
        self.assertEqual(status.parent_id, completion)

    def test_cancellation_joins_the_flow_and_its_status_derives_from_it(self):
        completion = self._complete()
        cancel = self.scheduling._receive_event(
            "service.cancelled",
            {"event_id": "evt-V-T1-cancelled", "visit": {"id": "V-T1"}},
        )
        self.assertEqual(cancel.state, "done")
        cancelled_status = self._outbound()[-1]
        self.assertEqual(cancelled_status._get_payload()["event"], "cancelled")
        self.assertEqual(cancelled_status.parent_id, cancel)
        self.assertEqual(cancel.parent_id, completion)
        self.assertEqual(
            {cancel.correlation_id, cancelled_status.correlation_id},
            {completion.correlation_id},
        )

    def test_payment_of_unknown_visit_keeps_its_own_correlation_id(self):
        payment = self._pay("V-NOPE", amount=10.0)
        self.assertEqual(payment.state, "failed")
        self.assertFalse(payment.parent_id)
        self.assertEqual(
            self.env["interop.message"].search_count(
                [("correlation_id", "=", payment.correlation_id)]
            ),
            1,
        )
