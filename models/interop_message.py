# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import uuid

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, create_index

from ..errors import PayloadValidationError

# importers of these names find them here too, as before they moved
from ..message_state import (  # noqa: F401 # pylint: disable=unused-import
    CANCELLED,
    DONE,
    FAILED,
    FINAL_STATES,
    HELD,
    PROCESSING,
    QUEUED,
    RECEIVED,
    REJECTED,
    STATES,
    TRANSITIONS,
    VALIDATED,
)
from .interop_event_type import dumps_deep, loads_deep
from .interop_message_intake import Intake  # noqa: F401 # pylint: disable=unused-import

# importers of these names find them here too, as before they moved
from .interop_message_processing import (  # noqa: F401 # pylint: disable=unused-import
    _quiet_handler_sql_errors,
    install_sql_log_filter,
)

#: in the context of a PHI reader's read: the payload is shown unmasked (and the view
#: recorded). Other users still see it masked, whatever their context says.
REVEAL_KEY = "interop_reveal_payload"

# Percentage of each page filled by inserts: the rest holds the pruned versions of its
# rows (about a sixth of a row with a 1 KB payload), so pruning updates in place.
FILLFACTOR = 80


class InteropMessage(models.Model):
    """One message in or out: what it was, where it went, and what became of it.

    Rows are written only by the methods of this model (the ACL gives nobody write,
    create or unlink): the log is the evidence of every exchange.
    """

    _name = "interop.message"
    _inherit = ["interop.message.intake", "interop.message.processing"]
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
    # who replayed it, while the jobs have it: its attempt names them, and they hear
    # when it is through (see _notify_retry_finished)
    retry_user_id = fields.Many2one(
        "res.users", string="Retry Requested By", readonly=True
    )

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

    # Processing

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
        # what the jobs process: who asked hears when it is through
        replayable.filtered(lambda m: m.state in (QUEUED, PROCESSING)).sudo().write(
            {"retry_user_id": self.env.uid}
        )
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

    def _notify_retry_finished(self):
        """The jobs processed these messages (their attempt ended): whoever replayed
        them is told, on screen, once the last message of their retry is through —
        one notification per exception retried (or for the messages replayed alone),
        which also refreshes the exception or message they are looking at."""
        requested = self.sudo().filtered("retry_user_id")
        if not requested:
            return
        by_user = {}
        for message in requested:
            by_user[message.retry_user_id] = (
                by_user.get(message.retry_user_id, requested.browse()) | message
            )
        requested.write({"retry_user_id": False})
        for user, messages in by_user.items():
            messages.with_context(lang=user.lang)._send_retry_finished(user)

    def _send_retry_finished(self, user):
        """:meth:`_notify_retry_finished` for the messages ``user`` replayed."""
        pending = [
            ("retry_user_id", "=", user.id),
            ("state", "in", (QUEUED, PROCESSING)),
        ]
        for exception in self.exception_ids:
            if self.search_count(
                pending + [("exception_ids", "in", exception.id)], limit=1
            ):
                continue  # the retry of this exception is not through yet
            failed = exception.affected_message_ids.filtered(
                lambda m: m.state == FAILED
            )
            name = exception.name[:80]
            if failed:
                notice_type = "warning"
                text = self.env._(
                    "%(exception)s: %(count)s message(s) failed again. The exception "
                    "says what failed.",
                    exception=name,
                    count=len(failed),
                )
            else:
                notice_type = "success"
                text = self.env._(
                    "%(exception)s: every message went through; the exception is "
                    "resolved.",
                    exception=name,
                )
            user._bus_send(
                "interop_retry_finished",
                {
                    "title": self.env._("Retry finished"),
                    "message": text,
                    "type": notice_type,
                    "res_model": "interop.exception",
                    "res_ids": exception.ids,
                },
            )
        alone = self.filtered(lambda m: not m.exception_ids)
        if alone and not self.search_count(pending, limit=1):
            failed = alone.filtered(lambda m: m.state == FAILED)
            user._bus_send(
                "interop_retry_finished",
                {
                    "title": self.env._("Replay finished"),
                    "message": self.env._(
                        "%(count)s replayed message(s) processed, %(failed)s failed "
                        "again.",
                        count=len(alone),
                        failed=len(failed),
                    ),
                    "type": "warning" if failed else "success",
                    "res_model": "interop.message",
                    "res_ids": alone.ids,
                },
            )
