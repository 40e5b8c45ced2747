# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime

from odoo.tests import tagged

from .common import GatewayCase


@tagged("post_install", "-at_install")
class TestGatewayMessageStatus(GatewayCase):
    def test_sender_reads_the_status_of_its_message(self):
        location = self._post().headers["Location"]
        response = self._get(location, key=self.key)
        self.assertEqual(response.status_code, 200, response.text)
        message = self._messages()
        body = response.json()
        self.assertEqual(
            {k: v for k, v in body.items() if k != "received_at"},
            {
                "message_id": message.id,
                "correlation_id": message.correlation_id,
                "status": "queued",
                "event_type": "test.contact.updated",
                "last_error": None,
            },
        )
        received = datetime.fromisoformat(body["received_at"])
        self.assertEqual(received.replace(tzinfo=None), message.date_received)

    def test_status_of_a_processed_message(self):
        self._post()
        self._run_job(self._messages())
        body = self._get(self._post().headers["Location"], key=self.key).json()
        self.assertEqual(body["status"], "done")

    def test_status_of_a_rejected_message_says_why_in_words(self):
        problem = self.assertProblem(self._post({"event_id": "e"}), 422)
        body = self._get(
            f"/interop/v1/messages/{problem['message_id']}", key=self.key
        ).json()
        self.assertEqual(body["status"], "rejected")
        self.assertIn("does not match the contract", body["last_error"])

    def test_another_endpoints_key_is_404(self):
        location = self._post().headers["Location"]
        other = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="other-endpoint", name="Other")
        )
        other._activate()
        _other_key, plaintext = self.env["interop.api.key"]._generate(other, "Other")
        self.assertProblem(self._get(location, key=plaintext), 404)

    def test_unknown_message_is_404(self):
        for message_id in (0, 987654321, 98765432109876):
            with self.subTest(message_id=message_id):
                response = self._get(f"/interop/v1/messages/{message_id}", self.key)
                self.assertProblem(response, 404)

    def test_status_needs_a_key(self):
        location = self._post().headers["Location"]
        self.assertProblem(self._get(location), 401)
