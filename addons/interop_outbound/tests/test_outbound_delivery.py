# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from datetime import datetime
from unittest.mock import patch

import requests

from odoo.exceptions import AccessError, UserError
from odoo.tests import BaseCase, freeze_time, tagged

from odoo.addons.queue_job.job import Job

from ..outbound import (
    ACCEPTED,
    BUSY,
    CONFIGURATION,
    CREDENTIALS,
    REJECTED,
    RESPONSE_MAX_BYTES,
    classify_response,
    classify_status,
)
from .common import Answer, OutboundCase, unused_port

REQUEST = "odoo.addons.interop_outbound.models.interop_endpoint.requests.request"


@tagged("post_install", "-at_install")
class TestOutboundSend(OutboundCase):
    def test_send_logs_an_outbound_message_with_one_job_on_the_endpoint_channel(self):
        parent = self._send({"visit": "V-1"})
        message = self._send({"invoice": "INV-1"}, parent=parent, path="/invoices")
        self.assertRecordValues(
            message,
            [
                {
                    "direction": "outbound",
                    "state": "queued",
                    "http_method": "POST",
                    "outbound_path": "/invoices",
                    "correlation_id": parent.correlation_id,
                    "parent_id": parent.id,
                }
            ],
        )
        self.assertTrue(message.idempotency_key)
        jobs = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        self.assertRecordValues(
            jobs,
            [
                {
                    "model_name": "interop.message",
                    "method_name": "_job_send",
                    "channel": "root.interop.outbound",
                    "state": "pending",
                }
            ],
        )
        self.assertTrue(jobs.identity_key)
        # queuing it again does not make a second job
        message.with_delay(identity_key=jobs.identity_key)._job_send()
        self.assertEqual(
            self.env["queue.job"].search_count(
                [("identity_key", "=", jobs.identity_key)]
            ),
            1,
        )

    def test_a_payload_breaking_its_contract_is_rejected_and_never_sent(self):
        event_type = self.env["interop.event.type"].create(
            {
                "code": "invoice.posted",
                "name": "Invoice Posted",
                "direction": "outbound",
                "schema": json.dumps(
                    {"type": "object", "required": ["invoice"], "properties": {}}
                ),
            }
        )
        message = self.endpoint._send(event_type, {"amount": 12})
        self.assertEqual(message.state, "rejected")
        self.assertFalse(message.job_uuid)

    def test_only_active_endpoints_send(self):
        self.endpoint.action_suspend()
        with self.assertRaisesRegex(UserError, "not active"):
            self._send()


