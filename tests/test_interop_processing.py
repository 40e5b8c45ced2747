# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from datetime import timedelta
from unittest.mock import patch

from psycopg2 import errors as pg_errors

from odoo import fields
from odoo.exceptions import AccessError
from odoo.service.model import get_public_method
from odoo.tools import mute_logger

from odoo.addons.queue_job.job import Job

from .common import InteropMessageCase


class ProcessingCase(InteropMessageCase):
    """Messages queued for real (no direct execution): the tests run the jobs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=False))
        cls.Message = cls.env["interop.message"]
        cls.Dispatch = cls.env["interop.message.dispatch"]

    def _queue(self, ref, **contact):
        message = self.Message._log_message(
            self.endpoint, self.event_type, self._payload(ref=ref, **contact)
        )
        message._validate()
        message._enqueue()
        return message

    def _drains(self, state="pending"):
        return self.env["queue.job"].search(
            [
                ("identity_key", "=", self.Dispatch._drain_identity(self.event_type)),
                ("state", "=", state),
            ]
        )

    def _perform(self, jobs):
        self.env.invalidate_all()
        for job in jobs:
            job_ = Job.load(self.env, job.uuid)
            job_.set_started()
            job_.store()
            job_.perform()
            job_.set_done()
            job_.store()
        self.env.invalidate_all()


class TestMicroBatches(ProcessingCase):
    def test_messages_queued_together_are_processed_by_one_job(self):
        messages = self._queue("B-1") | self._queue("B-2") | self._queue("B-3")
        drain = self._drains()
        self.assertEqual(len(drain), 1)
        self.assertRecordValues(
            drain,
            [{"method_name": "_job_drain", "channel": "root.interop"}],
        )
        self.assertFalse(any(messages.mapped("job_uuid")))
        self._perform(drain)
        self.assertEqual(messages.mapped("state"), ["done"] * 3)
        # each message says which job processed it
        self.assertEqual(set(messages.mapped("job_uuid")), {drain.uuid})
        partners = self.env["res.partner"].search(
            [("ref", "in", ["B-1", "B-2", "B-3"])]
        )
        self.assertEqual(len(partners), 3)
        self.assertEqual(messages.link_ids.mapped("res_id"), partners.sorted("id").ids)

    def test_a_failing_message_fails_alone(self):
        good = self._queue("I-1")
        bad = self._queue("I-2")
        other = self._queue("I-3")
        handler = type(self.env["interop.handler.record"])
        original = handler._interop_handle_upsert

        def failing_for_i2(recs, message, payload):
            if payload["contact"]["ref"] == "I-2":
                raise ValueError("bad data in I-2")
            return original(recs, message, payload)

        with patch.object(handler, "_interop_handle_upsert", failing_for_i2):
            self._perform(self._drains())
        self.assertEqual(
            (good | bad | other).mapped("state"), ["done", "failed", "done"]
        )
        self.assertEqual(len(bad.exception_ids), 1)
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "I-2")]))
        self.assertEqual(len(self.env["res.partner"].search([("ref", "=", "I-3")])), 1)

    def test_a_transient_fault_gives_the_message_a_job_of_its_own(self):
        first = self._queue("T-1")
        second = self._queue("T-2")
        handler = type(self.env["interop.handler.record"])
        original = handler._interop_handle_upsert

        def busy_for_t1(recs, message, payload):
            if payload["contact"]["ref"] == "T-1":
                raise pg_errors.LockNotAvailable("row locked")
            return original(recs, message, payload)

        with patch.object(handler, "_interop_handle_upsert", busy_for_t1):
            self._perform(self._drains())
        self.assertEqual(second.state, "done")
        # rolled back to its savepoint: still queued, no attempt recorded
        self.assertRecordValues(first, [{"state": "queued", "attempt_count": 0}])
        self.assertFalse(first.attempt_ids)
        own = self.env["queue.job"].search([("uuid", "=", first.job_uuid)])
        self.assertRecordValues(
            own, [{"method_name": "_job_process", "state": "pending"}]
        )
        self.assertTrue(own.eta)
        self._perform(own)
        self.assertEqual(first.state, "done")

    def test_a_job_takes_at_most_the_batch_size_then_hands_over(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "interop.processing_batch_size", "2"
        )
        messages = self.Message
        for ref in ("S-1", "S-2", "S-3", "S-4", "S-5"):
            messages |= self._queue(ref)
        first = self._drains()
        self._perform(first)
        self.assertEqual(messages.mapped("state"), ["done"] * 2 + ["queued"] * 3)
        second = self._drains()
        self.assertEqual(len(second), 1)
        self.assertNotEqual(second, first)
        self._perform(second)
        self._perform(self._drains())
        self.assertEqual(messages.mapped("state"), ["done"] * 5)
        self.assertFalse(self._drains())

    def _received(self, ref):
        """A message as the gateway and the endpoints take it in (``_intake``)."""
        message = self._receive(self._payload(ref=ref))
        self.assertEqual(message.state, "queued")
        return message

    def test_a_drain_of_received_messages_waits_for_those_that_follow(self):
        """A trickle of messages shares a drain: the drain their first message
        queues starts after the linger (queue_job keeps its start to the second),
        the messages received meanwhile join it."""
        self.env["ir.config_parameter"].sudo().set_param(
            "interop.processing_linger_seconds", "2"
        )
        before = fields.Datetime.now()
        messages = self._received("L-1")
        drain = self._drains()
        self.assertEqual(len(drain), 1)
        self.assertGreater(drain.eta, before)
        self.assertLessEqual(drain.eta, fields.Datetime.now() + timedelta(seconds=2))
        messages |= self._received("L-2") | self._received("L-3")
        self.assertEqual(self._drains(), drain, "they join the drain that waits")
        self._perform(drain)
        self.assertEqual(messages.mapped("state"), ["done"] * 3)
        self.assertEqual(set(messages.mapped("job_uuid")), {drain.uuid})

    def test_a_replay_a_backlog_and_the_cron_do_not_wait(self):
        """Someone waits for a replay or a retry, a backlog is already there: the
        drains of a replay, of the rest of a backlog (handed over by a drain at its
        batch size) and of the dispatch cron start at once; a linger of 0 starts
        every drain at once."""
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("interop.processing_batch_size", "2")
        messages = self.Message
        for ref in ("H-1", "H-2", "H-3"):
            messages |= self._received(ref)
        first = self._drains()
        self.assertTrue(first.eta, "messages received: the drain waits")
        self._perform(first)
        handed_over = self._drains()
        self.assertEqual(len(handed_over), 1)
        self.assertFalse(handed_over.eta, "a backlog: the next drain does not wait")
        handed_over.unlink()
        self.assertEqual(self.Dispatch._cron_dispatch_queued(), 1)
        self.assertFalse(self._drains().eta, "the cron's drain does not wait")
        self._perform(self._drains())
        self.assertEqual(messages.mapped("state"), ["done"] * 3)
        replayed = self._queue("H-5")
        self._drains().unlink()
        replayed._set_state("processing")
        replayed._set_state("failed", last_error="A fault since fixed.")
        replayed._replay()
        self.assertFalse(self._drains().eta, "a replay does not wait")
        self._perform(self._drains())
        self.assertEqual(replayed.state, "done")
        params.set_param("interop.processing_linger_seconds", "0")
        message = self._received("H-4")
        self.assertFalse(self._drains().eta, "a linger of 0: no wait")
        self._perform(self._drains())
        self.assertEqual(message.state, "done")

    def test_only_an_administrator_sets_the_linger(self):
        """An Interop manager can neither set the linger (a System Parameter) nor
        reach the drains' private methods over RPC."""
        Params = self.env["ir.config_parameter"].with_user(self.manager)
        for attempt in (
            lambda: Params.set_param("interop.processing_linger_seconds", "0"),
            lambda: Params.create(
                {"key": "interop.processing_linger_seconds", "value": "0"}
            ),
        ):
            with self.assertRaises(AccessError), mute_logger("odoo.models"):
                attempt()
        for method in (
            "_ensure_drain",
            "_delay_drain",
            "_processing_param",
            "_processing_linger_seconds",
        ):
            with (
                self.subTest(method=method),
                self.assertRaisesRegex(AccessError, "cannot be called remotely"),
            ):
                get_public_method(self.Dispatch.with_user(self.manager), method)

    def test_a_batch_size_of_one_gives_every_message_its_own_job(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "interop.processing_batch_size", "1"
        )
        messages = self._queue("O-1") | self._queue("O-2")
        self.assertFalse(self._drains())
        jobs = self.env["queue.job"].search(
            [("uuid", "in", messages.mapped("job_uuid"))]
        )
        self.assertEqual(jobs.mapped("method_name"), ["_job_process"] * 2)
        self._perform(jobs)
        self.assertEqual(messages.mapped("state"), ["done"] * 2)

    def test_a_message_taken_by_another_job_is_not_processed_twice(self):
        message = self._queue("D-1")
        drain = self._drains()
        self._perform(drain)
        self.assertEqual(message.state, "done")
        # the same job run again (requeued after a crash): nothing left to do
        result = self.Dispatch._job_drain(self.event_type.id)
        self.assertIn("0 message(s)", result)
        self.assertEqual(len(message.attempt_ids), 1)
        self.assertEqual(len(self.env["res.partner"].search([("ref", "=", "D-1")])), 1)

    def test_replayed_message_goes_back_to_a_drain(self):
        message = self._queue("R-1")
        handler = type(self.env["interop.handler.record"])
        with patch.object(
            handler, "_interop_handle_upsert", side_effect=ValueError("down")
        ):
            self._perform(self._drains())
        self.assertEqual(message.state, "failed")
        message.with_user(self.manager).action_replay()
        self.assertRecordValues(message, [{"state": "queued", "job_uuid": False}])
        self._perform(self._drains())
        self.assertEqual(message.state, "done")


