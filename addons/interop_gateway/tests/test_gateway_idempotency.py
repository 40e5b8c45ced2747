# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import threading
from unittest.mock import patch

from odoo import api
from odoo.tests import TransactionCase, tagged

from .common import GatewayCase


@tagged("post_install", "-at_install")
class TestGatewayIdempotency(GatewayCase):
    def test_repeat_with_the_same_key_is_200_and_creates_nothing(self):
        headers = {"Idempotency-Key": "order-42"}
        first = self._post(headers=headers)
        self.assertEqual(first.status_code, 202)
        repeat = self._post(headers=headers)
        self.assertEqual(repeat.status_code, 200, repeat.text)
        self.assertEqual(repeat.json(), first.json())
        self.assertEqual(repeat.headers["Location"], first.headers["Location"])
        self.assertEqual(len(self._messages()), 1)
        self.assertEqual(len(self._pending_jobs(self._messages())), 1)

    def test_repeat_answers_the_original_messages_current_status(self):
        self._post()
        self._run_job(self._messages())
        repeat = self._post()
        self.assertEqual(repeat.status_code, 200)
        self.assertEqual(repeat.json()["status"], "done")

    def test_payload_id_field_is_the_key_without_a_header(self):
        self._post()
        self.assertEqual(self._post().status_code, 200)
        self.assertEqual(self._messages().idempotency_key, "evt-P-1001")

    def test_same_key_with_another_body_is_409(self):
        self._post(headers={"Idempotency-Key": "order-42"})
        other = self._payload(ref="P-2")
        response = self._post(other, headers={"Idempotency-Key": "order-42"})
        problem = self.assertProblem(response, 409)
        self.assertEqual(problem["message_id"], self._messages().id)
        self.assertEqual(len(self._messages()), 1)

    def test_same_event_id_with_another_body_is_409(self):
        self._post()
        changed = self._payload(name="Jane Roe-Smith")  # same event_id
        self.assertProblem(self._post(changed), 409)

    def test_invalid_body_with_a_used_key_is_422_not_409(self):
        self._post(headers={"Idempotency-Key": "order-43"})
        invalid = self._payload() | {"contact": {"ref": "P-1001"}}  # no name
        response = self._post(invalid, headers={"Idempotency-Key": "order-43"})
        self.assertProblem(response, 422)
        self.assertEqual(
            sorted(self._messages().mapped("state")), ["queued", "rejected"]
        )

    def test_header_takes_precedence_over_the_payload_id(self):
        self._post(headers={"Idempotency-Key": "a"})
        response = self._post(headers={"Idempotency-Key": "b"})
        self.assertEqual(response.status_code, 202)
        self.assertEqual(sorted(self._messages().mapped("idempotency_key")), ["a", "b"])

    def test_overlong_idempotency_key_is_400(self):
        response = self._post(headers={"Idempotency-Key": "k" * 257})
        problem = self.assertProblem(response, 400)
        self.assertIn("Idempotency-Key", problem["detail"])

    def test_rejected_payload_leaves_its_key_for_the_corrected_one(self):
        invalid = self._payload() | {"contact": {"ref": "P-1001"}}  # no name
        self.assertProblem(self._post(invalid), 422)
        response = self._post(self._payload())  # same event_id, corrected
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(
            sorted(self._messages().mapped("state")), ["queued", "rejected"]
        )


@tagged("post_install", "-at_install")
class TestGatewayIdempotencyRace(TransactionCase):
    """Two requests with one key, in two real transactions at once: one message.

    HttpCase serialises its requests on one test cursor, so the race is run on the
    gateway's storing step, with two committed transactions as two workers would.
    """

    def test_two_concurrent_requests_store_one_message(self):
        key = "race-gateway-1"
        body = json.dumps(
            {"event_id": key, "contact": {"ref": "RACE-1", "name": "Race Condition"}}
        ).encode()
        barrier = threading.Barrier(2)
        answers = []

        def request():
            with self.registry.cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                endpoint = env.ref("interop.endpoint_scheduling_platform")
                event_type = env.ref("interop_gateway.event_type_contact_updated")
                cr.execute("SELECT 1")  # both transactions start before either ends
                barrier.wait(timeout=10)
                answer = env["interop.gateway"]._store(
                    env["interop.endpoint"]._gateway_profile(endpoint.id),
                    env["interop.event.type"]._contract(event_type.code),
                    body,
                    json.loads(body),
                    key,
                )
                cr.commit()  # pylint: disable=invalid-commit
                answers.append(answer)

        def dispatch_without_job(messages, event_type, message_id, **_kwargs):
            # committed jobs would reach the job runner of the test server
            return None

        Gateway = self.registry["interop.gateway"]
        find_received = Gateway._find_received
        lookups = []

        def spied_find_received(gateway, endpoint, idempotency_key, committed=False):
            lookups.append(committed)
            return find_received(gateway, endpoint, idempotency_key, committed)

        threads = [threading.Thread(target=request) for _ in range(2)]
        with (
            patch.object(
                self.registry["interop.message"], "_dispatch_new", dispatch_without_job
            ),
            patch.object(Gateway, "_find_received", spied_find_received),
        ):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
        try:
            self.assertEqual(sorted(a.status for a in answers), [200, 202])
            self.assertEqual(len({a.body["message_id"] for a in answers}), 1)
            # no lookup before storing: the second insert waited for the first,
            # was refused, and found the first message in a new transaction
            self.assertEqual(lookups, [True])
            with self.registry.cursor() as cr:  # sees what the requests committed
                cr.execute(
                    "SELECT count(*) FROM interop_message WHERE idempotency_key = %s",
                    [key],
                )
                self.assertEqual(cr.fetchone()[0], 1)
        finally:
            with self.registry.cursor() as cr:
                cr.execute(
                    "DELETE FROM interop_message WHERE idempotency_key = %s", [key]
                )