@tagged("post_install", "-at_install")
class TestOutboundDelivery(OutboundCase):
    def test_delivery_posts_the_payload_with_correlation_and_idempotency(self):
        self.remote.answer("/api/invoices", Answer(200, {"id": "R-77"}))
        message = self._send({"invoice": "INV-1", "amount": 120.5}, path="invoices")
        outcome = message._job_send()
        self.assertIn("Delivered", outcome)
        (received,) = self.remote.received
        self.assertEqual((received.method, received.path), ("POST", "/api/invoices"))
        self.assertEqual(received.json(), {"invoice": "INV-1", "amount": 120.5})
        self.assertEqual(received.headers["X-Correlation-Id"], message.correlation_id)
        self.assertEqual(received.headers["Idempotency-Key"], message.idempotency_key)
        self.assertEqual(received.headers["X-Api-Key"], "s3cr3t-api-key")
        self.assertEqual(received.headers["Content-Type"], "application/json")
        self.assertRecordValues(
            message,
            [{"state": "done", "attempt_count": 1, "http_status": 200}],
        )
        self.assertRecordValues(
            message.attempt_ids,
            [
                {
                    "result": "done",
                    "http_status": 200,
                    "credential_id": self.credential.id,
                    "response_size": len(b'{"id": "R-77"}'),
                }
            ],
        )

    def test_the_call_has_the_endpoint_timeout_and_verifies_tls(self):
        self.endpoint._interop_apply_write({"outbound_timeout": 7})
        message = self._send()
        with patch(REQUEST, wraps=requests.request) as request:
            message._job_send()
        kwargs = request.call_args.kwargs
        self.assertEqual(kwargs["timeout"], 7)
        self.assertIs(kwargs["verify"], True)
        self.assertIs(kwargs["allow_redirects"], False)

    def test_latency_of_a_slow_remote_is_recorded(self):
        self.remote.answer("/api", Answer(200, delay=0.2))
        message = self._send()
        message._job_send()
        self.assertGreaterEqual(message.attempt_ids.latency_ms, 200)

    def test_a_message_already_delivered_is_never_sent_again(self):
        message = self._send()
        message._job_send()
        self.assertIn("Skipped", message._job_send())
        self.assertIn("Skipped", message._job_process())
        self.assertEqual(len(self.remote.received), 1)

    def test_the_answer_of_the_remote_is_pruned_with_the_message(self):
        message = self._send()
        message._job_send()
        message.sudo().with_context(interop_retention=True).write(
            {"payload_enc": False, "is_payload_pruned": True}
        )
        self.assertFalse(
            message.attempt_ids.with_user(self.phi_user)
            .with_context(interop_reveal_payload=True)
            .response_display
        )

    def test_the_answer_of_the_remote_is_encrypted_and_shown_with_phi_access(self):
        self.remote.answer("/api", Answer(200, {"patient": "Jane Roe"}))
        message = self._send()
        message._job_send()
        attempt = message.attempt_ids
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT response_enc FROM interop_message_attempt WHERE id = %s",
            [attempt.id],
        )
        self.assertNotIn("Jane", self.env.cr.fetchone()[0])
        # hidden first, to PHI readers too: opening the attempt records nothing
        self.assertNotIn("Jane", attempt.with_user(self.phi_user).response_display)
        phi_views = [("event", "=", "phi_viewed"), ("res_id", "=", message.id)]
        Audit = self.env["interop.audit.entry"]
        self.assertFalse(Audit.search_count(phi_views))
        # Reveal shows it, and records the view
        action = attempt.with_user(self.phi_user).action_reveal_response()
        revealed = attempt.with_user(self.phi_user).with_context(**action["context"])
        self.assertIn("Jane Roe", revealed.response_display)
        self.assertEqual(Audit.search_count(phi_views), 1)
        hidden = attempt.with_user(self.manager).response_display
        self.assertNotIn("Jane", hidden)
        self.assertIn("PHI Access", hidden)

    def test_attack_non_phi_user_reveals_the_remote_answer_over_rpc(self):
        self.remote.answer("/api", Answer(200, {"patient": "Jane Roe"}))
        message = self._send()
        message._job_send()
        attempt = message.attempt_ids
        for user in (self.user, self.manager):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    attempt.with_user(user).action_reveal_response()
                shown = (
                    attempt.with_user(user)
                    .with_context(interop_reveal_payload=True)
                    .response_display
                )
                self.assertNotIn("Jane", shown)


