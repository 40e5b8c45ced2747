# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import threading
import time
from contextlib import contextmanager

from psycopg2 import OperationalError

from odoo import api, fields, models

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.addons.queue_job.utils import must_run_without_delay

from ..errors import (
    InteropProcessingError,
    MessageHeld,
    TransportError,
    error_location,
    unkept_error_detail,
)
from ..message_state import DONE, FAILED, PROCESSING, QUEUED

_logger = logging.getLogger(__name__)


# A handler's failed statement makes odoo.sql_db log it with its values (payload
# values, PHI): drop those lines in the thread running a handler, and only there. The
# message's attempt and exception say what failed, without the values.
_HANDLER_RUNNING = threading.local()


class _HandlerSqlErrorFilter(logging.Filter):
    def filter(self, record):
        return not getattr(_HANDLER_RUNNING, "active", False)


def install_sql_log_filter():
    """Add the filter to the ``odoo.sql_db`` logger (once per process): the
    manifest's ``post_load`` hook."""
    sql_logger = logging.getLogger("odoo.sql_db")
    if not any(isinstance(f, _HandlerSqlErrorFilter) for f in sql_logger.filters):
        sql_logger.addFilter(_HandlerSqlErrorFilter())


@contextmanager
def _quiet_handler_sql_errors():
    previous = getattr(_HANDLER_RUNNING, "active", False)
    _HANDLER_RUNNING.active = True
    try:
        yield
    finally:
        _HANDLER_RUNNING.active = previous


