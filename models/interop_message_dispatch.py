# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import time
from datetime import timedelta

from psycopg2 import OperationalError
from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.utils import must_run_without_delay

from ..errors import TransportError
from .interop_message import (
    DONE,
    FAILED,
    PROCESSING,
    QUEUED,
    _quiet_handler_sql_errors,
)

_logger = logging.getLogger(__name__)

#: messages one processing job takes at most by default (ir.config_parameter
#: interop.processing_batch_size; 1 gives every message a job of its own). 250: a
#: large backlog is taken in drains of about DEFAULT_BATCH_SECONDS (about 2 ms a
#: message on an idle machine), each job's own cost (runner, start, commits: 10-25
#: ms between two drains) paid 5x less often than with 50 (bench/README.md, issue 23)
DEFAULT_BATCH_SIZE = 250
MAX_BATCH_SIZE = 500
#: seconds a drain processes before it hands the rest over to the next drain
#: (ir.config_parameter interop.processing_batch_seconds; 0: the batch size alone):
#: what gives the HTTP worker a drain holds back soon, whatever the batch size;
#: 0.1 missed the 5-s drain target and processed 1.4x less under load
#: (bench/README.md, issue 23)
DEFAULT_BATCH_SECONDS = 0.5
#: seconds a drain started by messages just received waits before it starts, so that
#: the messages of a trickle share a drain (ir.config_parameter
#: interop.processing_linger_seconds; 0: at once). queue_job keeps a job's start
#: time to the second: the wait is up to this long, half of it on average.
DEFAULT_LINGER_SECONDS = 1
MAX_LINGER_SECONDS = 60
#: messages claimed and processed together (one statement per step for them all)
CHUNK_SIZE = 10
#: :meth:`InteropMessageDispatch._drain_batch`: the batch failed outside the
#: handlers, every message is redone alone
ONE_BY_ONE = -1
#: the message fields the batch writes by SQL (their cache is invalidated)
STATE_FIELDS = [
    "state",
    "date_started",
    "date_finished",
    "attempt_count",
    "last_error",
    "duration_ms",
    "job_uuid",
    "write_uid",
    "write_date",
]
#: what a chunk reads of its messages, in one query: the handlers' payload, endpoint
#: and event type, and what their attempts and links are made of
MESSAGE_FIELDS = [
    "state",
    "payload_enc",
    "endpoint_id",
    "event_type_id",
    "direction",
    "company_id",
    "retry_user_id",
    # what handlers read of their message, as the endpoint's service user (who may
    # not read messages): in the cache, not read again under that user
    "date_received",
    "business_key",
    "correlation_id",
]
#: seconds before a message hit by a transient fault in a batch is tried again
RETRY_DELAY = 10
#: seconds before a drain that met a concurrent one claims again
CLAIM_RETRY_DELAY = 1


class _NotQueuedError(Exception):
    """A message of a batch was not queued any more: the batch is redone alone."""


