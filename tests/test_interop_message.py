# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import threading

import psycopg2

from odoo import api
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.interop.models.interop_event_type import mask_payload

from .common import InteropMessageCase


@tagged("post_install", "-at_install")
class TestMessageFlow(InteropMessageCase):
    def test_valid_message_is_processed_into_a_record(self):
        message = self._receive()
        partner = self.env["res.partner"].search([("ref", "=", "P-1001")])
        self.assertRecordValues(
            message,
            [
                {
                    "state": "done",
                    "direction": "inbound",
                    "business_key": "P-1001",
                    "event_version": 1,
                    "attempt_count": 1,
                    "last_error": False,
                }
            ],
        )
        self.assertEqual(partner.name, "Jane Roe")
        self.assertEqual(message.link_ids.res_ref, partner)
        self.assertEqual(message.attempt_ids.result, "done")
        self.assertTrue(message.correlation_id)
        self.assertTrue(message.date_finished >= message.date_started)

    def test_second_message_updates_the_same_record(self):
        self._receive()
        self._receive(self._payload(name="Jane Roe-Smith") | {"event_id": "evt-2"})
        partners = self.env["res.partner"].search([("ref", "=", "P-1001")])
        self.assertEqual(len(partners), 1)
        self.assertEqual(partners.name, "Jane Roe-Smith")

    def test_invalid_payload_is_rejected_with_every_violation(self):
        payload = {"event_id": 7, "contact": {"name": ""}}
        message = self._receive(payload)
        self.assertEqual(message.state, "rejected")
        reasons = message.rejection_reasons.splitlines()
        self.assertEqual(len(reasons), 3, reasons)
        self.assertTrue(any(r.startswith("$.event_id:") for r in reasons))
        self.assertIn(
            '$.contact: misses the required property "ref" (keyword: required)',
            reasons,
        )
        self.assertTrue(any(r.startswith("$.contact.name:") for r in reasons))
        self.assertFalse(self.env["res.partner"].search([("name", "=", "")]))

    def test_rejections_reach_the_technical_owner_as_one_exception(self):
        first = self._receive({"event_id": "bad-1", "contact": {"name": ""}})
        second = self._receive({"event_id": "bad-2", "contact": {"name": "x"}})
        self.assertEqual({first.state, second.state}, {"rejected"})
        exception = first.exception_ids
        self.assertEqual(second.exception_ids, exception)
        self.assertRecordValues(
            exception,
            [
                {
                    "occurrence_count": 2,
                    "user_id": self.endpoint.technical_owner_id.id,
                    "category_id": self.env.ref(
                        "interop.exception_category_validation"
                    ).id,
                    "state": "open",
                }
            ],
        )
        self.assertEqual(exception.affected_message_ids, first | second)
        self.assertIn("do not match its contract", exception.description)

    def test_message_records_the_schema_version_it_was_validated_against(self):
        first = self._receive()
        v2 = self.event_type.copy({"version": 2})
        self.assertEqual(first.event_version, 1)
        message = self.env["interop.message"]._receive(
            self.endpoint, v2, self._payload(ref="P-2") | {"event_id": "e2"}
        )
        self.assertEqual((message.event_type_id, message.event_version), (v2, 2))

    def test_correlation_id_is_kept_across_a_replay(self):
        self.event_type.record_field_map = json.dumps(
            {"ref": "contact.ref", "name": "contact.name", "website": "contact.website"}
        )
        message = self._receive(self._payload() | {"event_id": "corr"})
        self.assertEqual(message.state, "done")  # website is absent: not written
        self.env["interop.system.of.record"].create(
            {
                "entity": "responsible_party",
                "model_id": self.env.ref("base.model_res_partner").id,
                "source": "odoo",
            }
        )
        failing = self._receive(self._payload(ref="P-3") | {"event_id": "e3"})
        self.assertEqual(failing.state, "failed")
        correlation = failing.correlation_id
        self.env["interop.system.of.record"].search([]).unlink()
        failing.with_user(self.manager).action_replay()
        self.assertRecordValues(
            failing,
            [{"state": "done", "attempt_count": 2, "correlation_id": correlation}],
        )
        self.assertEqual(failing.attempt_ids.mapped("result"), ["done", "failed"])


