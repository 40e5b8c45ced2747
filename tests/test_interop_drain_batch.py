# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from collections import Counter
from unittest.mock import patch

from psycopg2 import errors as pg_errors

from .test_interop_processing import ProcessingCase

MESSAGE_UPDATE = re.compile(r'UPDATE\s+"?interop_message"?\s', re.IGNORECASE)
ATTEMPT_LINK_UPDATE = re.compile(
    r'UPDATE\s+"?interop_message_(attempt|link)"?\s', re.IGNORECASE
)


class TestDrainBatches(ProcessingCase):
    """A drain processes its messages a chunk at a time, together, and fails over to
    one by one only around a message that fails: that message fails alone, none is
    lost or processed twice."""

    def setUp(self):
        super().setUp()
        self.params = self.env["ir.config_parameter"].sudo()
        self.params.set_param("interop.processing_batch_size", "100")
        self.params.set_param("interop.processing_batch_seconds", "0")

    def _queue_many(self, count, prefix):
        messages = self.Message
        for number in range(count):
            messages |= self._queue(f"{prefix}-{number:03d}")
        return messages

    def _patched_handler(self, failing_refs, error=ValueError):
        """The generic handler, failing for ``failing_refs``; counts its calls by
        reference."""
        handler = type(self.env["interop.handler.record"])
        original = handler._interop_handle_upsert
        calls = Counter()

        def handle(recs, message, payload):
            ref = payload["contact"]["ref"]
            calls[ref] += 1
            if ref in failing_refs:
                raise error(f"bad data in {ref}")
            return original(recs, message, payload)

        return patch.object(handler, "_interop_handle_upsert", handle), calls

    def _assert_each_done_once(self, messages):
        for message in messages:
            self.assertRecordValues(
                message, [{"state": "done", "attempt_count": 1, "last_error": False}]
            )
            self.assertRecordValues(
                message.attempt_ids, [{"number": 1, "result": "done"}]
            )
            self.assertEqual(len(message.link_ids), 1)
        refs = [m._get_payload()["contact"]["ref"] for m in messages]
        partners = self.env["res.partner"].search([("ref", "in", refs)])
        self.assertEqual(sorted(partners.mapped("ref")), sorted(refs))
        self.assertEqual(
            sorted(messages.link_ids.mapped("res_id")), sorted(partners.ids)
        )

    def test_one_message_in_a_hundred_fails_alone_none_lost_none_doubled(self):
        messages = self._queue_many(100, "H")
        failing = messages[37]
        patcher, calls = self._patched_handler({"H-037"})
        drain = self._drains()
        with patcher:
            self._perform(drain)
        self.assertEqual(drain.result, "100 message(s): 99 done, 1 failed, 0 to retry")
        self._assert_each_done_once(messages - failing)
        self.assertRecordValues(
            failing, [{"state": "failed", "attempt_count": 1, "job_uuid": drain.uuid}]
        )
        self.assertRecordValues(
            failing.attempt_ids, [{"number": 1, "result": "failed"}]
        )
        self.assertEqual(len(failing.exception_ids), 1)
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "H-037")]))
        self.assertEqual(set(messages.mapped("job_uuid")), {drain.uuid})
        # the chunk of the failing message ran again without it; the other chunks
        # ran once
        self.assertEqual(calls["H-037"], 2)
        self.assertEqual(calls["H-036"], 2)
        self.assertEqual(calls["H-038"], 1)
        self.assertEqual(calls["H-099"], 1)
        # its first chunk was full: it ensured the next drain, which finds nothing
        self._perform(self._drains())
        self.assertEqual(len(messages.attempt_ids), 100)
        self.assertFalse(self._drains())

    def test_failing_first_and_last_of_a_chunk_fail_alone(self):
        messages = self._queue_many(10, "E")
        patcher, _calls = self._patched_handler({"E-000", "E-009"})
        with patcher:
            self._perform(self._drains())
        self.assertEqual(
            messages.mapped("state"), ["failed"] + ["done"] * 8 + ["failed"]
        )
        self._assert_each_done_once(messages[1:9])
        self.assertEqual(len(messages[0].exception_ids | messages[9].exception_ids), 1)

    def test_a_transient_fault_in_a_chunk_gives_that_message_its_own_job(self):
        messages = self._queue_many(10, "TR")
        patcher, _calls = self._patched_handler(
            {"TR-004"}, error=pg_errors.LockNotAvailable
        )
        with patcher:
            self._perform(self._drains())
        busy = messages[4]
        self._assert_each_done_once(messages - busy)
        self.assertRecordValues(busy, [{"state": "queued", "attempt_count": 0}])
        self.assertFalse(busy.attempt_ids)
        own = self.env["queue.job"].search([("uuid", "=", busy.job_uuid)])
        self.assertRecordValues(own, [{"method_name": "_job_process"}])
        self._perform(own)
        self._assert_each_done_once(messages)

    def test_a_failure_after_the_handlers_redoes_the_chunk_one_by_one(self):
        messages = self._queue_many(10, "AF")
        Message = type(self.Message)
        original = Message._prepare_link_vals

        def broken_for_af3(recs, records):
            if recs._get_payload()["contact"]["ref"] == "AF-003":
                raise AttributeError("'NoneType' object has no attribute 'id'")
            return original(recs, records)

        with patch.object(Message, "_prepare_link_vals", broken_for_af3):
            self._perform(self._drains())
        self._assert_each_done_once(messages - messages[3])
        self.assertRecordValues(messages[3], [{"state": "failed"}])
        self.assertEqual(len(messages[3].attempt_ids), 1)
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "AF-003")]))

    def test_a_chunk_writes_its_messages_in_fewer_statements_than_messages(self):
        messages = self._queue_many(10, "ST")
        statements = Counter()
        cursor_class = type(self.env.cr)
        original = cursor_class.execute

        def counting(cr, query, *args, **kwargs):
            text = str(getattr(query, "code", query)).lstrip()
            if MESSAGE_UPDATE.match(text):
                statements["update"] += 1
            elif text.startswith("SAVEPOINT"):
                statements["savepoint"] += 1
            elif "interop_handler_serial" in text and text.startswith("INSERT"):
                statements["marker"] += 1
            return original(cr, query, *args, **kwargs)

        with patch.object(cursor_class, "execute", counting):
            self._perform(self._drains())
        self._assert_each_done_once(messages)
        # one by one, each message was updated twice, in two savepoints of its own;
        # besides, the generic upsert writes marker rows in savepoints of their own
        # (its match value's, and its company's contacts' for a new contact)
        self.assertLess(statements["update"], len(messages))
        self.assertEqual(statements["marker"], 2 * len(messages))
        self.assertLess(statements["savepoint"] - statements["marker"], len(messages))

    def test_a_chunk_goes_from_queued_to_done_in_one_update(self):
        """The chunk's messages are written once, done, with their attempt number
        and start: processing is never committed in between (the drain commits
        once), so a second statement (and a second row version) bought nothing."""
        messages = self._queue_many(10, "ON")
        statements = []
        cursor_class = type(self.env.cr)
        original = cursor_class.execute

        def counting(cr, query, *args, **kwargs):
            text = str(getattr(query, "code", query)).lstrip()
            if MESSAGE_UPDATE.match(text):
                statements.append(text)
            return original(cr, query, *args, **kwargs)

        drain = self._drains()
        # what the test's own queueing left to write
        self.env.flush_all()
        with patch.object(cursor_class, "execute", counting):
            self._perform(drain)
        self.assertEqual(len(statements), 1, statements)
        self._assert_each_done_once(messages)
        for message in messages:
            self.assertTrue(message.date_started)
            self.assertRecordValues(
                message,
                [{"job_uuid": drain.uuid, "date_finished": message.date_finished}],
            )
            self.assertLessEqual(message.date_started, message.date_finished)
            self.assertEqual(message.attempt_ids.date_started, message.date_started)

    def test_a_message_alone_goes_from_queued_to_done_in_one_update(self):
        """A drain that finds one message (a quiet hour: most drains) processes it as
        it processes a chunk, not through the one-by-one path that writes it
        processing, then done, its attempt twice and its link twice."""
        message = self._queue("ALONE-1")
        statements = []
        cursor_class = type(self.env.cr)
        original = cursor_class.execute

        def counting(cr, query, *args, **kwargs):
            text = str(getattr(query, "code", query)).lstrip()
            if MESSAGE_UPDATE.match(text) or ATTEMPT_LINK_UPDATE.match(text):
                statements.append(text)
            return original(cr, query, *args, **kwargs)

        drain = self._drains()
        self.env.flush_all()
        with patch.object(cursor_class, "execute", counting):
            self._perform(drain)
        self.assertEqual(len(statements), 1, statements)
        self._assert_each_done_once(message)
        self.assertEqual(drain.result, "1 message(s): 1 done, 0 failed, 0 to retry")

    def test_a_message_alone_that_fails_fails_with_its_exception(self):
        message = self._queue("ALONE-2")
        patcher, calls = self._patched_handler({"ALONE-2"})
        with patcher:
            self._perform(self._drains())
        self.assertRecordValues(message, [{"state": "failed", "attempt_count": 1}])
        self.assertRecordValues(
            message.attempt_ids, [{"number": 1, "result": "failed"}]
        )
        self.assertEqual(len(message.exception_ids), 1)
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "ALONE-2")]))
        # tried with the chunk's path, then alone, where it fails with its attempt
        self.assertEqual(calls["ALONE-2"], 2)

    def test_a_chunk_inserts_its_attempts_and_links_with_their_company(self):
        messages = self._queue_many(10, "CO")
        updates = Counter()
        cursor_class = type(self.env.cr)
        original = cursor_class.execute

        def counting(cr, query, *args, **kwargs):
            text = str(getattr(query, "code", query)).lstrip()
            match = ATTEMPT_LINK_UPDATE.match(text)
            if match:
                updates[match.group(1)] += 1
            return original(cr, query, *args, **kwargs)

        with patch.object(cursor_class, "execute", counting):
            self._perform(self._drains())
            self.env.flush_all()
        self._assert_each_done_once(messages)
        # the company (a stored related field) went in with the insert: no row of
        # the chunk was updated again to store it
        self.assertEqual(updates, Counter())
        self.env.invalidate_all()
        company = self.endpoint.company_id
        self.assertTrue(company)
        self.assertEqual(messages.attempt_ids.mapped("company_id"), company)
        self.assertEqual(messages.link_ids.mapped("company_id"), company)
        self.assertEqual(len(messages.attempt_ids), 10)
        self.assertEqual(len(messages.link_ids), 10)

    def test_a_drain_stops_after_its_time_and_hands_over(self):
        self.params.set_param("interop.processing_batch_seconds", "0.000001")
        messages = self._queue_many(25, "TM")
        first = self._drains()
        self._perform(first)
        # one chunk, then its time was up: the rest is the next drain's
        self.assertEqual(first.result, "10 message(s): 10 done, 0 failed, 0 to retry")
        self.assertEqual(messages.mapped("state"), ["done"] * 10 + ["queued"] * 15)
        second = self._drains()
        self.assertEqual(len(second), 1)
        self.assertNotEqual(second, first)
        self._perform(second)
        self._perform(self._drains())
        self._assert_each_done_once(messages)
        self.assertFalse(self._drains())