class InteropMessageDispatch(models.AbstractModel):
    """How queued inbound messages reach processing: *drains*, jobs that each take a
    batch of queued messages of one event type, hand over to the next one, and the
    scheduled action that catches what no job would take.

    The record (``interop.message``) processes one message (``_process``); this
    model decides which job does it.
    """

    _name = "interop.message.dispatch"
    _description = "Message Dispatch"

    @api.model
    def _processing_param(self, key, default, cast, lower, upper=None):
        """The System Parameter ``key`` read with ``cast`` and kept within ``lower``
        and ``upper`` (None: no upper bound); ``default`` when it is unset or not
        a number."""
        value = self.env["ir.config_parameter"].sudo().get_param(key, default)
        try:
            value = max(lower, cast(value))
        except (TypeError, ValueError):
            return default
        return value if upper is None else min(value, upper)

    @api.model
    def _processing_batch_size(self):
        """Messages one processing job takes at most (1: a job per message)."""
        return self._processing_param(
            "interop.processing_batch_size", DEFAULT_BATCH_SIZE, int, 1, MAX_BATCH_SIZE
        )

    @api.model
    def _drain_identity(self, event_type):
        return f"interop-drain:{self.env.cr.dbname}:{event_type.id}"

    @api.model
    def _ensure_drain(self, event_type, message_ids=None, linger=False):
        """Make sure a job that has not started yet will process the queued messages
        of ``event_type``: one pending drain per event type takes every message queued
        before it starts.

        ``linger``: the drain starts after :meth:`_processing_linger_seconds`, so that
        the messages that follow join it (messages just received); without, at once
        (a replay or a retry someone waits for, the next drain of a backlog, the
        dispatch cron's).

        A message committed just after the drain it counted on started is taken by
        the next drain: the next message queued creates one, and the dispatch cron
        catches the last message of a burst.
        """
        if must_run_without_delay(self.env):
            # tests and direct runs: process these messages now
            return self._delay_drain(event_type, message_ids=message_ids)
        self.env.cr.execute(SQL("SELECT %s", self._drain_pending_sql(event_type)))
        if self.env.cr.fetchone()[0]:
            return None
        return self._delay_drain(event_type, linger=linger)

    @api.model
    def _drain_pending_sql(self, event_type):
        """Whether a drain of ``event_type`` has not started yet, as an SQL
        expression (the gateway asks it in the statement that stores a message)."""
        return SQL(
            "EXISTS (SELECT 1 FROM queue_job WHERE identity_key = %s"
            " AND state = 'pending')",
            self._drain_identity(event_type),
        )

    @api.model
    def _processing_linger_seconds(self):
        """Seconds a drain of messages just received waits for those that follow."""
        return self._processing_param(
            "interop.processing_linger_seconds",
            DEFAULT_LINGER_SECONDS,
            int,
            0,
            MAX_LINGER_SECONDS,
        )

    @api.model
    def _delay_drain(self, event_type, message_ids=None, linger=False):
        # the job runs as the user who queued the messages, as their own jobs would;
        # each handler runs as the service user of the message's endpoint
        seconds = self._processing_linger_seconds() if linger else 0
        return self.with_delay(
            eta=fields.Datetime.now() + timedelta(seconds=seconds) if seconds else None,
            channel=event_type.channel or "root.interop",
            identity_key=self._drain_identity(event_type),
            description=self.env._(
                "Process queued %(event)s messages", event=event_type.display_name
            ),
        )._job_drain(event_type.id, message_ids=message_ids)

    @api.model
    def _processing_batch_seconds(self):
        """Seconds a drain processes before it hands the rest over to the next one
        (0: bounded by the batch size alone)."""
        return self._processing_param(
            "interop.processing_batch_seconds", DEFAULT_BATCH_SECONDS, float, 0.0
        )

    @api.model
    def _job_drain(self, event_type_id, message_ids=None):
        """queue_job entry point: process queued messages of one event type, oldest
        first, a chunk (:data:`CHUNK_SIZE`) at a time, until the batch size is
        reached or the drain has run :meth:`_processing_batch_seconds`: a drain holds
        an HTTP worker, it gives it back soon and the next drain takes the rest.

        A chunk is processed together (:meth:`_drain_process`); a message that
        fails is failed alone (and gets its exception); a transient fault (lock
        contention, a busy database) hands that message to a job of its own,
        retried with growing delays. Messages other jobs hold are skipped.
        """
        batch_size = self._processing_batch_size()
        job_uuid = self.env.context.get("job_uuid") or False
        counts = {DONE: 0, FAILED: 0, "retry": 0}
        if message_ids:
            # a direct run processes what it was given, whatever the time it takes
            messages = self._drain_claim(event_type_id, batch_size, message_ids)
            for index in range(0, len(messages), CHUNK_SIZE):
                chunk = messages[index : index + CHUNK_SIZE]
                self._drain_process(chunk, job_uuid, counts)
            count = len(messages)
        else:
            count = self._drain_chunks(event_type_id, batch_size, job_uuid, counts)
        return self.env._(
            "%(count)s message(s): %(done)s done, %(failed)s failed, %(retry)s to "
            "retry",
            count=count,
            done=counts[DONE],
            failed=counts[FAILED],
            retry=counts["retry"],
        )

    @api.model
    def _drain_chunks(self, event_type_id, batch_size, job_uuid, counts):
        """Claim and process chunks until the batch size or the time is reached, or
        nothing more waits. Returns the number of messages taken.

        A first chunk that is full means more may wait: the next drain is ensured at
        once (committed apart), so that whatever this one leaves has its drain; it
        starts beside this one if the channel has room, else after it.
        """
        seconds = self._processing_batch_seconds()
        size = min(batch_size, CHUNK_SIZE)
        start = time.monotonic()
        # a chunk at a time: what this drain leaves is not locked by it
        messages = self._drain_claim(event_type_id, size)
        # run without delay (tests, direct runs), the next drain would run now, in
        # this transaction, and claim these very messages again: it runs after them
        direct = must_run_without_delay(self.env)
        if len(messages) >= size and not direct:
            self._hand_over(event_type_id)
        count = 0
        while messages:
            self._drain_process(messages, job_uuid, counts)
            count += len(messages)
            if len(messages) < size or count >= batch_size:
                break
            if seconds and time.monotonic() - start >= seconds:
                break
            messages = self._drain_claim_more(
                event_type_id, min(size, batch_size - count)
            )
            if messages is None:
                # a concurrent drain took the next ones: it goes on with them
                break
        if direct and count >= size:
            self._hand_over(event_type_id)
        return count

    @api.model
    def _drain_claim_more(self, event_type_id, limit):
        """:meth:`_drain_claim` of a later chunk, or None when the messages were
        taken by a concurrent drain since this one started (what it processed
        stays: the drain ends, it is not retried)."""
        try:
            with self.env.cr.savepoint():
                return self._drain_claim(event_type_id, limit)
        except RetryableJobError:
            return None

    @api.model
    def _drain_process(self, messages, job_uuid, counts):
        """Process claimed messages: together (:meth:`_drain_batch`, one statement
        per step for all of them), one by one (:meth:`_drain_each`) only around a
        message that fails, which fails alone."""
        # what follows reads of the messages, in one query (not their every column)
        messages.sudo().fetch(MESSAGE_FIELDS)
        code = messages[:1].event_type_id.code
        if code in self.env["interop.message"]._get_interop_preprocessors():
            # a preprocessor's writes stay when its message fails: message by message
            return self._drain_each(messages, job_uuid, counts)
        todo = messages
        while todo:
            # a message alone too: its handler fails rarely, and then runs again
            # alone (as a message of a chunk does), where the one-by-one path
            # costs every message two more updates, a second savepoint and the
            # attempt's and the link's second write
            failed_at = self._drain_batch(todo, job_uuid)
            if failed_at is None:
                counts[DONE] += len(todo)
                return counts
            if failed_at == ONE_BY_ONE:
                return self._drain_each(todo, job_uuid, counts)
            before = todo[:failed_at]
            if before:
                # they went through before it: together again (alone if that fails)
                if self._drain_batch(before, job_uuid) is None:
                    counts[DONE] += len(before)
                else:
                    self._drain_each(before, job_uuid, counts)
            self._drain_each(todo[failed_at : failed_at + 1], job_uuid, counts)
            todo = todo[failed_at + 1 :]
        return counts

    @api.model
    def _drain_batch(self, messages, job_uuid):
        """Process ``messages`` (queued, claimed) in one savepoint: each handler
        runs, then one statement sets them done (queued to done: nothing outside
        this transaction sees them in between), one ``create`` adds their attempts,
        one their record links, one search resolves their exceptions.

        Returns None when all went through; else everything of the batch is rolled
        back and the result says what to redo alone: the index of the message whose
        handler raised, or :data:`ONE_BY_ONE` (a failure no message can be blamed
        for).
        """
        cr = self.env.cr
        failed_at = ONE_BY_ONE
        try:
            with cr.savepoint():
                # read already, unless a batch of them was rolled back
                messages.sudo().fetch(MESSAGE_FIELDS)
                if any(message.state != QUEUED for message in messages):
                    raise _NotQueuedError()
                now = fields.Datetime.now()
                results = []
                with _quiet_handler_sql_errors():
                    for index, message in enumerate(messages):
                        failed_at = index
                        started = time.monotonic()
                        records, withheld = message._call_handler()
                        # the handler's writes now: a failure is its message's
                        self.env.flush_all()
                        duration = int((time.monotonic() - started) * 1000)
                        results.append((message, records, withheld, duration))
                    failed_at = ONE_BY_ONE
                finished = fields.Datetime.now()
                # queued to done in one statement: the chunk commits with its drain,
                # no other transaction could see them processing in between (the
                # claim holds their rows); one that is not queued any more redoes
                # the chunk one by one
                cr.execute(
                    SQL(
                        """
                        UPDATE interop_message AS m
                           SET state = %(done)s, date_started = %(now)s,
                               attempt_count = COALESCE(m.attempt_count, 0) + 1,
                               last_error = NULL, date_finished = %(finished)s,
                               duration_ms = v.duration, job_uuid = %(job)s,
                               write_uid = %(uid)s, write_date = %(finished)s
                          FROM (VALUES %(values)s) AS v(id, duration)
                         WHERE m.id = v.id AND m.state = %(queued)s
                     RETURNING m.id, m.attempt_count
                        """,
                        done=DONE,
                        now=now,
                        finished=finished,
                        job=job_uuid or None,
                        uid=self.env.uid,
                        values=SQL(", ").join(
                            SQL("(%s, %s)", result[0].id, result[3])
                            for result in results
                        ),
                        queued=QUEUED,
                    )
                )
                numbers = dict(cr.fetchall())
                if len(numbers) != len(messages):
                    raise _NotQueuedError()
                messages.invalidate_recordset(STATE_FIELDS)
                self._create_with_company(
                    "interop.message.attempt",
                    [
                        {
                            "message_id": message.id,
                            "number": numbers[message.id],
                            "date_started": now,
                            "date_finished": finished,
                            "duration_ms": duration,
                            "result": DONE,
                            "note": message._withheld_note(withheld),
                        }
                        for message, _records, withheld, duration in results
                    ],
                )
                links = [
                    vals
                    for message, records, _withheld, _duration in results
                    for vals in message._prepare_link_vals(records)
                ]
                if links:
                    self._create_with_company("interop.message.link", links)
                self.env["interop.exception"]._resolve_for_messages(messages)
        except Exception as error:  # noqa: BLE001 - redone alone, where it fails alone
            if failed_at == ONE_BY_ONE:
                _logger.info(
                    "Interop: a batch of %s messages failed outside their handlers "
                    "(%s): processed one by one",
                    len(messages),
                    type(error).__name__,
                )
            messages.invalidate_recordset()
            return failed_at
        return None

    @api.model
    def _create_with_company(self, model, vals_list):
        """``create`` of attempts or links of the chunk's messages, their company
        (a stored ``message_id.company_id``) inserted with them: the ORM would
        otherwise update every row again to store it."""
        Model = self.env[model].sudo()
        Message = self.env["interop.message"]
        for vals in vals_list:
            vals["company_id"] = Message.browse(vals["message_id"]).company_id.id
        records = Model.create(vals_list)
        # inserted above with the value its computation gives
        self.env.remove_to_compute(Model._fields["company_id"], records)
        return records

    @api.model
    def _drain_each(self, messages, job_uuid, counts):
        """Process ``messages`` one by one, each in a savepoint of its own."""
        cr = self.env.cr
        for message in messages:
            try:
                with cr.savepoint():
                    message._process()
                    message.sudo().job_uuid = job_uuid
            except (RetryableJobError, OperationalError) as error:
                _logger.info(
                    "Interop: transient fault processing message %s (%s): retried "
                    "by a job of its own",
                    message.id,
                    type(error).__name__,
                )
                message.invalidate_recordset()
                message._enqueue_own_job(
                    eta=fields.Datetime.now() + timedelta(seconds=RETRY_DELAY)
                )
                counts["retry"] += 1
                continue
            except Exception as error:  # noqa: BLE001 - one message fails, not the batch
                # raised outside the handler's own savepoint (a module's step around
                # it): the message alone fails, the batch goes on
                message.invalidate_recordset()
                try:
                    with cr.savepoint():
                        message._fail_unexpected(error)
                        message.sudo().job_uuid = job_uuid
                except Exception as second:  # noqa: BLE001 - the batch goes on
                    _logger.error(
                        "Interop: message %s could not be failed (%s after %s); it "
                        "stays queued",
                        message.id,
                        type(second).__name__,
                        type(error).__name__,
                    )
                    message.invalidate_recordset()
                    continue
            counts[message.state] = counts.get(message.state, 0) + 1
        return counts

    @api.model
    def _drain_claim(self, event_type_id, batch_size, message_ids=None):
        """Lock the next ``batch_size`` queued messages of the event type that no
        other transaction holds, oldest first.

        The job's transaction reads a snapshot taken before the claim (queue_job
        locks the job first): a message a concurrent drain processed and committed
        since then is still queued in it, and locking it is a serialization failure.
        Nothing is wrong: the other drain has it. The drain is tried again in a
        moment, in a new transaction, without counting a retry, and the log says so
        at INFO, not as the failed statement at ERROR.
        """
        self.env.flush_all()
        cr = self.env.cr
        try:
            cr.execute(
                SQL(
                    """
                    SELECT id FROM interop_message
                     WHERE state = 'queued' AND direction = 'inbound'
                       AND event_type_id = %(event_type)s AND job_uuid IS NULL
                       %(only)s
                     ORDER BY id
                     LIMIT %(limit)s
                       FOR UPDATE SKIP LOCKED
                    """,
                    event_type=event_type_id,
                    only=SQL("AND id = ANY(%s)", list(message_ids))
                    if message_ids
                    else SQL(),
                    limit=batch_size,
                ),
                log_exceptions=False,
            )
        except SerializationFailure as error:
            _logger.info(
                "Interop: a drain of event type %s met messages a concurrent drain "
                "took: tried again in %s s",
                event_type_id,
                CLAIM_RETRY_DELAY,
            )
            raise RetryableJobError(
                "Messages taken by a concurrent drain",
                seconds=CLAIM_RETRY_DELAY,
                ignore_retry=True,
            ) from error
        return self.env["interop.message"].browse(row[0] for row in cr.fetchall())

    @api.model
    def _hand_over(self, event_type_id):
        """Ensure the next drain of the event type in a transaction of its own,
        committed at once: the job runner can start it while this one runs (a job's
        own transaction would show it only when the job ends)."""
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr)
            event_type = env["interop.event.type"].browse(event_type_id).exists()
            if event_type:
                env["interop.message.dispatch"]._ensure_drain(event_type)
                return True
        # an event type of this very transaction (a test's): hand over here
        self._ensure_drain(self.env["interop.event.type"].browse(event_type_id))
        return True

    @api.model
    def _cron_dispatch_queued(self):
        """Safety net: a drain for every event type with queued messages no job will
        take (the last message of a burst, a drain that gave up)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT event_type_id FROM interop_message
                 WHERE state = 'queued' AND direction = 'inbound'
                   AND job_uuid IS NULL AND event_type_id IS NOT NULL
                """
            )
        )
        event_types = self.env["interop.event.type"].browse(
            row[0] for row in self.env.cr.fetchall()
        )
        for event_type in event_types:
            self._ensure_drain(event_type)
        self._recover_dead_jobs()
        return len(event_types)

    @api.model
    def _recover_dead_jobs(self):
        """Messages whose own job died are never left waiting: a job queue_job
        failed (its retries spent, the failure not recorded) fails its message with
        an exception; a job that is gone, cancelled or done without it gives the
        message back to the drains. Returns the messages (failed, given back)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT m.id, j.state FROM interop_message m
                  LEFT JOIN queue_job j ON j.uuid = m.job_uuid
                 WHERE m.state IN %(states)s AND m.job_uuid IS NOT NULL
                   AND (j.id IS NULL OR j.state IN ('failed', 'cancelled', 'done'))
                   FOR NO KEY UPDATE OF m SKIP LOCKED
                """,
                states=(QUEUED, PROCESSING),
            )
        )
        rows = self.env.cr.fetchall()
        Message = self.env["interop.message"]
        failed = Message.browse(row[0] for row in rows if row[1] == "failed")
        lost = Message.browse(row[0] for row in rows if row[1] != "failed")
        failed._job_mark_failed(exc_name="job failed")
        lost = lost.filtered(lambda m: m.state == QUEUED)
        if lost:
            lost.sudo().write({"job_uuid": False})
            lost._dispatch()
        return failed, lost

    @api.model
    def _job_drain_on_fail(self, exc_info=None, exc_name=None, **kwargs):
        """Called by queue_job when a drain's retries are spent (a database that
        stays busy: a message's own failure never fails its drain). As in
        :meth:`_job_on_fail`, a follow-up job records it."""
        self.with_delay(
            channel="root.interop",
            description=self.env._("Record the failure of a processing job"),
        )._job_record_drain_failure(exc_name=exc_name)

    @api.model
    def _job_record_drain_failure(self, exc_name=None):
        """Open (or update) a technical exception for each event type whose drain
        failed while messages wait queued; the dispatch cron keeps trying."""
        prefix = f"interop-drain:{self.env.cr.dbname}:"
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search([("identity_key", "=like", f"{prefix}%"), ("state", "=", "failed")])
        )
        event_type_ids = {
            int(job.identity_key.rsplit(":", 1)[1])
            for job in jobs
            if job.identity_key.rsplit(":", 1)[1].isdigit()
        }
        Exception_ = self.env["interop.exception"].sudo()
        for event_type in (
            self.env["interop.event.type"].browse(event_type_ids).exists()
        ):
            waiting = self.env["interop.message"].search(
                [("event_type_id", "=", event_type.id), ("state", "=", QUEUED)],
                order="id",
                limit=1,
            )
            if not waiting:
                continue
            error = TransportError(
                self.env._(
                    "Queued %(event)s messages wait: their processing job failed after "
                    "every retry (%(error)s).",
                    event=event_type.display_name,
                    error=exc_name or "error",
                ),
                detail=self.env._(
                    "The drain job failed with %(error)s; its text is not kept (it "
                    "may quote payload values). The dispatch cron starts a new one "
                    "every minute.",
                    error=exc_name or "error",
                ),
                suggested_action=self.env._(
                    "Check the database and the job queue (Queue Jobs, failed), then "
                    "requeue the job."
                ),
                owner=waiting.endpoint_id.technical_owner_id or None,
            )
            # one root cause: an exception already open for it counts one more
            Exception_._open(error, endpoint=waiting.endpoint_id, event_type=event_type)
        return True
