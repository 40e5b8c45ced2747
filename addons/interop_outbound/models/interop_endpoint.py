# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import uuid
from urllib.parse import urlsplit

import requests

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.interop.errors import TransportError
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact

from .interop_endpoint_breaker import BREAKER_CLOSED, BREAKER_HALF_OPEN, BREAKER_OPEN

#: seconds an outbound call may take, connecting and reading, unless the endpoint says
DEFAULT_TIMEOUT = 15
DEFAULT_CHANNEL = "root.interop.outbound"
USER_AGENT = "Odoo-Interop/18.0"

BREAKER_FIELDS = ["breaker_state", "breaker_failure_count", "breaker_date_opened"]

#: first key of the advisory lock that lets one drain job per endpoint run at a time
DRAIN_LOCK_CLASS = 7_316_848
#: seconds a drain job waits when another one is delivering the same backlog
DRAIN_BUSY_SECONDS = 10


class InteropEndpoint(models.Model):
    _name = "interop.endpoint"
    _inherit = ["interop.endpoint", "interop.endpoint.breaker"]

    outbound_timeout = fields.Integer(
        string="Timeout (s)",
        default=DEFAULT_TIMEOUT,
        tracking=True,
        help="Seconds an outbound call may take to connect, then to answer.",
    )
    outbound_max_attempts = fields.Integer(
        string="Delivery Attempts",
        default=6,
        tracking=True,
        help="Attempts of a message before it fails to the technical owner. "
        "Retries wait 30 s, 1 min, 2 min... (or what the remote asks with "
        "Retry-After).",
    )
    outbound_channel = fields.Char(
        string="Job Channel",
        default=DEFAULT_CHANNEL,
        required=True,
        tracking=True,
        help="queue_job channel of this endpoint's deliveries. Give a busy endpoint "
        "a sub-channel of its own (e.g. root.interop.outbound.payrail) and a "
        "capacity in the job runner's configuration.",
    )
    outbound_credential_id = fields.Many2one(
        "interop.credential",
        tracking=True,
        copy=False,  # a credential authenticates its own endpoint only
        check_company=True,
        domain="[('endpoint_id', '=', id), ('state', '=', 'active')]",
        groups="interop.group_interop_manager,interop.group_interop_auditor",
        help="The credential that authenticates deliveries to this endpoint.",
    )
    credential_ids = fields.One2many(
        "interop.credential",
        "endpoint_id",
        groups="interop.group_interop_manager,interop.group_interop_auditor",
    )
    breaker_state = fields.Selection(
        [
            (BREAKER_CLOSED, "Closed"),
            (BREAKER_OPEN, "Open"),
            (BREAKER_HALF_OPEN, "Half-Open"),
        ],
        string="Circuit Breaker",
        default=BREAKER_CLOSED,
        required=True,
        readonly=True,
        copy=False,
        help="Closed: deliveries go out. Open: the endpoint stopped answering; "
        "deliveries are held until the cool-down is over. Half-open: one delivery "
        "probes whether it answers again.",
    )
    breaker_failure_count = fields.Integer(
        string="Consecutive Failures", readonly=True, copy=False
    )
    breaker_date_opened = fields.Datetime(
        string="Circuit Opened On", readonly=True, copy=False
    )
    breaker_threshold = fields.Integer(
        string="Open After (failures)",
        default=5,
        tracking=True,
        help="Consecutive failed calls (no answer, timeout, 5xx) that open the "
        "circuit.",
    )
    breaker_cooldown = fields.Integer(
        string="Cool-down (s)",
        default=60,
        tracking=True,
        help="Seconds the circuit stays open before one delivery probes the endpoint.",
    )
    message_held_count = fields.Integer(
        string="Held", compute="_compute_message_held_count"
    )
    sync_ids = fields.One2many("interop.sync", "endpoint_id", string="Syncs")

    def _get_interop_governed_fields(self):
        # how, how long and with which secret Odoo calls a running endpoint
        return super()._get_interop_governed_fields() + (
            "outbound_timeout",
            "outbound_max_attempts",
            "outbound_credential_id",
            "breaker_threshold",
            "breaker_cooldown",
        )

    def write(self, vals):
        # the breaker moves in SQL (interop.endpoint.breaker), which logs its own
        # transitions; a write (Reset Breaker) is logged here
        previous = {}
        if "breaker_state" in vals:
            previous = {endpoint.id: endpoint.breaker_state for endpoint in self}
        result = super().write(vals)
        Transition = self.env["interop.breaker.transition"]
        for endpoint_id, state in previous.items():
            Transition._record(endpoint_id, state, vals["breaker_state"])
        return result

    def _interop_snapshot(self):
        # sudo: the snapshot (versions, change requests, which users read) holds the
        # id of the outbound credential, a field for managers and auditors only
        return super(InteropEndpoint, self.sudo())._interop_snapshot()

    @api.constrains("outbound_credential_id")
    def _check_outbound_credential(self):
        # sudo: the constraint holds whoever writes (the field is for managers)
        for endpoint in self.sudo():
            credential = endpoint.outbound_credential_id
            if credential and credential.endpoint_id != endpoint:
                raise ValidationError(
                    self.env._(
                        "Credential %(credential)s belongs to %(owner)s: %(endpoint)s "
                        "is authenticated only with a credential of its own.",
                        credential=credential.name,
                        owner=credential.endpoint_id.display_name,
                        endpoint=endpoint.display_name,
                    )
                )

    @api.constrains(
        "outbound_timeout",
        "outbound_max_attempts",
        "breaker_threshold",
        "breaker_cooldown",
    )
    def _check_outbound_settings(self):
        for endpoint in self:
            if (
                min(
                    endpoint.outbound_timeout,
                    endpoint.outbound_max_attempts,
                    endpoint.breaker_threshold,
                    endpoint.breaker_cooldown,
                )
                < 1
            ):
                raise ValidationError(
                    self.env._(
                        "The timeout, delivery attempts, breaker threshold and "
                        "cool-down of %(endpoint)s must be at least 1.",
                        endpoint=endpoint.display_name,
                    )
                )

    def _held_domain(self):
        return [
            ("endpoint_id", "in", self.ids),
            ("direction", "=", "outbound"),
            ("state", "=", "queued"),
            ("date_held", "!=", False),
        ]

    def _has_held_messages(self):
        return bool(
            self.env["interop.message"]
            .sudo()
            .search_count(self._held_domain(), limit=1)
        )

    def _compute_message_held_count(self):
        counts = dict(
            self.env["interop.message"]
            .sudo()
            ._read_group(self._held_domain(), ["endpoint_id"], ["__count"])
        )
        for endpoint in self:
            endpoint.message_held_count = counts.get(endpoint, 0)

    def action_view_messages_held(self):
        return self._action_messages(
            [
                ("direction", "=", "outbound"),
                ("state", "=", "queued"),
                ("date_held", "!=", False),
            ],
            self.env._("Held"),
        )

    def action_view_breaker_transitions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Breaker History of %(name)s", name=self.name),
            "res_model": "interop.breaker.transition",
            "view_mode": "list",
            "domain": [("endpoint_id", "=", self.id)],
            "context": {"create": False},
        }

    def _on_state_change(self, previous_state):
        result = super()._on_state_change(previous_state)
        # deliveries held while the endpoint was suspended go out again, in order
        if self.state == "active" and self._has_held_messages():
            self._ensure_held_delivery()
        return result

    # Sending

    def _send(self, event_type, payload, parent=None, path=None, **extra_vals):
        """Log ``payload`` as an outbound message and queue its delivery.

        :param event_type: the contract of the payload (validated before sending),
            or None
        :param payload: JSON-serialisable object (or the raw body, str/bytes)
        :param parent: the message this one derives from: its correlation id is
            carried over
        :param path: path under the endpoint's base URL to POST to
        :return: the message, queued (or rejected when the payload breaks the
            contract)
        """
        self.ensure_one()
        self._check_can_exchange()
        if self.direction == "inbound":
            raise UserError(
                self.env._(
                    "%(endpoint)s only sends data to Odoo: nothing is sent to it.",
                    endpoint=self.display_name,
                )
            )
        vals = {
            "http_method": "POST",
            "outbound_path": path or False,
            # sent as Idempotency-Key: the remote recognises a message sent twice
            "idempotency_key": str(uuid.uuid4()),
        }
        if parent:
            vals.update(correlation_id=parent.correlation_id, parent_id=parent.id)
        if event_type and isinstance(payload, dict):
            vals["business_key"] = event_type._extract_business_key(payload)
        vals.update(extra_vals)
        message = self.env["interop.message"]._log_message(
            self, event_type, payload, direction="outbound", **vals
        )
        message._validate(payload if isinstance(payload, dict | list) else None)
        if message.state == "validated":
            message._enqueue()
        return message

    def _outbound_url(self, path=None):
        self.ensure_one()
        base = (self.base_url or "").rstrip("/")
        if not path:
            return base
        return f"{base}/{path.lstrip('/')}"

    def _check_outbound_allowed(self, url):
        """The last guard, right before a request leaves Odoo for this endpoint."""
        self.ensure_one()
        owner = self.technical_owner_id or None
        if self.state != "active":
            raise TransportError(
                self.env._(
                    "%(endpoint)s is not active: only active endpoints exchange data.",
                    endpoint=self.display_name,
                ),
                suggested_action=self.env._("Activate the endpoint, then retry."),
                owner=owner,
            )
        database = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("interop.database_environment", "development")
        )
        if self.environment == "production" and database != "production":
            raise TransportError(
                self.env._(
                    "This database is %(database)s: it never calls production "
                    "endpoints (%(endpoint)s).",
                    database=database,
                    endpoint=self.display_name,
                ),
                suggested_action=self.env._(
                    "Point a non-production copy at the endpoint's test system, or "
                    "send from the production database."
                ),
                owner=owner,
            )
        scheme = urlsplit(url or "").scheme
        if scheme not in ("http", "https") or (
            self.environment == "production" and scheme != "https"
        ):
            raise TransportError(
                self.env._(
                    "%(endpoint)s: calls to production endpoints use https only, "
                    "and every call needs an http(s) URL.",
                    endpoint=self.display_name,
                ),
                suggested_action=self.env._("Correct the URL, then retry."),
                owner=owner,
            )

    def _http_request(self, method, url, **kwargs):
        """One HTTP request for this endpoint, after the last guard.

        TLS certificates are always verified, redirects are never followed (they
        could lead a credential elsewhere) and every call has the endpoint's
        timeout. Raises what ``requests`` raises.
        """
        self._check_outbound_allowed(url)
        headers = {"User-Agent": USER_AGENT, **(kwargs.pop("headers", None) or {})}
        return requests.request(
            method,
            url,
            headers=headers,
            timeout=self.outbound_timeout or DEFAULT_TIMEOUT,
            verify=True,
            allow_redirects=False,
            **kwargs,
        )

    # Circuit breaker

    # Held deliveries

    def _must_hold_deliveries(self, message):
        """Whether ``message`` must wait: the circuit is not closed, the endpoint is
        suspended, or older held messages go first."""
        self.ensure_one()
        if self.state == "suspended" or self.breaker_state != BREAKER_CLOSED:
            return True
        return bool(
            self.env["interop.message"]
            .sudo()
            .search_count(self._held_domain() + [("id", "!=", message.id)], limit=1)
        )

    def _ensure_held_delivery(self, eta=None):
        """Queue the job that delivers the held messages (one per endpoint)."""
        self.ensure_one()
        return (
            self.sudo()
            .with_delay(
                channel=self.outbound_channel,
                identity_key=identity_exact,
                max_retries=0,  # an outage is waited out: the backlog is never lost
                eta=eta or None,
                description=self.env._(
                    "Deliver the held messages of %(endpoint)s, oldest first",
                    endpoint=self.display_name,
                ),
            )
            ._job_deliver_held()
        )

    def _next_held_message(self):
        self.env["interop.message"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM interop_message
                 WHERE endpoint_id = %s AND direction = 'outbound'
                   AND state = 'queued' AND date_held IS NOT NULL
              ORDER BY id
                 LIMIT 1
                   FOR NO KEY UPDATE SKIP LOCKED
                """,
                self.id,
            )
        )
        row = self.env.cr.fetchone()
        Message = self.env["interop.message"].sudo()
        if not row:
            return Message
        message = Message.browse(row[0])
        message.invalidate_recordset()
        return message

    def _job_deliver_held(self):
        """queue_job entry point: deliver the oldest held message, then the next.

        One message per job, so that each delivery commits on its own; the job
        queues its successor while held messages remain. While the circuit is
        open, the job waits for the cool-down without using up retries, then
        sends the oldest message as the probe.
        """
        self.ensure_one()
        # sudo: the message log is written by Interop itself, whoever queued it
        endpoint = self.sudo()
        cr = self.env.cr
        cr.execute(
            SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", DRAIN_LOCK_CLASS, self.id)
        )
        if not cr.fetchone()[0]:
            raise RetryableJobError(
                "Another job delivers the held messages of this endpoint",
                seconds=DRAIN_BUSY_SECONDS,
                ignore_retry=True,
            )
        endpoint.invalidate_recordset(BREAKER_FIELDS + ["state"])
        if endpoint.state != "active":
            return self.env._("Not delivered: the endpoint is not active.")
        remaining = endpoint._breaker_cooldown_remaining()
        if remaining:
            raise RetryableJobError(
                "Circuit open: waiting for the cool-down",
                seconds=remaining,
                ignore_retry=True,
            )
        message = endpoint._next_held_message()
        if not message:
            return self.env._("No held message.")
        if endpoint.breaker_state == BREAKER_OPEN:
            endpoint._breaker_try_half_open()
        outcome = message._deliver(draining=True)
        if endpoint._has_held_messages():
            endpoint._ensure_held_delivery()
        return outcome

    @api.model
    def _cron_drain_held(self, batch_size=100):
        """Make sure every active endpoint with held messages has its drain job."""
        groups = (
            self.env["interop.message"]
            .sudo()
            ._read_group(
                [
                    ("direction", "=", "outbound"),
                    ("state", "=", "queued"),
                    ("date_held", "!=", False),
                    ("endpoint_id.state", "=", "active"),
                ],
                ["endpoint_id"],
                ["__count"],
                limit=batch_size,
            )
        )
        for endpoint, _count in groups:
            endpoint._ensure_held_delivery(eta=endpoint._breaker_cooldown_remaining())
        self.env["ir.cron"]._notify_progress(done=len(groups), remaining=0)
        return len(groups)
