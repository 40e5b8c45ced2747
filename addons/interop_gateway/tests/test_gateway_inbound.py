# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from unittest.mock import patch

from psycopg2 import OperationalError

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import GatewayCase


@tagged("post_install", "-at_install")
class TestInboundAccepted(GatewayCase):
    def test_valid_event_is_queued_and_answered_202(self):
        response = self._post()
        self.assertEqual(response.status_code, 202, response.text)
        message = self._messages()
        self.assertEqual(
            response.json(),
            {
                "message_id": message.id,
                "correlation_id": message.correlation_id,
                "status": "queued",
            },
        )
        self.assertEqual(
            response.headers["Location"], f"/interop/v1/messages/{message.id}"
        )
        self.assertRecordValues(
            message,
            [
                {
                    "state": "queued",
                    "direction": "inbound",
                    "event_type_id": self.event_type.id,
                    "business_key": "P-1001",
                    "idempotency_key": "evt-P-1001",
                    "create_uid": self.endpoint.service_user_id.id,
                }
            ],
        )

    def test_job_runs_as_the_service_user_on_the_event_channel(self):
        self._post()
        job = self._pending_jobs(self._messages())
        self.assertRecordValues(
            job,
            [
                {
                    "channel": "root.interop",
                    "user_id": self.endpoint.service_user_id.id,
                    "method_name": "_job_drain",
                    "state": "pending",
                }
            ],
        )

    def test_messages_queued_together_share_one_job(self):
        self._post(self._payload(ref="P-7101"))
        self._post(self._payload(ref="P-7102"))
        messages = self._messages()
        self.assertEqual(len(messages), 2)
        self.assertEqual(len(self._pending_jobs(messages[0])), 1)
        self._run_job(messages[0])
        self.assertEqual(set(messages.mapped("state")), {"done"})
        partners = self.env["res.partner"].search([("ref", "in", ("P-7101", "P-7102"))])
        self.assertEqual(len(partners), 2)

    def test_accepted_message_flows_through_the_job_into_a_contact(self):
        self._post(self._payload(ref="P-7001", name="John Doe"))
        message = self._messages()
        self._run_job(message)
        partner = self.env["res.partner"].search([("ref", "=", "P-7001")])
        self.assertEqual(partner.name, "John Doe")
        self.assertEqual(message.state, "done")
        self.assertEqual(message.link_ids.res_ref, partner)
        self.assertEqual(partner.create_uid, self.endpoint.service_user_id)

    def test_stored_payload_is_the_body_as_received(self):
        body = b'{"contact": {"name": "Jane Roe", "ref": "P-1"},  "event_id": "e-1"}'
        self._post(body=body)
        message = self._messages()
        self.assertEqual(message.payload_size, len(body))
        self.assertEqual(message._get_payload()["contact"]["ref"], "P-1")

    def test_json_media_type_suffix_is_accepted(self):
        response = self._post(
            headers={"Content-Type": "application/vnd.careslot+json; charset=utf-8"}
        )
        self.assertEqual(response.status_code, 202, response.text)

    def test_no_session_is_created_for_partner_systems(self):
        response = self._post()
        self.assertNotIn("Set-Cookie", response.headers)


