# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import json
import logging
import threading
import time
import traceback
import uuid
from contextlib import contextmanager
from datetime import timedelta

from psycopg2 import OperationalError

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, create_index

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.addons.queue_job.utils import must_run_without_delay

from ..errors import InteropProcessingError, PayloadValidationError, TransportError
from .interop_event_type import dumps_deep, loads_deep

_logger = logging.getLogger(__name__)

# A handler's failed statement makes odoo.sql_db log it with its values (payload
# values, PHI): drop those lines in the thread running a handler, and only there. The
# message's attempt and exception say what failed, without the values.
_HANDLER_RUNNING = threading.local()


class _HandlerSqlErrorFilter(logging.Filter):
    def filter(self, record):
        return not getattr(_HANDLER_RUNNING, "active", False)


logging.getLogger("odoo.sql_db").addFilter(_HandlerSqlErrorFilter())


@contextmanager
def _quiet_handler_sql_errors():
    previous = getattr(_HANDLER_RUNNING, "active", False)
    _HANDLER_RUNNING.active = True
    try:
        yield
    finally:
        _HANDLER_RUNNING.active = previous


def _error_location(error):
    """Where ``error`` was raised, as ``file:line in function`` of the innermost
    frames: code, never values."""
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    return " < ".join(
        f"{frame.filename.rsplit('/addons/', 1)[-1]}:{frame.lineno} in {frame.name}"
        for frame in reversed(frames)
    )


RECEIVED = "received"
VALIDATED = "validated"
QUEUED = "queued"
PROCESSING = "processing"
DONE = "done"
REJECTED = "rejected"
FAILED = "failed"
CANCELLED = "cancelled"

STATES = [
    (RECEIVED, "Received"),
    (VALIDATED, "Validated"),
    (QUEUED, "Queued"),
    (PROCESSING, "Processing"),
    (DONE, "Done"),
    (REJECTED, "Rejected"),
    (FAILED, "Failed"),
    (CANCELLED, "Cancelled"),
]

# The only moves a message can make. processing -> queued is a transient fault being
# retried; failed -> queued is a replay.
TRANSITIONS = {
    RECEIVED: {VALIDATED, REJECTED, CANCELLED},
    VALIDATED: {QUEUED, PROCESSING, CANCELLED},
    QUEUED: {PROCESSING, CANCELLED},
    PROCESSING: {DONE, FAILED, QUEUED},
    FAILED: {QUEUED, CANCELLED},
    REJECTED: {CANCELLED},
    DONE: set(),
    CANCELLED: set(),
}
FINAL_STATES = (DONE, REJECTED, FAILED, CANCELLED)
#: messages one processing job takes by default (ir.config_parameter
#: interop.processing_batch_size; 1 gives every message a job of its own)
DEFAULT_BATCH_SIZE = 50
MAX_BATCH_SIZE = 500
#: seconds before a message hit by a transient fault in a batch is tried again
RETRY_DELAY = 10

# Percentage of each page filled by inserts: the rest holds the pruned versions of its
# rows (about a sixth of a row with a 1 KB payload), so pruning updates in place.
FILLFACTOR = 80