class InteropMessageProcessing(models.AbstractModel):
    """What becomes of a queued message: its processing job, the handler of its
    event type called as the endpoint's service user, the attempt and the exception
    that say how it went. Inherited by ``interop.message`` (which drain runs the
    job is ``interop.message.dispatch``'s business)."""

    _name = "interop.message.processing"
    _description = "Message Processing"

    def _enqueue(self):
        """Queue the messages for processing on their event type's channel."""
        for message in self:
            message._set_state(QUEUED, job_uuid=False)
        return self._dispatch()

    def _dispatch(self):
        """Give queued messages to processing jobs.

        By default several messages share a job (a *drain* of their event type,
        see ``interop.message.dispatch``); with a batch size of 1, each message gets
        a job of its own (:meth:`_job_process`).
        """
        dispatch = self.env["interop.message.dispatch"]
        if dispatch._processing_batch_size() <= 1:
            for message in self:
                message._enqueue_own_job()
            return True
        for event_type in self.event_type_id:
            messages = self.filtered(lambda m, et=event_type: m.event_type_id == et)
            dispatch._ensure_drain(event_type, message_ids=messages.ids)
        # messages without an event type have nothing to process them: the job says so
        for message in self.filtered(lambda m: not m.event_type_id):
            message._enqueue_own_job()
        return True

    @api.model
    def _dispatch_new(self, event_type, message_id, drain_pending=False):
        """:meth:`_dispatch` of one message just stored queued, by id: the gateway's
        hot path, which does not read the message back. ``drain_pending``: a pending
        drain of the event type was seen when the message was stored."""
        if drain_pending and not must_run_without_delay(self.env):
            # a drain not started yet takes it (with a batch size of 1 since a
            # moment, that drain hands over to the next one message by message)
            return None
        dispatch = self.env["interop.message.dispatch"]
        if dispatch._processing_batch_size() <= 1:
            return self.browse(message_id)._dispatch()
        # a message just received: its drain waits for those that follow
        return dispatch._ensure_drain(event_type, message_ids=[message_id], linger=True)

    def _enqueue_own_job(self, eta=None):
        """One processing job for this message alone (its retries are the job's)."""
        self.ensure_one()
        job = self.with_delay(
            channel=self.event_type_id.channel or "root.interop",
            identity_key=identity_exact,
            eta=eta,
            description=self.env._(
                "Process %(message)s (correlation %(correlation)s)",
                message=self.display_name,
                correlation=self.correlation_id,
            ),
        )._job_process()
        if job is not None and getattr(job, "uuid", None):
            self.sudo().job_uuid = job.uuid
        return job

    def _job_process(self):
        """queue_job entry point: process one message, as a new attempt."""
        self.ensure_one()
        if self.state != QUEUED:
            # a job already ran for it (replayed or cancelled meanwhile): nothing to do
            return self.env._("Skipped: message is %(state)s", state=self.state)
        try:
            with self.env.cr.savepoint():
                return self._process()
        except (RetryableJobError, OperationalError):
            raise  # transient: queue_job retries the job
        except Exception as error:  # noqa: BLE001 - the message fails, with its reason
            self.invalidate_recordset()
            return self._fail_unexpected(error)

    @api.model
    def _get_interop_preprocessors(self):
        """What runs before a message of an event type is processed: ``{event type
        code: (model, method)}``, the method called with the message.

        It runs outside the processing savepoint: what it writes stays when the
        processing fails (e.g. the visit of a completion that cannot be billed yet).
        A module registers its own with ``return dict(super()
        ._get_interop_preprocessors(), **{"code": ("model", "_method")})``, never by
        overriding :meth:`_process`.
        """
        return {}

    def _preprocess(self):
        hook = self._get_interop_preprocessors().get(self.event_type_id.code)
        if hook:
            model, method = hook
            getattr(self.env[model], method)(self)

    def _process(self):
        self.ensure_one()
        self._preprocess()
        start = time.monotonic()
        now = fields.Datetime.now()
        attempt_no = self.attempt_count + 1
        self._set_state(
            PROCESSING, date_started=now, attempt_count=attempt_no, last_error=False
        )
        attempt = (
            self.env["interop.message.attempt"]
            .sudo()
            .create({"message_id": self.id, "number": attempt_no, "date_started": now})
        )
        error = None
        records = None
        withheld = []
        try:
            # quiet until the savepoint's flush is over
            with _quiet_handler_sql_errors(), self.env.cr.savepoint():
                records, withheld = self._call_handler()
        except MessageHeld as held:
            # too early: rolled back, waits (interop_message_hold.py)
            return self._hold_until(held, attempt, start)
        except InteropProcessingError as processing_error:
            error = processing_error
        except (RetryableJobError, OperationalError):
            raise  # transient: queue_job retries the job, the transaction rolls back
        except Exception as unexpected:  # noqa: BLE001 - any bug fails this message
            error = self._unexpected_error(unexpected)
        duration = int((time.monotonic() - start) * 1000)
        finished = fields.Datetime.now()
        note = self._withheld_note(withheld)
        if error is None:
            self._set_state(DONE, date_finished=finished, duration_ms=duration)
            attempt.write(
                {
                    "date_finished": finished,
                    "duration_ms": duration,
                    "result": DONE,
                    "note": note,
                }
            )
            self._link_records(records)
            self.env["interop.exception"]._resolve_for_messages(self)
            return self.env._("Done")
        return self._record_failure(attempt, error, start, note=note)

    def _record_failure(self, attempt, error, start, note=False):
        """Fail the message processing: ``attempt`` and the message say why, its
        exception goes to the owner."""
        duration = int((time.monotonic() - start) * 1000)
        finished = fields.Datetime.now()
        self._set_state(
            FAILED,
            date_finished=finished,
            duration_ms=duration,
            last_error=error.summary,
        )
        attempt.write(
            {
                "date_finished": finished,
                "duration_ms": duration,
                "result": FAILED,
                "error": error.summary,
                "category_code": error.category,
                "note": note,
            }
        )
        self.env["interop.exception"]._raise_for_message(self, error)
        return self.env._("Failed: %(error)s", error=error.summary)

    def _unexpected_error(self, unexpected):
        """A :class:`TransportError` for an error no processing code expected (a bug,
        a database constraint): its type and where it was raised, for the endpoint's
        technical owner. Never its text: database and Python errors quote the values
        they choked on (payload values, PHI)."""
        error_type = type(unexpected).__name__
        _logger.info(
            "Interop: message %s failed on an unexpected %s (%s)",
            self.id,
            error_type,
            error_location(unexpected),
        )
        return TransportError(
            self.env._(
                "Processing stopped on an unexpected error (%(error_type)s).",
                error_type=error_type,
            ),
            detail=unkept_error_detail(self.env, unexpected),
            suggested_action=self.env._(
                "The technical owner of the endpoint looks at the technical detail, "
                "then retries."
            ),
            owner=self.endpoint_id.technical_owner_id or None,
        )

    def _fail_unexpected(self, error):
        """Fail the message for ``error`` raised outside its handler's savepoint
        (everything it did was rolled back): a new attempt and an exception."""
        self.ensure_one()
        start = time.monotonic()
        now = fields.Datetime.now()
        if self.state == QUEUED:
            self._set_state(
                PROCESSING,
                date_started=now,
                attempt_count=self.attempt_count + 1,
                last_error=False,
            )
        attempt = (
            self.env["interop.message.attempt"]
            .sudo()
            .create(
                {
                    "message_id": self.id,
                    "number": self.attempt_count,
                    "date_started": now,
                }
            )
        )
        return self._record_failure(attempt, self._unexpected_error(error), start)

    def _withheld_note(self, withheld):
        if not withheld:
            return False
        return self.env._(
            "Not given to the handler, so not copied into any record: %(paths)s (PHI "
            "that the event type's PHI Copied to Records does not list).",
            paths=", ".join(withheld),
        )

    def _call_handler(self):
        event_type = self.event_type_id
        if not event_type.handler_model or not event_type.handler_method:
            raise TransportError(
                self.env._(
                    "Event type %(event)s has no handler: nothing can process it.",
                    event=event_type.display_name,
                ),
                suggested_action=self.env._(
                    "Configure the handler of the event type, then retry."
                ),
            )
        service_user = self.endpoint_id.service_user_id
        if not service_user:
            raise TransportError(
                self.env._(
                    "Endpoint %(endpoint)s has no service user to process messages.",
                    endpoint=self.endpoint_id.display_name,
                ),
                suggested_action=self.env._(
                    "Set the service user of the endpoint, then retry."
                ),
            )
        # never as the user who replays or the superuser: as the endpoint's
        # least-privilege service user
        handler = self.env[event_type.handler_model].with_user(service_user)
        method = getattr(handler, event_type.handler_method)
        # the handler copies only the PHI the event type lets out of the log
        payload, withheld = event_type._filter_copyable(self._get_payload())
        return method(self.with_user(service_user), payload), withheld

    def _link_records(self, records):
        vals_list = self._prepare_link_vals(records)
        if vals_list:
            self.env["interop.message.link"].sudo().create(vals_list)

    def _prepare_link_vals(self, records):
        """Values of the links of this message to what its handler returned (a
        recordset, a list of them, or nothing)."""
        if not records:
            return []
        if isinstance(records, models.BaseModel):
            records = [records]
        return [
            {"message_id": self.id, "res_model": record._name, "res_id": record.id}
            for recordset in records
            for record in recordset
        ]

    def _job_on_fail(self, exc_info=None, exc_name=None, exc_message=None, **kwargs):
        """Called by queue_job when the retries of the processing job are spent.

        queue_job calls it in a new transaction while the failed job's transaction,
        which may hold this message's row, is still open: writing the row here would
        wait on ourselves. A follow-up job records the failure instead.
        """
        for message in self:
            message.with_delay(
                channel=message.event_type_id.channel or "root.interop",
                description=self.env._(
                    "Record the failure of %(message)s", message=message.display_name
                ),
            )._job_mark_failed(exc_name=exc_name, exc_message=exc_message)

    def _job_mark_failed(self, exc_name=None, exc_message=None):
        """Fail the message whose processing retries are spent, with an exception."""
        for message in self.filtered(lambda m: m.state in (QUEUED, PROCESSING)):
            if message.state == QUEUED:
                message._set_state(PROCESSING)
            # exc_message is the error's text: it may quote payload values
            error = TransportError(
                self.env._(
                    "Processing failed after every retry (%(error)s).",
                    error=exc_name or "error",
                ),
                detail=self.env._(
                    "The processing job failed with %(error)s; its text is not kept "
                    "(it may quote payload values).",
                    error=exc_name or "error",
                ),
                suggested_action=self.env._(
                    "Check that the systems involved are reachable, then retry."
                ),
                owner=message.endpoint_id.technical_owner_id or None,
            )
            message._set_state(
                FAILED, date_finished=fields.Datetime.now(), last_error=error.summary
            )
            self.env["interop.exception"]._raise_for_message(message, error)
