# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.tests import HttpCase, tagged

from odoo.addons.interop_gateway.tests.common import SECRET, TIMEOUT, sign
from odoo.addons.queue_job.job import Job

from .common import RevenueCase


@tagged("post_install", "-at_install")
class TestRevenueThroughTheGateway(RevenueCase, HttpCase):
    """The scheduling platform calls the gateway over HTTP, signed, as in production."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the gateway queues a job: the test runs it as the job runner would
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=False))
        _key_record, cls.key = cls.env["interop.api.key"]._generate(
            cls.scheduling, "Revenue test key"
        )
        cls.scheduling._set_gateway_secret(SECRET)
        # a gateway setting of an active endpoint: past change control, as set up
        cls.scheduling._interop_apply_write({"gateway_require_signature": True})

    def _post_completion(self, payload):
        body = json.dumps(payload).encode()
        url = f"/interop/v1/inbound/{self.scheduling.code}/service.completed"
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.key}",
            **sign(body, url),
        }
        return self.opener.post(
            self.base_url() + url, data=body, headers=headers, timeout=TIMEOUT
        )

    def test_signed_completion_is_invoiced_once_even_when_sent_twice(self):
        payload = self._completed_payload("V-HTTP-1", codes=("70551",))
        response = self._post_completion(payload)
        self.assertEqual(response.status_code, 202, response.text)
        message = self.env["interop.message"].browse(response.json()["message_id"])
        self.assertEqual(message.state, "queued")
        self.env.invalidate_all()
        identity = self.env["interop.message.dispatch"]._drain_identity(
            message.event_type_id
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

        again = self._post_completion(payload)
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["message_id"], message.id)
        invoices = self.env["account.move"].search(
            [("invoice_origin", "=", "V-HTTP-1")]
        )
        self.assertEqual(invoices, invoice)