class InteropMessage(models.Model):
    """One message in or out: what it was, where it went, and what became of it.

    Rows are written only by the methods of this model (the ACL gives nobody write,
    create or unlink): the log is the evidence of every exchange.
    """

    _name = "interop.message"
    _description = "Integration Message"
    _order = "date_received desc, id desc"
    _rec_names_search = ["business_key", "correlation_id", "idempotency_key"]
    _interop_encrypted_fields = ["payload_enc"]

    # Every index is written by every message the gateway stores: the log has only
    # those its screens and jobs use (see init). Not direction (two values), nor
    # endpoint_id alone (the first column of the endpoint/date index), nor company_id
    # (a few companies: the company rule reads the rows the other filters found).
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound")],
        required=True,
        readonly=True,
    )
    endpoint_id = fields.Many2one(
        "interop.endpoint",
        required=True,
        readonly=True,
        ondelete="restrict",
    )
    event_type_id = fields.Many2one(
        "interop.event.type", readonly=True, index=True, ondelete="restrict"
    )
    event_version = fields.Integer(
        readonly=True,
        help="Version of the event type the payload was validated against.",
    )
    company_id = fields.Many2one(
        related="endpoint_id.company_id", store=True, readonly=True
    )
    state = fields.Selection(
        STATES, required=True, default=RECEIVED, readonly=True, index=True
    )
    business_key = fields.Char(readonly=True, index=True)
    idempotency_key = fields.Char(readonly=True)
    correlation_id = fields.Char(
        required=True,
        readonly=True,
        index=True,
        default=lambda self: str(uuid.uuid4()),
        help="Assigned on entry and carried by every job, message and outbound call "
        "derived from this one.",
    )
    parent_id = fields.Many2one(
        "interop.message", readonly=True, index="btree_not_null"
    )
    child_ids = fields.One2many("interop.message", "parent_id", readonly=True)
    content_type = fields.Char(readonly=True, default="application/json")
    payload_size = fields.Integer(string="Size (bytes)", readonly=True)
    payload_hash = fields.Char(readonly=True)
    # Never readable through the UI or RPC: the ciphertext is useless without the key,
    # and payload_display is the governed way to read it.
    payload_enc = fields.Text(readonly=True, prefetch=False, groups="base.group_system")
    payload_key_id = fields.Char(string="Encryption Key", readonly=True)
    payload_display = fields.Text(
        string="Payload", compute="_compute_payload_display", compute_sudo=False
    )
    is_payload_masked = fields.Boolean(compute="_compute_payload_display")
    is_payload_pruned = fields.Boolean(string="Content Pruned", readonly=True)
    date_received = fields.Datetime(
        default=fields.Datetime.now, required=True, readonly=True, index=True
    )
    date_started = fields.Datetime(readonly=True)
    date_finished = fields.Datetime(readonly=True)
    date_pruned = fields.Datetime(readonly=True)
    duration_ms = fields.Integer(string="Duration (ms)", readonly=True)
    attempt_count = fields.Integer(readonly=True)
    last_error = fields.Text(
        readonly=True, help="What went wrong last, in words. No technical trace."
    )
    rejection_reasons = fields.Text(readonly=True)
    job_uuid = fields.Char(string="Last Job", readonly=True)
    attempt_ids = fields.One2many(
        "interop.message.attempt", "message_id", readonly=True
    )
    link_ids = fields.One2many("interop.message.link", "message_id", readonly=True)
    # every exception about this message, one it shares with others of one root
    # cause included (the exception's Affected Messages)
    exception_ids = fields.Many2many(
        "interop.exception",
        "interop_exception_message_rel",
        "message_id",
        "exception_id",
        readonly=True,
    )
    open_exception_count = fields.Integer(compute="_compute_open_exception_count")
    active = fields.Boolean(default=True, readonly=True)

    _sql_constraints = [
        (
            "idempotency_uniq",
            "unique(endpoint_id, direction, idempotency_key)",
            "This endpoint already sent a message with this idempotency key.",
        ),
    ]

    def init(self):
        # the endpoint's smart buttons: messages of today, and the few not yet done
        create_index(
            self.env.cr,
            "interop_message_endpoint_date_idx",
            self._table,
            ["endpoint_id", "date_received"],
        )
        create_index(
            self.env.cr,
            "interop_message_endpoint_open_state_idx",
            self._table,
            ["endpoint_id", "state"],
            where="state IN ('received','validated','queued','processing','failed')",
        )
        for name in ("direction", "endpoint_id", "company_id"):  # 18.0.1.0.0
            self.env.cr.execute(
                SQL(
                    "DROP INDEX IF EXISTS %s",
                    SQL.identifier(f"{self._table}__{name}_index"),
                )
            )
        # processing jobs take the queued messages of an event type, oldest first
        create_index(
            self.env.cr,
            "interop_message_queued_idx",
            self._table,
            ["event_type_id", "id"],
            where="state = 'queued' AND job_uuid IS NULL",
        )
        # Pruning must be a HOT update (the new version of the row on its own page,
        # no index touched): no index may cover a column it writes, and each page
        # keeps room for the pruned versions of its rows. Retention walks the messages
        # by date with a cursor instead of an index of the unpruned ones. The
        # fillfactor applies to the pages written from now on.
        self.env.cr.execute(
            "DROP INDEX IF EXISTS interop_message_unpruned_date_idx"  # 18.0.1.0.0
        )
        self.env.cr.execute(
            SQL(
                "ALTER TABLE %s SET (fillfactor = %s)",
                SQL.identifier(self._table),
                FILLFACTOR,
            )
        )

    @api.depends("direction", "event_type_id", "business_key")
    def _compute_display_name(self):
        for message in self:
            label = message.event_type_id.code or message.direction or ""
            key = message.business_key or (message.id and f"#{message.id}") or ""
            message.display_name = f"{label} {key}".strip()

    def _compute_open_exception_count(self):
        counts = dict(
            self.env["interop.exception"]._read_group(
                [
                    ("affected_message_ids", "in", self.ids),
                    ("state", "in", ("open", "in_progress")),
                ],
                ["affected_message_ids"],
                ["__count"],
            )
        )
        for message in self:
            message.open_exception_count = counts.get(message, 0)

    @api.depends_context("uid")
    def _compute_payload_display(self):
        can_see_phi = self.env.user.has_group("interop.group_interop_phi")
        for message in self:
            message.is_payload_masked = False
            if message.is_payload_pruned:
                message.payload_display = self.env._(
                    "(content pruned by the retention policy)"
                )
                continue
            payload = message._get_payload()
            if payload is None:
                message.payload_display = False
                continue
            if not can_see_phi and message.event_type_id and isinstance(payload, dict):
                payload = message.event_type_id._mask_payload(payload)
                message.is_payload_masked = True
            elif not can_see_phi:
                payload = "***"
                message.is_payload_masked = True
            else:
                message._log_phi_view()
            message.payload_display = dumps_deep(payload)

    @api.model_create_multi
    @api.private
    def create(self, vals_list):
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_retention(self):
        # The log is evidence: only the retention policy removes rows.
        if not self.env.context.get("interop_retention"):
            raise UserError(
                self.env._(
                    "Messages cannot be deleted: the retention policy removes them "
                    "when their time has come."
                )
            )

    # Payload

    def _get_payload(self):
        """The decrypted payload (parsed JSON), for processing code only."""
        self.ensure_one()
        token = self.sudo().payload_enc
        if not token:
            return None
        text = self.env["interop.crypto"]._decrypt(token)
        try:
            return loads_deep(text)
        except ValueError:
            return text

    def _log_phi_view(self):
        """Record that the current user saw this message unmasked."""
        self.env["interop.audit.entry"]._log(
            "phi_viewed", record=self, summary=self.env._("Unmasked payload viewed")
        )

    @api.model
    def _prepare_payload_vals(self, body):
        """Encryption and fingerprint values of a raw body (bytes or str)."""
        if isinstance(body, str):
            body = body.encode()
        crypto = self.env["interop.crypto"]
        token = crypto._encrypt(body)
        return {
            "payload_enc": token,
            "payload_key_id": crypto._key_id_of(token),
            "payload_size": len(body),
            "payload_hash": hashlib.sha256(body).hexdigest(),
        }

    # Logging entry points

    @api.model
    def _log_message(
        self, endpoint, event_type, body, direction="inbound", **extra_vals
    ):
        """Store a message and its encrypted payload; return it (state received).

        ``body`` is the raw payload (bytes/str) or a JSON-serialisable object.
        """
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        vals = {
            "direction": direction,
            "endpoint_id": endpoint.id,
            "event_type_id": event_type.id if event_type else False,
            "event_version": event_type.version if event_type else 0,
            **self._prepare_payload_vals(body),
            **extra_vals,
        }
        return self.sudo().create([vals])

    @api.model
    def _log_queued(
        self,
        endpoint_id,
        company_id,
        event_type_id,
        event_version,
        body,
        idempotency_key=None,
        business_key=None,
    ):
        """Store a valid inbound message straight in the queued state, in one
        statement; return ``(id, correlation id, drain pending)``, or None when the
        endpoint already sent a message with this idempotency key (the row is not
        inserted). *drain pending*: whether a job that has not started yet will take
        the message (the same statement looks, see :meth:`_ensure_drain`).

        The gateway's hot path: the same row as :meth:`_log_message` then
        :meth:`_validate` and :meth:`_set_state` would write, without their three
        statements and the ORM's bookkeeping (tested to stay the same row).
        The caller dispatches the message (:meth:`_dispatch`).
        """
        vals = self._prepare_payload_vals(body)
        correlation_id = str(uuid.uuid4())
        self.env.cr.execute(
            SQL(
                """
                WITH inserted AS (
                INSERT INTO interop_message (
                    direction, endpoint_id, company_id, event_type_id, event_version,
                    state, business_key, idempotency_key, correlation_id,
                    content_type, payload_size, payload_hash, payload_enc,
                    payload_key_id, date_received, active,
                    create_uid, write_uid, create_date, write_date)
                VALUES (
                    'inbound', %(endpoint)s, %(company)s, %(event_type)s,
                    %(version)s, %(state)s, %(business_key)s, %(idempotency_key)s,
                    %(correlation_id)s, 'application/json', %(size)s, %(hash)s,
                    %(payload)s, %(key_id)s, %(now)s, TRUE,
                    %(uid)s, %(uid)s, %(now)s, %(now)s)
                ON CONFLICT ON CONSTRAINT interop_message_idempotency_uniq
                DO NOTHING
                RETURNING id
                )
                SELECT inserted.id, %(drain_pending)s FROM inserted
                """,
                drain_pending=self._drain_pending_sql(
                    self.env["interop.event.type"].browse(event_type_id)
                ),
                endpoint=endpoint_id,
                company=company_id,
                event_type=event_type_id,
                version=event_version,
                state=QUEUED,
                business_key=business_key,
                idempotency_key=idempotency_key or None,
                correlation_id=correlation_id,
                size=vals["payload_size"],
                hash=vals["payload_hash"],
                payload=vals["payload_enc"],
                key_id=vals["payload_key_id"],
                now=fields.Datetime.now(),
                uid=self.env.uid,
            )
        )
        row = self.env.cr.fetchone()
        return (row[0], correlation_id, row[1]) if row else None

    @api.model
    def _receive(self, endpoint, event_type, payload, **extra_vals):
        """Log an inbound ``payload`` (parsed JSON), validate it, and queue it.

        Returns the message: queued when valid, rejected (with the reasons) when not.
        """
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        extra_vals.setdefault("business_key", event_type._extract_business_key(payload))
        extra_vals.setdefault(
            "idempotency_key", event_type._extract_idempotency_key(payload)
        )
        message = self._log_message(endpoint, event_type, body, **extra_vals)
        message._validate(payload)
        if message.state == VALIDATED:
            message._enqueue()
        return message

    # State machine

    def _set_state(self, new_state, **vals):
        labels = dict(STATES)
        for message in self:
            if new_state not in TRANSITIONS[message.state]:
                raise UserError(
                    self.env._(
                        "Message %(message)s cannot go from %(from)s to %(to)s.",
                        message=message.display_name,
                        **{"from": labels[message.state], "to": labels[new_state]},
                    )
                )
        self.sudo().write(dict(vals, state=new_state))

    def _validate(self, payload=None):
        """Check the payload against its event type: validated or rejected."""
        for message in self:
            if payload is None:
                payload = message._get_payload()
            violations = (
                message.event_type_id._validate_payload(payload)
                if message.event_type_id
                else []
            )
            if violations:
                message._set_state(
                    REJECTED,
                    rejection_reasons="\n".join(violations),
                    last_error=self.env._(
                        "The payload does not match the contract of %(event)s "
                        "(%(count)s violation(s)).",
                        event=message.event_type_id.display_name,
                        count=len(violations),
                    ),
                    date_finished=fields.Datetime.now(),
                )
                message._raise_rejection()
            else:
                message._set_state(VALIDATED)
            payload = None
        return self.filtered(lambda m: m.state == VALIDATED)

    def _raise_rejection(self):
        """Rejections reach a person: the endpoint's technical owner gets one
        exception per endpoint and event type, counting the rejected messages."""
        self.ensure_one()
        endpoint, event_type = self.endpoint_id, self.event_type_id
        error = PayloadValidationError(
            self.env._(
                "%(endpoint)s sends %(event)s messages that do not match its contract.",
                endpoint=endpoint.name,
                event=event_type.display_name,
            ),
            suggested_action=self.env._(
                "Read the rejection reasons of the affected messages, then ask the "
                "sender to correct what it sends, or review the contract if it is "
                "the contract that is wrong."
            ),
            owner=endpoint.technical_owner_id or None,
        )
        # sudo: routing reads the rules, whoever sent the payload (the gateway's user)
        return (
            self.env["interop.exception"]
            .sudo()
            ._open(error, message=self, endpoint=endpoint, event_type=event_type)
        )

    def _enqueue(self):
        """Queue the messages for processing on their event type's channel."""
        for message in self:
            message._set_state(QUEUED, job_uuid=False)
        return self._dispatch()

    def _dispatch(self):
        """Give queued messages to processing jobs.

        By default several messages share a job (a *drain* of their event type, see
        :meth:`_job_drain`); with a batch size of 1, each message gets a job of its
        own (:meth:`_job_process`).
        """
        if self._processing_batch_size() <= 1:
            for message in self:
                message._enqueue_own_job()
            return True
        for event_type in self.event_type_id:
            messages = self.filtered(lambda m, et=event_type: m.event_type_id == et)
            self._ensure_drain(event_type, message_ids=messages.ids)
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
        if self._processing_batch_size() <= 1:
            return self.browse(message_id)._dispatch()
        return self._ensure_drain(event_type, message_ids=[message_id])

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
        self.env.flush_all()
        cr = self.env.cr
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
            )
        )
        messages = self.browse(row[0] for row in cr.fetchall())
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
    def _hand_over(self, event_type_id):
        """Ensure the next drain of the event type in a transaction of its own,
        committed at once: the job runner can start it while this one runs (a job's
        own transaction would show it only when the job ends)."""
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr)
            event_type = env["interop.event.type"].browse(event_type_id).exists()
            if event_type:
                env["interop.message"]._ensure_drain(event_type)
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
        failed = self.browse(row[0] for row in rows if row[1] == "failed")
        lost = self.browse(row[0] for row in rows if row[1] != "failed")
        failed._job_mark_failed(exc_name="job failed")
        lost = lost.filtered(lambda m: m.state == QUEUED)
        if lost:
            lost.sudo().write({"job_uuid": False})
            lost._dispatch()
        return failed, lost

    # Processing

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

    def _process(self):
        self.ensure_one()
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
            _error_location(unexpected),
        )
        return TransportError(
            self.env._(
                "Processing stopped on an unexpected error (%(error_type)s).",
                error_type=error_type,
            ),
            detail=self.env._(
                "%(error_type)s raised at %(location)s. Its text is not kept: it may "
                "quote payload values. Replay the message in a test database to see "
                "it.",
                error_type=f"{type(unexpected).__module__}.{error_type}",
                location=_error_location(unexpected),
            ),
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
        if not records:
            return
        if isinstance(records, models.BaseModel):
            records = [records]
        vals_list = []
        for recordset in records:
            for record in recordset:
                vals_list.append(
                    {
                        "message_id": self.id,
                        "res_model": record._name,
                        "res_id": record.id,
                    }
                )
        self.env["interop.message.link"].sudo().create(vals_list)

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
            waiting = self.search(
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

    # Actions

    def _check_operator(self):
        if not self.env.user.has_group("interop.group_interop_manager"):
            raise AccessError(
                self.env._(
                    "Only Interop managers replay or cancel messages directly; owners "
                    "retry them from their exception."
                )
            )

    def action_replay(self):
        """Process the stored payload again, as a new attempt, same correlation id."""
        self._check_operator()
        return self._replay()

    def _replay(self, now=False):
        """Process these failed messages again, as new attempts.

        ``now``: inbound messages are processed in this transaction, as a drain
        would (each in a savepoint, as the endpoint's service user; a transient
        fault hands the message to a job of its own), so that the operator who
        retries a few messages sees the outcome at once. Other messages, and every
        message otherwise, are queued for the processing jobs.
        """
        replayable = self.filtered(lambda m: m.state == FAILED)
        if not replayable:
            raise UserError(self.env._("Only failed messages can be replayed."))
        at_once = self.browse()
        if now:
            at_once = replayable.filtered(
                lambda m: m.direction == "inbound" and m.event_type_id
            )
        audit = self.env["interop.audit.entry"]
        for message in replayable:
            if message in at_once:
                message._set_state(QUEUED, job_uuid=False)
            else:
                message._enqueue()
            audit._log(
                "message_replayed",
                record=message,
                summary=self.env._("Message replayed"),
            )
        for event_type in at_once.event_type_id:
            messages = at_once.filtered(lambda m, et=event_type: m.event_type_id == et)
            self._job_drain(event_type.id, message_ids=messages.ids)
        # what the drains left (beyond their batch size, held by a job): to the jobs
        at_once.filtered(lambda m: m.state == QUEUED and not m.job_uuid)._dispatch()
        return True

    def action_cancel(self):
        self._check_operator()
        cancellable = self.filtered(lambda m: CANCELLED in TRANSITIONS[m.state])
        if not cancellable:
            raise UserError(self.env._("These messages can no longer be cancelled."))
        cancellable._set_state(CANCELLED, date_finished=fields.Datetime.now())
        self.env["interop.exception"]._settle_for_messages(
            cancellable, "dismissed", self.env._("The message was cancelled.")
        )
        audit = self.env["interop.audit.entry"]
        for message in cancellable:
            audit._log(
                "message_cancelled",
                record=message,
                summary=self.env._("Message cancelled"),
            )
        return True

    def action_view_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "interop.interop_exception_action"
        )
        action["domain"] = [("affected_message_ids", "in", self.id)]
        action["context"] = {}
        return action

    # Retention

    @api.model
    def _retention_cutoffs(self):
        """{endpoint id: cutoff datetime} of every endpoint with messages."""
        now = fields.Datetime.now()
        endpoints = self.env["interop.endpoint"].sudo().with_context(active_test=False)
        return {
            endpoint.id: now - timedelta(days=endpoint._get_retention_days())
            for endpoint in endpoints.search([])
        }

    @api.model
    def _cron_apply_retention(self, batch_size=50000):
        """Prune the content of expired messages, then delete their rows after grace.

        A run walks the messages older than their endpoint's retention, oldest first
        (the order they sit in the table), reading ``batch_size`` of them per call, one
        short transaction, in set-based SQL: the ORM path cannot prune a million rows
        in a minute. Odoo calls again while the walk goes on; a cursor per endpoint
        keeps its place, so a backlog is read once. The next run walks again from the
        oldest and prunes what could not be pruned before. Messages with an unresolved
        exception are never touched, nor rows another transaction holds (SKIP
        LOCKED): the batches never wait on the gateway or the jobs.
        """
        params = self.env["ir.config_parameter"].sudo()
        grace = int(params.get_param("interop.retention_row_grace_days", 30))
        now = fields.Datetime.now()
        self.env.flush_all()
        cutoffs = self._retention_cutoffs()
        saved = self._retention_cursors()
        cursors = {endpoint_id: saved.get(endpoint_id) for endpoint_id in cutoffs}
        if all(cursor and not cursor[1] for cursor in cursors.values()):
            # the last walk is over: this run starts from the oldest
            cursors = dict.fromkeys(cutoffs)
        # endpoints with the same retention are walked together, page after page
        walks = {}
        for endpoint_id, cutoff in cutoffs.items():
            cursor = cursors[endpoint_id]
            if not cursor or cursor[1]:
                walks.setdefault(cutoff, []).append(endpoint_id)
        budget, pruned, deleted = batch_size, 0, 0
        for cutoff, endpoint_ids in sorted(walks.items()):
            if not budget:
                break
            walked = [cursors[endpoint_id] for endpoint_id in endpoint_ids]
            rows = self._retention_read(
                endpoint_ids,
                cutoff,
                None if None in walked else min(walked),
                budget,
                now - timedelta(days=grace),
            )
            budget -= len(rows)
            pruned += self._retention_prune([row[0] for row in rows if row[3]], now)
            deleted += self._retention_delete([row[1] for row in rows if row[4]])
            # a short read ends the walk of these endpoints
            cursor = (rows[-1][2], rows[-1][1]) if not budget else (cutoff, 0)
            cursors.update(dict.fromkeys(endpoint_ids, cursor))
        self._retention_save_cursors(
            {
                endpoint_id: cursor
                for endpoint_id, cursor in cursors.items()
                if cursor != saved.get(endpoint_id)
            }
        )
        self.env.invalidate_all()
        _logger.info("Interop retention: %s pruned, %s deleted", pruned, deleted)
        remaining = sum(1 for cursor in cursors.values() if not cursor or cursor[1])
        self.env["ir.cron"]._notify_progress(done=pruned + deleted, remaining=remaining)
        return pruned, deleted

    @api.model
    def _retention_cursors(self):
        """{endpoint id: (date received, message id)} where the retention walk is.

        Message id 0: the walk of the endpoint is over, up to that date.
        """
        self.env.cr.execute(
            "SELECT id, date_retention_cursor, retention_cursor_message"
            " FROM interop_endpoint WHERE date_retention_cursor IS NOT NULL"
        )
        return {row[0]: (row[1], row[2] or 0) for row in self.env.cr.fetchall()}

    @api.model
    def _retention_save_cursors(self, cursors):
        for endpoint_id, cursor in cursors.items():
            date, message_id = cursor or (None, None)
            # not through the ORM: no tracking, no change request, no write date
            self.env.cr.execute(
                SQL(
                    "UPDATE interop_endpoint SET date_retention_cursor = %s,"
                    " retention_cursor_message = %s WHERE id = %s",
                    date,
                    message_id,
                    endpoint_id,
                )
            )

    @api.model
    def _retention_read(self, endpoint_ids, cutoff, cursor, limit, grace_limit):
        """The next ``limit`` messages of the walk, without locks: ``(ctid, id, date
        received, is prunable, is deletable)``, in the order of the table."""
        after = SQL("TRUE")
        if cursor:
            # the first condition lets the index start at the cursor
            after = SQL(
                "m.date_received >= %s AND (m.date_received, m.id) > (%s, %s)",
                cursor[0],
                *cursor,
            )
        self.env.cr.execute(
            SQL(
                """
                SELECT m.ctid, m.id, m.date_received,
                       m.is_payload_pruned IS NOT TRUE AND m.state IN %(final)s,
                       m.is_payload_pruned AND m.date_pruned < %(grace_limit)s
                  FROM interop_message m
                 WHERE m.endpoint_id = ANY(%(endpoints)s)
                   AND m.date_received < %(cutoff)s AND %(after)s
                 ORDER BY m.date_received, m.id
                 LIMIT %(limit)s
                """,
                final=FINAL_STATES,
                grace_limit=grace_limit,
                endpoints=endpoint_ids,
                cutoff=cutoff,
                after=after,
                limit=limit,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _retention_unresolved(self):
        return SQL(
            "EXISTS (SELECT 1 FROM interop_exception e WHERE e.message_id = m.id"
            " AND e.state IN ('open', 'in_progress'))"
        )

    @api.model
    def _retention_prune(self, tids, now):
        """Prune the content of the rows ``tids`` (ctids read in this transaction)
        that still may be; their count."""
        if not tids:
            return 0
        # Rows by their place in the table, read a moment ago (measured: half the
        # time of looking their ids up in the primary key); the conditions again,
        # under the lock, as they may have changed since the read.
        self.env.cr.execute(
            SQL(
                """
                WITH batch AS (
                    SELECT m.ctid AS tid FROM interop_message m
                     WHERE m.ctid = ANY(%(tids)s::tid[])
                       AND m.is_payload_pruned IS NOT TRUE
                       AND m.state IN %(final)s
                       AND NOT %(unresolved)s
                       FOR NO KEY UPDATE SKIP LOCKED
                )
                UPDATE interop_message m
                   SET payload_enc = NULL, is_payload_pruned = TRUE,
                       date_pruned = %(now)s, active = FALSE
                  FROM batch WHERE m.ctid = batch.tid
             RETURNING m.id
                """,
                tids=tids,
                final=FINAL_STATES,
                unresolved=self._retention_unresolved(),
                now=now,
            )
        )
        message_ids = [row[0] for row in self.env.cr.fetchall()]
        self._retention_prune_related(message_ids)
        return len(message_ids)

    @api.model
    def _retention_prune_related(self, message_ids):
        """Prune what other tables keep of the content of ``message_ids``.

        A hook: called in the transaction that has just pruned these messages, by
        SQL. A module that stores more of a message (an answer, a copy) extends it
        with SQL of its own and calls ``super()``; the core stores nothing else.
        """

    @api.model
    def _retention_delete(self, ids):
        """Delete the rows ``ids`` pruned before the grace limit; their count."""
        if not ids:
            return 0
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT m.id FROM interop_message m
                 WHERE m.id = ANY(%(ids)s) AND m.is_payload_pruned
                   AND NOT %(unresolved)s
                   FOR UPDATE SKIP LOCKED
                """,
                ids=ids,
                unresolved=self._retention_unresolved(),
            )
        )
        ids = [row[0] for row in cr.fetchall()]
        if ids:
            # their exceptions are resolved or dismissed; attempts and links cascade
            cr.execute(
                SQL("DELETE FROM interop_exception WHERE message_id = ANY(%s)", ids)
            )
            cr.execute(
                SQL(
                    "UPDATE interop_message SET parent_id = NULL"
                    " WHERE parent_id = ANY(%s)",
                    ids,
                )
            )
            cr.execute(SQL("DELETE FROM interop_message WHERE id = ANY(%s)", ids))
        return len(ids)