@tagged("post_install", "-at_install")
class TestOutboundRetries(OutboundCase):
    def _retry(self, message):
        return self.assertRetried(message._job_send)

    def test_a_server_error_is_retried_with_exponential_backoff_and_jitter(self):
        self.remote.answer("/api", Answer(500, {"error": "boom"}))
        message = self._send()
        first = self._retry(message)
        self.assertTrue(30 <= first.seconds <= 37, first.seconds)
        self.assertFalse(first.ignore_retry)
        second = self._retry(message)
        self.assertTrue(60 <= second.seconds <= 75, second.seconds)
        self.assertEqual(message.state, "queued")
        # each attempt is on record, although the job's transaction is rolled back
        self.assertEqual(message.attempt_ids.mapped("result"), ["retry", "retry"])
        self.assertEqual(message.attempt_ids.mapped("http_status"), [500, 500])
        self.assertEqual(self.endpoint.breaker_failure_count, 2)

    def test_too_many_requests_honours_retry_after(self):
        self.remote.answer("/api", Answer(429, headers={"Retry-After": "120"}))
        error = self._retry(self._send())
        self.assertEqual(error.seconds, 120)
        # the remote answered: slowing down is not an outage
        self.assertEqual(self.endpoint.breaker_failure_count, 0)

    @freeze_time("2026-03-02 10:00:00")
    def test_retry_after_may_be_a_date(self):
        self.remote.answer(
            "/api",
            Answer(503, headers={"Retry-After": "Mon, 02 Mar 2026 10:05:00 GMT"}),
        )
        self.assertEqual(self._retry(self._send()).seconds, 300)

    def test_a_remote_that_is_down_is_retried(self):
        self.endpoint._interop_apply_write(
            {"base_url": f"http://127.0.0.1:{unused_port()}/api"}
        )
        message = self._send()
        self._retry(message)
        self.assertIn("could not be reached", message.attempt_ids.error)

    def test_a_dropped_connection_is_retried(self):
        self.remote.answer("/api", Answer(drop=True))
        message = self._send()
        self._retry(message)
        self.assertEqual(message.attempt_ids.result, "retry")

    def test_a_timeout_is_retried(self):
        message = self._send()
        with patch(REQUEST, side_effect=requests.exceptions.ReadTimeout("slow")):
            self._retry(message)
        self.assertIn("ReadTimeout", message.attempt_ids.error)

    def test_a_rejection_fails_at_once_with_the_answer_kept(self):
        self.remote.answer("/api", Answer(400, {"error": "amount must be positive"}))
        message = self._send()
        message._job_send()
        self.assertRecordValues(
            message, [{"state": "failed", "http_status": 400, "attempt_count": 1}]
        )
        exception = message.exception_ids
        self.assertRecordValues(
            exception,
            [{"category_code": "business_rule", "user_id": self.user.id}],
        )
        self.assertIn("HTTP 400", exception.name)
        self.assertIn(
            "amount must be positive",
            message.attempt_ids.with_user(self.phi_user)
            .with_context(interop_reveal_payload=True)
            .response_display,
        )
        self.assertEqual(len(self.remote.received), 1)

    def test_a_delivery_queue_job_gives_up_on_fails_to_the_technical_owner(self):
        message = self._send()
        # what queue_job does when the delivery job's retries are spent: its job
        # function's on-fail method, on the job's records
        Job(message._job_send).on_fail(
            {"exc_name": "KeyError", "exc_message": "KeyError: 'total'"}
        )
        self.assertRecordValues(message, [{"state": "failed"}])
        self.assertIn("unexpected error (KeyError)", message.last_error)
        self.assertRecordValues(
            message.exception_ids,
            [{"user_id": message.endpoint_id.technical_owner_id.id}],
        )

    def test_attack_manager_reads_payload_values_in_a_failed_delivery_detail(self):
        message = self._send()
        # the text of an error the job runner caught quotes what the failing
        # statement held: a database error quotes the values it choked on
        Job(message._job_send).on_fail(
            {
                "exc_name": "UniqueViolation",
                "exc_message": "Key (ssn)=(078-05-1120) already exists.",
            }
        )
        exception = message.exception_ids.with_user(self.manager)
        self.assertTrue(exception.technical_detail)
        self.assertNotIn("078-05-1120", exception.technical_detail)
        self.assertIn("UniqueViolation", exception.technical_detail)

    def test_refused_credentials_go_to_the_technical_owner(self):
        self.remote.answer("/api", Answer(401, {"error": "invalid key"}))
        message = self._send()
        message._job_send()
        self.assertRecordValues(
            message.exception_ids,
            [{"category_code": "technical", "user_id": self.manager.id}],
        )

    def test_after_the_last_attempt_the_message_fails_and_can_be_retried(self):
        self.endpoint._interop_apply_write({"outbound_max_attempts": 2})
        self.remote.answer("/api", Answer(503), Answer(503), Answer(201))
        message = self._send()
        self._retry(message)
        message._job_send()
        self.assertEqual(message.state, "failed")
        exception = message.exception_ids
        self.assertRecordValues(
            exception, [{"category_code": "technical", "user_id": self.manager.id}]
        )
        self.assertIn("failed after 2 attempts", exception.name)
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [
                    ("res_model", "=", "interop.exception"),
                    ("res_id", "=", exception.id),
                    ("user_id", "=", self.manager.id),
                ]
            ),
            1,
        )
        # the owner retries it from the exception, once the partner is back
        exception.with_user(self.manager).action_retry()
        self.assertEqual(message.state, "queued")
        self.assertIn("Delivered", message._job_send())
        self.assertEqual(message.state, "done")
        self.assertEqual(exception.state, "resolved")
        keys = {r.headers["Idempotency-Key"] for r in self.remote.received}
        self.assertEqual(len(self.remote.received), 3)
        self.assertEqual(keys, {message.idempotency_key})
        self.assertEqual(message.attempt_ids.mapped("number"), [3, 2, 1])