class TestPoisonMessages(ProcessingCase):
    """A message no handler expected fails alone: the batch goes on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.event_type.write(
            {
                "schema": json.dumps({"type": "object"}),
                "record_field_map": json.dumps(
                    {
                        "ref": "contact.ref",
                        "name": "contact.name",
                        "email": "contact.email",
                        "color": "contact.color",
                    }
                ),
            }
        )

    def _assert_poison_fails_alone(self, good, poison, ref):
        self.assertEqual(good.mapped("state"), ["done"] * len(good))
        self.assertEqual(poison.state, "failed")
        self.assertRecordValues(poison.attempt_ids, [{"number": 1, "result": "failed"}])
        self.assertIn("unexpected error", poison.last_error)
        self.assertRecordValues(
            poison.exception_ids,
            [
                {
                    "category_id": self.env.ref(
                        "interop.exception_category_technical"
                    ).id,
                    "user_id": self.endpoint.technical_owner_id.id,
                    "state": "open",
                }
            ],
        )
        self.assertFalse(self.env["res.partner"].search([("ref", "=", ref)]))
        self.assertFalse(self._drains())

    def test_poison_data_error_fails_alone_and_the_batch_goes_on(self):
        good = self._queue("PD-1")
        poison = self._queue("PD-2", color=10**20)  # integer out of range
        good |= self._queue("PD-3")
        with mute_logger("odoo.sql_db"):  # the pre-fix code let it reach the log
            self._perform(self._drains())
        self._assert_poison_fails_alone(good, poison, "PD-2")
        self.assertIn("NumericValueOutOfRange", poison.exception_ids.technical_detail)

    def test_poison_integrity_error_fails_alone_and_the_batch_goes_on(self):
        good = self._queue("PI-1")
        poison = self._queue("PI-2", name=None)  # contacts require a name
        good |= self._queue("PI-3")
        with mute_logger("odoo.sql_db"):
            self._perform(self._drains())
        self._assert_poison_fails_alone(good, poison, "PI-2")

    def test_poison_attribute_error_fails_alone_and_the_batch_goes_on(self):
        good = self._queue("PA-1")
        poison = self._queue("PA-2")
        good |= self._queue("PA-3")
        handler = type(self.env["interop.handler.record"])
        original = handler._interop_handle_upsert

        def buggy_for_pa2(recs, message, payload):
            if payload["contact"]["ref"] == "PA-2":
                return None.partner_id  # a handler's bug
            return original(recs, message, payload)

        with patch.object(handler, "_interop_handle_upsert", buggy_for_pa2):
            self._perform(self._drains())
        self._assert_poison_fails_alone(good, poison, "PA-2")

    def test_poison_outside_the_handler_fails_alone_and_the_batch_goes_on(self):
        # a module's step around the handler (here: linking the records) breaks
        good = self._queue("PO-1")
        poison = self._queue("PO-2")
        good |= self._queue("PO-3")
        Message = type(self.Message)
        original = Message._prepare_link_vals

        def broken_for_po2(recs, records):
            if recs._get_payload()["contact"]["ref"] == "PO-2":
                raise AttributeError("'NoneType' object has no attribute 'id'")
            return original(recs, records)

        # what a chunk links is prepared message by message, as one message links
        with patch.object(Message, "_prepare_link_vals", broken_for_po2):
            self._perform(self._drains())
        self._assert_poison_fails_alone(good, poison, "PO-2")

    def test_poison_in_a_job_of_its_own_fails_the_message_not_the_job(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "interop.processing_batch_size", "1"
        )
        poison = self._queue("PJ-1", name=None)
        job = self.env["queue.job"].search([("uuid", "=", poison.job_uuid)])
        with mute_logger("odoo.sql_db"):
            self._perform(job)
        self.assertEqual(poison.state, "failed")
        self.assertEqual(len(poison.attempt_ids), 1)
        self.assertEqual(len(poison.exception_ids), 1)


class TestDeadJobs(ProcessingCase):
    """A message whose job died is never left queued."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(
            "interop.processing_batch_size", "1"
        )

    def test_dead_job_fails_its_queued_message_with_an_exception(self):
        message = self._queue("DJ-1")
        job = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        # queue_job gave up on it, and recording the failure did not happen
        job.write({"state": "failed"})
        self.Dispatch._cron_dispatch_queued()
        self.assertEqual(message.state, "failed")
        self.assertIn("after every retry", message.last_error)
        self.assertRecordValues(
            message.exception_ids,
            [{"user_id": self.endpoint.technical_owner_id.id, "state": "open"}],
        )

    def test_lost_job_gives_its_message_a_new_one(self):
        message = self._queue("DJ-2")
        lost = message.job_uuid
        self.env["queue.job"].search([("uuid", "=", lost)]).unlink()
        self.Dispatch._cron_dispatch_queued()
        self.assertEqual(message.state, "queued")
        self.assertNotEqual(message.job_uuid, lost)
        job = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        self.assertEqual(job.state, "pending")
        self._perform(job)
        self.assertEqual(message.state, "done")

    def test_a_running_job_is_left_alone(self):
        message = self._queue("DJ-3")
        job = self.env["queue.job"].search([("uuid", "=", message.job_uuid)])
        job.write({"state": "started"})
        self.Dispatch._cron_dispatch_queued()
        self.assertRecordValues(message, [{"state": "queued", "job_uuid": job.uuid}])

    def test_a_drain_out_of_retries_opens_an_exception_for_its_event_type(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "interop.processing_batch_size", "50"
        )
        message = self._queue("DJ-4")
        self._drains().write({"state": "failed"})
        self.Dispatch._job_drain_on_fail(exc_name="psycopg2.OperationalError")
        follow_up = self.env["queue.job"].search(
            [("method_name", "=", "_job_record_drain_failure")]
        )
        self.assertEqual(len(follow_up), 1)
        self._perform(follow_up)
        exception = self.env["interop.exception"].search(
            [("event_type_id", "=", self.event_type.id), ("message_id", "=", False)]
        )
        self.assertEqual(len(exception), 1)
        self.assertIn("wait", exception.name)
        self.assertEqual(exception.user_id, self.endpoint.technical_owner_id)
        # failing again: the same exception, one more occurrence
        self.Dispatch._job_record_drain_failure(exc_name="psycopg2.OperationalError")
        self.assertEqual(
            self.env["interop.exception"].search(
                [("event_type_id", "=", self.event_type.id), ("message_id", "=", False)]
            ),
            exception,
        )
        self.assertEqual(exception.occurrence_count, 2)
        # the dispatch cron starts a new drain, which processes the message
        self.Dispatch._cron_dispatch_queued()
        self._perform(self._drains())
        self.assertEqual(message.state, "done")