@tagged("post_install", "-at_install")
class TestInboundRefused(GatewayCase):
    def test_malformed_json_is_400(self):
        problem = self.assertProblem(self._post(body=b'{"event_id": '), 400)
        self.assertEqual(problem["type"], "urn:interop:problem:malformed-json")
        self.assertFalse(self._messages())

    def test_json_constants_outside_the_standard_are_400(self):
        self.assertProblem(self._post(body=b'{"event_id": NaN}'), 400)

    def test_body_that_is_not_json_is_415(self):
        for content_type in ("text/plain", "application/x-www-form-urlencoded", ""):
            with self.subTest(content_type=content_type):
                response = self._post(
                    body=b"event_id=1", headers={"Content-Type": content_type}
                )
                self.assertProblem(response, 415)
        self.assertFalse(self._messages())

    def test_json_in_another_charset_is_415(self):
        response = self._post(
            headers={"Content-Type": "application/json; charset=latin-1"}
        )
        self.assertProblem(response, 415)

    def test_body_over_the_endpoint_limit_is_413(self):
        self.endpoint._interop_apply_write({"gateway_max_body_bytes": 100})
        payload = self._payload(name="x" * 200)
        problem = self.assertProblem(self._post(payload), 413)
        self.assertIn("100 bytes", problem["detail"])
        self.assertFalse(self._messages())

    def test_body_at_the_endpoint_limit_is_accepted(self):
        body = json.dumps(self._payload()).encode()
        self.endpoint._interop_apply_write({"gateway_max_body_bytes": len(body)})
        self.assertEqual(self._post(body=body).status_code, 202)

    def test_schema_violations_are_422_each_listed_and_logged_as_rejected(self):
        payload = {"event_id": 7, "contact": {"name": ""}}
        problem = self.assertProblem(self._post(payload), 422)
        message = self._messages()
        self.assertEqual(problem["message_id"], message.id)
        self.assertEqual(len(problem["violations"]), 3, problem["violations"])
        self.assertIn(
            '$.contact: misses the required property "ref" (keyword: required)',
            problem["violations"],
        )
        self.assertRecordValues(message, [{"state": "rejected", "job_uuid": False}])

    def test_rejected_message_keeps_the_violations_found_without_validating_again(
        self,
    ):
        EventType = type(self.env["interop.event.type"])
        validate = EventType._validate_payload
        with patch.object(
            EventType, "_validate_payload", autospec=True, side_effect=validate
        ) as spy:
            problem = self.assertProblem(self._post({"event_id": 7}), 422)
        # the gateway's contract check found them: nothing checks the payload again
        spy.assert_not_called()
        self.assertEqual(
            self._messages().rejection_reasons.split("\n"), problem["violations"]
        )

    def test_unknown_event_type_is_404(self):
        problem = self.assertProblem(self._post(event="no.such.event"), 404)
        self.assertEqual(problem["type"], "urn:interop:problem:not-found")

    def test_outbound_event_type_is_404(self):
        self.event_type.copy({"code": "contact.exported", "direction": "outbound"})
        self.assertProblem(self._post(event="contact.exported"), 404)

    def test_archived_event_type_is_404(self):
        self.event_type.active = False
        self.assertProblem(self._post(), 404)

    def test_unknown_endpoint_is_404(self):
        self.assertProblem(self._post(endpoint_code="no-such-endpoint"), 404)

    def test_suspended_endpoint_is_403(self):
        self.endpoint.action_suspend()
        problem = self.assertProblem(self._post(), 403)
        self.assertIn("not active", problem["detail"])
        self.assertFalse(self._messages())

    def test_database_unable_to_take_the_message_is_503(self):
        Message = self.registry["interop.message"]
        with (
            patch.object(
                Message, "_log_queued", side_effect=OperationalError("no space")
            ),
            mute_logger("odoo.addons.interop_gateway.controllers.interop_gateway"),
        ):
            response = self._post()
        problem = self.assertProblem(response, 503)
        self.assertEqual(response.headers["Retry-After"], "5")
        self.assertNotIn("no space", response.text)
        self.assertNotIn("message_id", problem)

    def test_unexpected_error_is_a_bare_500_and_logged(self):
        Gateway = self.registry["interop.gateway"]
        with (
            patch.object(Gateway, "_store", side_effect=KeyError("contact.secret")),
            self.assertLogs(
                "odoo.addons.interop_gateway.controllers.interop_gateway", "ERROR"
            ) as logs,
        ):
            response = self._post()
        problem = self.assertProblem(response, 500)
        self.assertEqual(set(problem), {"type", "title", "status"})
        self.assertNotIn("contact.secret", response.text)
        self.assertIn("unexpected error", logs.output[0])
