# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import json
import logging
import threading
import time
import traceback
import uuid
from collections import namedtuple
from contextlib import contextmanager

from psycopg2 import OperationalError

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, create_index

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.addons.queue_job.utils import must_run_without_delay

from ..errors import (
    InteropProcessingError,
    MessageHeld,
    PayloadValidationError,
    TransportError,
)
from .interop_event_type import dumps_deep, loads_deep

#: in the context of a PHI reader's read: the payload is shown unmasked (and the view
#: recorded). Other users still see it masked, whatever their context says.
REVEAL_KEY = "interop_reveal_payload"

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
#: waiting for a time a timing rule set (see interop_message_hold.py)
HELD = "held"

STATES = [
    (RECEIVED, "Received"),
    (VALIDATED, "Validated"),
    (QUEUED, "Queued"),
    (PROCESSING, "Processing"),
    (HELD, "Held"),
    (DONE, "Done"),
    (REJECTED, "Rejected"),
    (FAILED, "Failed"),
    (CANCELLED, "Cancelled"),
]

# The only moves a message can make. processing -> queued is a transient fault being
# retried; failed -> queued is a replay; held -> queued is a release when due.
TRANSITIONS = {
    RECEIVED: {VALIDATED, REJECTED, CANCELLED},
    VALIDATED: {QUEUED, PROCESSING, CANCELLED},
    QUEUED: {PROCESSING, CANCELLED},
    PROCESSING: {DONE, FAILED, QUEUED, HELD},
    HELD: {QUEUED, CANCELLED},
    FAILED: {QUEUED, CANCELLED},
    REJECTED: {CANCELLED},
    DONE: set(),
    CANCELLED: set(),
}
FINAL_STATES = (DONE, REJECTED, FAILED, CANCELLED)
#: what :meth:`InteropMessage._intake` stored: the message's id, its correlation
#: id, its state (queued or rejected), whether a pending drain takes it
Intake = namedtuple("Intake", "id correlation_id state drain_pending")

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

    @api.depends_context("uid", REVEAL_KEY)
    def _compute_payload_display(self):
        # masked first, for everyone: PHI readers see the values only when they ask
        # for them (Reveal), and each time they do is recorded
        can_see_phi = self.env.context.get(REVEAL_KEY) and self.env.user.has_group(
            "interop.group_interop_phi"
        )
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

    def action_reveal_payload(self):
        """Show the payload unmasked, to PHI readers only; the view is recorded."""
        self.ensure_one()
        self.check_access("read")
        if not self.env.user.has_group("interop.group_interop_phi"):
            raise AccessError(
                self.env._(
                    "Only users with PHI Access see a payload unmasked; ask a "
                    "colleague who has it, or your Interop manager."
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Payload of %(name)s", name=self.display_name),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [
                (self.env.ref("interop.interop_message_view_form_payload").id, "form")
            ],
            "target": "new",
            "context": {REVEAL_KEY: True},
        }

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
        skip_duplicate=True,
        **extra_vals,
    ):
        """Store a valid inbound message straight in the queued state, in one
        statement; return ``(id, correlation id, drain pending)``, or None when the
        endpoint already sent a message with this idempotency key (the row is not
        inserted; with ``skip_duplicate`` False the database refuses it instead).
        *drain pending*: whether a job that has not started yet will take the
        message (the same statement looks, see ``interop.message.dispatch``).

        The same row as :meth:`_log_message` then :meth:`_validate` and
        :meth:`_set_state` would write, without their three statements and the ORM's
        bookkeeping: the columns and their defaults come from the model (its fields,
        their defaults, ``ir.default``), so a field another module adds with a
        default is written too, and a stored computed field is computed (flushed
        with the transaction's other writes). The caller dispatches the message
        (:meth:`_dispatch_new`).
        """
        # sudo, in the message's company: the user defaults (ir.default) of the
        # caller, without a query to check the company
        vals = (
            self.sudo()
            .with_company(company_id)
            ._add_missing_default_values(
                {
                    **extra_vals,
                    "direction": "inbound",
                    "endpoint_id": endpoint_id,
                    "company_id": company_id,
                    "event_type_id": event_type_id,
                    "event_version": event_version,
                    "state": QUEUED,
                    "business_key": business_key or False,
                    "idempotency_key": idempotency_key or False,
                    **self._prepare_payload_vals(body),
                }
            )
        )
        now = fields.Datetime.now()
        vals.update(create_uid=self.env.uid, write_uid=self.env.uid)
        vals.update(create_date=now, write_date=now)
        columns, values, later = [], [], {}
        for name, value in vals.items():
            field = self._fields[name]
            if field.store and field.column_type:
                columns.append(SQL.identifier(name))
                values.append(field.convert_to_column_insert(value, self, vals))
            elif value:
                later[name] = value  # a many2many default, say: through the ORM
        self.env.cr.execute(
            SQL(
                """
                WITH inserted AS (
                INSERT INTO interop_message (%(columns)s) VALUES (%(values)s)
                %(on_conflict)s
                RETURNING id
                )
                SELECT inserted.id, %(drain_pending)s FROM inserted
                """,
                columns=SQL(", ").join(columns),
                values=SQL(", ").join(SQL("%s", value) for value in values),
                on_conflict=SQL(
                    "ON CONFLICT ON CONSTRAINT interop_message_idempotency_uniq"
                    " DO NOTHING"
                )
                if skip_duplicate
                else SQL(),
                drain_pending=self.env["interop.message.dispatch"]._drain_pending_sql(
                    self.env["interop.event.type"].browse(event_type_id)
                ),
            ),
            # a concurrent duplicate is expected: the caller answers it, and the
            # failed statement would quote its values (business, idempotency keys)
            log_exceptions=not skip_duplicate,
        )
        row = self.env.cr.fetchone()
        if not row:
            return None
        message = self.browse(row[0])
        for field in self._intake_computed_fields():
            if field.name not in vals:
                self.env.add_to_compute(field, message)
        if later:
            message.sudo().write(later)
        return row[0], vals["correlation_id"], row[1]

    @api.model
    def _intake_computed_fields(self):
        """The stored computed fields of the model (:meth:`_log_queued` has them
        computed unless it writes them)."""
        return [
            field for field in self._fields.values() if field.store and field.compute
        ]

    @api.model
    def _intake(
        self,
        endpoint,
        event_type,
        body,
        payload,
        violations=None,
        skip_duplicate=True,
        **vals,
    ):
        """The one way an inbound message enters the log: the gateway's and the
        server's (:meth:`_receive`, ``interop.endpoint._receive_event``).

        ``endpoint`` and ``event_type``: records, or the gateway's profiles of them
        (their ``id``, ``company_id``, ``version``); ``body``: the raw payload (bytes
        or str), ``payload``: it parsed; ``violations``: what its contract finds
        wrong in it (None: checked here); ``vals``: more values of the message
        (``idempotency_key``, ``business_key``, ...).

        A payload that breaks its contract is stored rejected with these violations,
        and does not take the idempotency key (the sender corrects it and sends it
        again with the same key). A valid one is stored queued in one statement
        (:meth:`_log_queued`) and dispatched.

        Returns an :data:`Intake`, or None when the endpoint already sent a message
        with this idempotency key (nothing stored; with ``skip_duplicate`` False
        the database refuses it).
        """
        if violations is None:
            violations = event_type._validate_payload(payload)
        if violations:
            vals.pop("idempotency_key", None)
            message = self._log_message(endpoint, event_type, body, **vals)
            message._reject(violations)
            return Intake(message.id, message.correlation_id, REJECTED, False)
        company = endpoint.company_id
        logged = self._log_queued(
            endpoint.id,
            company.id if isinstance(company, models.BaseModel) else company,
            event_type.id,
            event_type.version,
            body,
            skip_duplicate=skip_duplicate,
            **vals,
        )
        if logged is None:
            return None
        message_id, correlation_id, drain_pending = logged
        # sudo: the job runs the message's own steps; its handler runs as the
        # service user (_call_handler)
        self.sudo()._dispatch_new(
            self.env["interop.event.type"].sudo().browse(event_type.id),
            message_id,
            drain_pending=drain_pending,
        )
        return Intake(message_id, correlation_id, QUEUED, drain_pending)

    @api.model
    def _receive(self, endpoint, event_type, payload, **extra_vals):
        """Log an inbound ``payload`` (parsed JSON), validate it, and queue it
        (:meth:`_intake`).

        Returns the message: queued when valid, rejected (with the reasons) when not.
        """
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        extra_vals.setdefault("business_key", event_type._extract_business_key(payload))
        extra_vals.setdefault(
            "idempotency_key", event_type._extract_idempotency_key(payload)
        )
        intake = self._intake(
            endpoint, event_type, body, payload, skip_duplicate=False, **extra_vals
        )
        return self.browse(intake.id)

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
                message._reject(violations)
            else:
                message._set_state(VALIDATED)
            payload = None
        return self.filtered(lambda m: m.state == VALIDATED)

    def _reject(self, violations):
        """Reject the message for the ``violations`` of its contract already found;
        its endpoint's technical owner hears of it."""
        self.ensure_one()
        self._set_state(
            REJECTED,
            rejection_reasons="\n".join(violations),
            last_error=self.env._(
                "The payload does not match the contract of %(event)s "
                "(%(count)s violation(s)).",
                event=self.event_type_id.display_name,
                count=len(violations),
            ),
            date_finished=fields.Datetime.now(),
        )
        self._raise_rejection()

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
        return dispatch._ensure_drain(event_type, message_ids=[message_id])

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
        dispatch = self.env["interop.message.dispatch"]
        for event_type in at_once.event_type_id:
            messages = at_once.filtered(lambda m, et=event_type: m.event_type_id == et)
            dispatch._job_drain(event_type.id, message_ids=messages.ids)
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
