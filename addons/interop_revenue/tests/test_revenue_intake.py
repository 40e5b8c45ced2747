# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.tests import tagged

from odoo.addons.queue_job.job import Job

from .common import RevenueCase


@tagged("post_install", "-at_install")
class TestRevenueThroughTheIntake(RevenueCase):
    """A completion enters by the one intake path the gateway uses
    (``interop.message._intake``: stored queued in one statement, then a drain job),
    as in production; the gateway's own tests cover its HTTP side (keys,
    signatures, answers)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the intake queues a job: the test runs it as the job runner would
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=False))
        cls.completed_event = cls.env["interop.event.type"]._find("service.completed")

    def _intake(self, payload):
        """What the gateway does with a valid POST of ``payload``."""
        body = json.dumps(payload)
        return self.env["interop.message"]._intake(
            self.scheduling,
            self.completed_event,
            body,
            payload,
            idempotency_key=payload["event_id"],
            business_key=payload["visit"]["id"],
        )

    def test_completion_through_the_intake_is_invoiced_once_even_when_sent_twice(self):
        payload = self._completed_payload("V-HTTP-1", codes=("70551",))
        intake = self._intake(payload)
        message = self.env["interop.message"].browse(intake.id)
        self.assertEqual(message.state, "queued")
        self.env.invalidate_all()
        identity = self.env["interop.message.dispatch"]._drain_identity(
            self.completed_event
        )
        drain = self.env["queue.job"].search(
            [("identity_key", "=", identity), ("state", "=", "pending")]
        )
        self.assertEqual(len(drain), 1)
        Job.load(self.env, drain.uuid).perform()
        self.env.invalidate_all()
        self.assertEqual(message.state, "done")
        visit = self._visit("V-HTTP-1")
        invoice = visit.invoice_id
        self.assertEqual(invoice.invoice_origin, "V-HTTP-1")
        self.assertEqual(invoice.amount_untaxed, 850.0)
        self.assertTrue(visit.date_billing_ready)

        # sent again with the same event id: nothing stored, nothing billed twice
        self.assertIsNone(self._intake(payload))
        self.assertEqual(
            self.env["interop.message"].search_count(
                [("business_key", "=", "V-HTTP-1"), ("direction", "=", "inbound")]
            ),
            1,
        )
        invoices = self.env["account.move"].search(
            [("invoice_origin", "=", "V-HTTP-1")]
        )
        self.assertEqual(invoices, invoice)