@tagged("post_install", "-at_install")
class TestMessageStateMachine(InteropMessageCase):
    def _logged(self):
        return self.env["interop.message"]._log_message(
            self.endpoint, self.event_type, self._payload()
        )

    def test_allowed_path_to_done(self):
        message = self._logged()
        for state in ("validated", "queued", "processing", "done"):
            message._set_state(state)
            self.assertEqual(message.state, state)

    def test_refused_transitions_raise_a_clear_error(self):
        message = self._logged()
        with self.assertRaisesRegex(UserError, "cannot go from Received to Done"):
            message._set_state("done")
        message._set_state("cancelled")
        for state in ("received", "queued", "done"):
            with self.subTest(state=state), self.assertRaises(UserError):
                message._set_state(state)

    def test_only_failed_messages_can_be_replayed(self):
        message = self._receive()
        with self.assertRaisesRegex(UserError, "Only failed messages"):
            message.with_user(self.manager).action_replay()

    def test_cancel_a_failed_message_dismisses_its_exception(self):
        self.event_type.write({"handler_model": False, "handler_method": False})
        message = self._receive()
        self.assertEqual(message.state, "failed")
        exception = message.exception_ids
        message.with_user(self.manager).action_cancel()
        self.assertEqual(message.state, "cancelled")
        self.assertEqual(exception.state, "dismissed")

    def test_users_and_auditors_cannot_replay_or_cancel(self):
        message = self._receive()
        for user in (self.user, self.auditor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                message.with_user(user).action_cancel()

    def test_nobody_edits_or_deletes_messages(self):
        message = self._receive()
        for user in (self.user, self.manager, self.auditor):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    message.with_user(user).write({"business_key": "forged"})
                with self.assertRaises(AccessError):
                    message.with_user(user).unlink()
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            message.unlink()

    def test_messages_cannot_be_created_through_rpc(self):
        with self.assertRaises(AccessError):
            self.env["interop.message"].with_user(self.manager).create(
                {"direction": "inbound", "endpoint_id": self.endpoint.id}
            )


@tagged("post_install", "-at_install")
class TestMessagePayload(InteropMessageCase):
    def test_payload_is_encrypted_at_rest(self):
        message = self._receive()
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT payload_enc, payload_key_id FROM interop_message WHERE id = %s",
            [message.id],
        )
        stored, key_id = self.env.cr.fetchone()
        self.assertNotIn("Jane", stored)
        self.assertNotIn("P-1001", stored)
        self.assertTrue(stored.startswith(f"{key_id}$"))
        self.assertEqual(message._get_payload(), self._payload())

    def test_raw_ciphertext_is_not_readable_by_interop_users(self):
        message = self._receive()
        with self.assertRaises(AccessError):
            message.with_user(self.manager).read(["payload_enc"])

    def test_users_without_phi_access_see_a_masked_payload(self):
        message = self._receive()
        for user in (self.user, self.manager, self.auditor):
            with self.subTest(user=user.login):
                shown = message.with_user(user).payload_display
                self.assertNotIn("Jane", shown)
                self.assertNotIn("jane.p-1001@example.com", shown)
                self.assertIn('"P-1001"', shown)  # not a PHI path
                self.assertTrue(message.with_user(user).is_payload_masked)

    def test_phi_access_shows_the_payload(self):
        message = self._receive()
        # revealed (the Reveal button's context): unmasked
        revealed = message.with_user(self.phi_user).with_context(
            interop_reveal_payload=True
        )
        self.assertIn("Jane Roe", revealed.payload_display)
        self.assertFalse(revealed.is_payload_masked)

    def test_phi_event_without_paths_is_masked_entirely(self):
        self.event_type.phi_paths = False
        message = self._receive()
        shown = json.loads(message.with_user(self.user).payload_display)
        self.assertEqual(shown["contact"], {k: "***" for k in shown["contact"]})
        self.assertEqual(shown["event_id"], "***")


@tagged("post_install", "-at_install")
class TestDeepPayload(InteropMessageCase):
    """A payload nested deeper than Python's recursion limit is still shown."""

    DEPTH = 2000

    @classmethod
    def _deep_body(cls, secret):
        # built as text: Python's own JSON encoder would recurse
        return (
            '{"event_id": "deep-1", "contact": {"ref": "DEEP-1", "name": '
            + '{"n": ' * cls.DEPTH
            + json.dumps(secret)
            + "}" * cls.DEPTH
            + "}}"
        )

    def test_deeply_nested_payload_is_shown_masked_to_users_without_phi(self):
        secret = "deep-secret-5e1b"
        message = self.env["interop.message"]._log_message(
            self.endpoint, self.event_type, self._deep_body(secret)
        )
        for user in (self.user, self.manager, self.auditor):
            with self.subTest(user=user.login):
                shown = message.with_user(user).payload_display
                self.assertTrue(message.with_user(user).is_payload_masked)
                self.assertNotIn(secret, shown)
                self.assertIn('"DEEP-1"', shown)
                self.assertEqual(shown.count('"***": "***"'), 1)
        shown = (
            message.with_user(self.phi_user)
            .with_context(interop_reveal_payload=True)
            .payload_display
        )
        self.assertIn(secret, shown)
        self.assertEqual(shown.count('"n": '), self.DEPTH)

    def test_deeply_nested_payload_is_masked_and_keyed_without_recursion(self):
        payload = value = {}
        for _level in range(self.DEPTH):
            value["n"] = {}
            value = value["n"]
        value["secret"] = "deep-secret-0c2a"
        masked = mask_payload({"contact": payload}, ["contact.*"])
        everything = mask_payload(payload, [], mask_everything=True)
        for result in (masked, everything):
            leaf = result
            while isinstance(leaf, dict) and leaf:
                leaf = next(iter(leaf.values()))
            self.assertEqual(leaf, "***")
        self.event_type.business_key_field = "contact"
        self.assertIsNone(self.event_type._extract_business_key({"contact": payload}))