@tagged("post_install", "-at_install")
class TestEnvironmentGuard(OutboundCase):
    def _set_database(self, environment):
        self.env["ir.config_parameter"].set_param(
            "interop.database_environment", environment
        )

    def test_a_test_database_never_calls_a_production_endpoint(self):
        self._set_database("test")
        # test setup, past change control
        self.endpoint._interop_apply_write(
            {
                "environment": "production",
                "base_url": self.remote.url.replace("http:", "https:") + "/api",
            }
        )
        message = self._send()
        message._job_send()
        self.assertEqual(message.state, "failed")
        self.assertIn(
            "This database is test: it never calls production endpoints",
            message.last_error,
        )
        self.assertEqual(message.exception_ids.user_id, self.manager)
        self.assertFalse(self.remote.received)

    def test_many_messages_to_production_are_one_exception_for_one_person(self):
        self._set_database("test")
        # test setup, past change control
        self.endpoint._interop_apply_write(
            {
                "environment": "production",
                "base_url": self.remote.url.replace("http:", "https:") + "/api",
            }
        )
        messages = self.env["interop.message"]
        for index in range(4):
            message = self._send({"invoice": f"INV-P{index}"})
            message._job_send()
            messages |= message
        self.assertEqual(set(messages.mapped("state")), {"failed"})
        exception = messages.exception_ids
        self.assertEqual(len(exception), 1)
        self.assertRecordValues(exception, [{"occurrence_count": 4, "state": "open"}])
        self.assertEqual(exception.affected_message_ids, messages)
        self.assertEqual(len(exception.activity_ids), 1)
        self.assertEqual(exception.activity_ids.user_id, self.manager)
        self.assertFalse(self.remote.received)

    def test_production_endpoints_are_called_over_https_only(self):
        self._set_database("production")
        # a URL that went around the form's check is still stopped before the call
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE interop_endpoint SET environment = 'production', base_url = %s "
            "WHERE id = %s",
            [self.remote.url + "/api", self.endpoint.id],
        )
        self.endpoint.invalidate_recordset(["base_url", "environment"])
        message = self._send()
        message._job_send()
        self.assertIn("https only", message.last_error)
        self.assertFalse(self.remote.received)

    def test_a_suspended_endpoint_holds_its_deliveries_until_activated(self):
        message = self._send()
        self.endpoint.action_suspend()
        self.assertIn("Held", message._job_send())
        self.assertTrue(message.date_held)
        self.assertFalse(self.remote.received)
        self.endpoint.action_activate()
        self.endpoint._job_deliver_held()
        self.assertEqual(message.state, "done")
        self.assertEqual(len(self.remote.received), 1)


@tagged("post_install", "-at_install")
class TestResponseClassification(BaseCase):
    """What an answer's HTTP status says of a call: a pure function beside
    CallResult (outbound.classify_status), the delivery's policy in one place."""

    def test_each_status_is_classified_as_the_delivery_treats_it(self):
        expected = {
            200: ACCEPTED,
            204: ACCEPTED,
            429: BUSY,
            500: BUSY,
            503: BUSY,
            401: CREDENTIALS,
            403: CREDENTIALS,
            407: CREDENTIALS,
            404: CONFIGURATION,
            405: CONFIGURATION,
            302: CONFIGURATION,
            400: REJECTED,
            409: REJECTED,
            422: REJECTED,
        }
        self.assertEqual(
            {status: classify_status(status) for status in expected}, expected
        )

    def _answer(self, status, **headers):
        return classify_response(
            status,
            requests.structures.CaseInsensitiveDict(headers),
            b"x" * (RESPONSE_MAX_BYTES + 10),
            42,
            datetime(2026, 1, 1, 12, 0, 0),
        )

    def test_a_failing_remote_is_tried_again_after_its_retry_after(self):
        result = self._answer(503, **{"retry-after": "120"})
        self.assertEqual(
            (result.kind, result.transient, result.breaker_failure, result.reached),
            (BUSY, True, True, False),
        )
        self.assertEqual(result.retry_after, 120)

    def test_a_remote_asking_to_slow_down_does_not_count_against_its_circuit(self):
        result = self._answer(429, **{"Retry-After": "Thu, 01 Jan 2026 12:01:00 GMT"})
        self.assertEqual((result.transient, result.breaker_failure), (True, False))
        self.assertEqual(result.retry_after, 60)

    def test_a_refusal_is_final_and_its_answer_kept_within_bounds(self):
        result = self._answer(422, **{"Content-Type": "application/problem+json"})
        self.assertEqual(
            (result.kind, result.transient, result.reached, result.latency_ms),
            (REJECTED, False, True, 42),
        )
        self.assertEqual(len(result.body), RESPONSE_MAX_BYTES)
        self.assertEqual(result.content_type, "application/problem+json")
