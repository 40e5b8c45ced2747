# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta

from psycopg2 import OperationalError
from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.utils import must_run_without_delay

from ..errors import TransportError
from .interop_message import DONE, FAILED, PROCESSING, QUEUED

_logger = logging.getLogger(__name__)

#: messages one processing job takes by default (ir.config_parameter
#: interop.processing_batch_size; 1 gives every message a job of its own)
DEFAULT_BATCH_SIZE = 50
MAX_BATCH_SIZE = 500
#: seconds before a message hit by a transient fault in a batch is tried again
RETRY_DELAY = 10
#: seconds before a drain that met a concurrent one claims again
CLAIM_RETRY_DELAY = 1


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
    def _processing_batch_size(self):
        """Messages one processing job takes at most (1: a job per message)."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("interop.processing_batch_size", DEFAULT_BATCH_SIZE)
        )
        try:
            return max(1, min(int(value), MAX_BATCH_SIZE))
        except (TypeError, ValueError):
            return DEFAULT_BATCH_SIZE

    @api.model
    def _drain_identity(self, event_type):
        return f"interop-drain:{self.env.cr.dbname}:{event_type.id}"

    @api.model
    def _ensure_drain(self, event_type, message_ids=None):
        """Make sure a job that has not started yet will process the queued messages
        of ``event_type``: one pending drain per event type takes every message queued
        before it starts.

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
        return self._delay_drain(event_type)

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
    def _delay_drain(self, event_type, message_ids=None):
        # the job runs as the user who queued the messages, as their own jobs would;
        # each handler runs as the service user of the message's endpoint
        return self.with_delay(
            channel=event_type.channel or "root.interop",
            identity_key=self._drain_identity(event_type),
            description=self.env._(
                "Process queued %(event)s messages", event=event_type.display_name
            ),
        )._job_drain(event_type.id, message_ids=message_ids)

    @api.model
    def _job_drain(self, event_type_id, message_ids=None):
        """queue_job entry point: process a batch of queued messages of one event
        type, oldest first, each in a savepoint of its own.

        A message that fails is failed alone (and gets its exception); a transient
        fault (lock contention, a busy database) hands that message to a job of its
        own, retried with growing delays. Messages other jobs hold are skipped.
        """
        batch_size = self._processing_batch_size()
        messages = self._drain_claim(event_type_id, batch_size, message_ids)
        cr = self.env.cr
        if not message_ids and len(messages) >= batch_size:
            # more are waiting: the next drain may start now, beside this one
            self._hand_over(event_type_id)
        job_uuid = self.env.context.get("job_uuid") or False
        counts = {DONE: 0, FAILED: 0, "retry": 0}
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
        return self.env._(
            "%(count)s message(s): %(done)s done, %(failed)s failed, %(retry)s to "
            "retry",
            count=len(messages),
            done=counts[DONE],
            failed=counts[FAILED],
            retry=counts["retry"],
        )

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