@tagged("post_install", "-at_install")
class TestIdempotencyKey(InteropMessageCase):
    @mute_logger("odoo.sql_db")
    def test_same_key_twice_in_one_transaction_is_refused(self):
        self._receive(idempotency_key="dup-1")
        with self.assertRaises(psycopg2.IntegrityError), self.env.cr.savepoint():
            self._receive(idempotency_key="dup-1")

    def test_same_key_from_another_endpoint_is_accepted(self):
        other = self.env["interop.endpoint"].create(self._endpoint_vals(code="other"))
        other._activate()
        self._receive(idempotency_key="shared-key")
        message = self.env["interop.message"]._receive(
            other, self.event_type, self._payload(), idempotency_key="shared-key"
        )
        self.assertRecordValues(
            message, [{"endpoint_id": other.id, "idempotency_key": "shared-key"}]
        )


@tagged("post_install", "-at_install")
class TestIdempotencyConcurrency(InteropMessageCase):
    """Two transactions racing with one key: the database lets exactly one win."""

    def test_two_concurrent_transactions_store_one_message(self):
        endpoint = self.env.ref("interop.endpoint_scheduling_platform")
        key = "race-key-1"
        barrier = threading.Barrier(2)
        outcomes = []

        def insert():
            with self.registry.cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                barrier.wait(timeout=10)
                try:
                    env["interop.message"]._log_message(
                        endpoint.with_env(env),
                        env["interop.event.type"],
                        {"n": 1},
                        idempotency_key=key,
                    )
                    # pylint: disable=invalid-commit
                    cr.commit()  # the race is between committed transactions
                    outcomes.append("stored")
                except psycopg2.IntegrityError:
                    cr.rollback()
                    outcomes.append("refused")

        threads = [threading.Thread(target=insert) for _ in range(2)]
        with mute_logger("odoo.sql_db"):  # the loser's refused INSERT
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
        try:
            self.assertEqual(sorted(outcomes), ["refused", "stored"])
        finally:
            with self.registry.cursor() as cr:
                cr.execute(
                    "DELETE FROM interop_message WHERE idempotency_key = %s", [key]
                )


@tagged("post_install", "-at_install")
class TestRetriesSpent(InteropMessageCase):
    def test_spent_retries_fail_the_message_with_a_technical_exception(self):
        message = self.env["interop.message"]._log_message(
            self.endpoint, self.event_type, self._payload()
        )
        message._validate()
        message._set_state("queued")
        message._job_on_fail(
            exc_name="psycopg2.errors.SerializationFailure", exc_message="could not"
        )
        self.assertEqual(message.state, "failed")
        self.assertRecordValues(
            message.exception_ids,
            [
                {
                    "category_id": self.env.ref(
                        "interop.exception_category_technical"
                    ).id,
                    "state": "open",
                }
            ],
        )
        self.assertIn("after every retry", message.last_error)

    def test_the_failure_is_recorded_by_a_follow_up_job(self):
        message = self.env["interop.message"]._log_message(
            self.endpoint, self.event_type, self._payload()
        )
        message.with_context(queue_job__no_delay=False)._job_on_fail(exc_name="X")
        job = self.env["queue.job"].search(
            [
                ("model_name", "=", "interop.message"),
                ("method_name", "=", "_job_mark_failed"),
            ]
        )
        self.assertEqual(job.records, message)
        self.assertEqual(job.channel, "root.interop")


@tagged("post_install", "-at_install")
class TestAttemptSaysWhoAndAsWhom(InteropMessageCase):
    def test_an_attempt_names_who_asked_and_whose_rights_it_had(self):
        message = self._receive()
        attempt = message.attempt_ids
        self.assertEqual(len(attempt), 1)
        self.assertEqual(attempt.ran_as_id, self.endpoint.service_user_id)
        self.assertNotEqual(attempt.user_id, self.endpoint.service_user_id)