class TestDispatchCron(ProcessingCase):
    def test_queued_messages_without_a_pending_job_get_one(self):
        message = self._queue("C-1")
        # the job it counted on is gone (it started before the message was
        # committed, or someone cancelled it)
        self._drains().unlink()
        self.assertEqual(self.Dispatch._cron_dispatch_queued(), 1)
        self.assertEqual(len(self._drains()), 1)
        # a second run adds nothing while that job is pending
        self.Dispatch._cron_dispatch_queued()
        self.assertEqual(len(self._drains()), 1)
        self._perform(self._drains())
        self.assertEqual(message.state, "done")

    def test_cron_runs_as_the_interop_system_user(self):
        self._queue("C-2")
        self._drains().unlink()
        cron = self.env.ref("interop.ir_cron_interop_message_dispatch")
        system = cron.user_id
        # as the scheduler does: the server action, as the cron's user
        cron.with_user(system).ir_actions_server_id.sudo(False).with_user(system).run()
        self.assertEqual(len(self._drains()), 1)


class TestQueuedInsert(ProcessingCase):
    """The gateway's one-statement insert writes the row the ORM path writes."""

    COMPARED = [
        "direction",
        "endpoint_id",
        "company_id",
        "event_type_id",
        "event_version",
        "state",
        "business_key",
        "idempotency_key",
        "content_type",
        "payload_size",
        "payload_hash",
        "payload_key_id",
        "active",
        "create_uid",
        "write_uid",
        "is_payload_pruned",
        "attempt_count",
        "parent_id",
        "job_uuid",
        "last_error",
        "date_started",
    ]

    def _ids(self):
        return (
            self.endpoint.id,
            self.endpoint.company_id.id,
            self.event_type.id,
            self.event_type.version,
        )

    def test_same_row_as_the_orm_path(self):
        payload = self._payload(ref="Q-1")
        body = json.dumps(payload)
        service = self.Message.with_user(self.endpoint.service_user_id)
        orm = service._log_message(
            self.endpoint, self.event_type, body, idempotency_key="orm-1"
        )
        orm._validate(payload)
        orm._set_state("queued")
        message_id, correlation_id, _pending = service._log_queued(
            *self._ids(), body, idempotency_key="sql-1"
        )
        sql = self.Message.browse(message_id)
        self.assertEqual(sql.correlation_id, correlation_id)
        orm.invalidate_recordset()
        orm_values = orm.read(self.COMPARED)[0]
        sql_values = sql.read(self.COMPARED)[0]
        for name in ("id", "idempotency_key"):
            orm_values.pop(name)
            sql_values.pop(name)
        self.assertEqual(sql_values, orm_values)
        self.assertEqual(sql._get_payload(), payload)
        self.assertTrue(sql.date_received)

    def test_a_key_already_taken_inserts_nothing(self):
        body = json.dumps(self._payload(ref="Q-2"))
        first = self.Message._log_queued(*self._ids(), body, idempotency_key="same")
        self.assertTrue(first)
        again = self.Message._log_queued(*self._ids(), body, idempotency_key="same")
        self.assertIsNone(again)
        self.assertEqual(
            self.Message.search_count([("idempotency_key", "=", "same")]), 1
        )


class TestPreprocessors(InteropMessageCase):
    """A module registers what runs before a message of an event type is processed
    (interop.message._get_interop_preprocessors), instead of overriding _process."""

    def test_registered_preprocessor_runs_first_and_its_work_outlives_a_failure(self):
        seen = []

        def preprocessors(model):
            return {self.event_type.code: ("res.partner", "_interop_test_preprocess")}

        def preprocess(partners, message):
            seen.append(message.state)
            partners.sudo().create({"name": f"Seen {message.business_key}"})

        def failing_handler(handler, message, payload):
            raise ValueError("the handler fails")

        Message = type(self.env["interop.message"])
        Partner = type(self.env["res.partner"])
        Handler = type(self.env["interop.handler.record"])
        with (
            patch.object(Message, "_get_interop_preprocessors", preprocessors),
            patch.object(Partner, "_interop_test_preprocess", preprocess, create=True),
            patch.object(Handler, "_interop_handle_upsert", failing_handler),
        ):
            message = self._receive(self._payload(ref="PRE-1"))
        self.assertEqual(seen, ["queued"])
        self.assertEqual(message.state, "failed")
        self.assertTrue(self.env["res.partner"].search([("name", "=", "Seen PRE-1")]))
