# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

# importers of these names find them here too, as before they moved
from .interop_endpoint_lifecycle import (  # noqa: F401 # pylint: disable=unused-import
    STATE_ACTIVE,
    STATE_DRAFT,
    STATE_RETIRED,
    STATE_SUSPENDED,
    STATE_TRANSITIONS,
)
from .interop_owned_mixin import OWNER_DOMAIN

CODE_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def check_code_format(env, code, example):
    """Raise unless ``code`` is a lower-case slug, the form of Interop's codes."""
    if not CODE_PATTERN.match(code or ""):
        raise ValidationError(
            env._(
                "The code %(code)r is not valid: use lower-case letters and digits, "
                "separated by single hyphens or underscores (e.g. %(example)r).",
                code=code,
                example=example,
            )
        )


# Fields whose change is governed: tracked in the chatter, frozen once retired.
GOVERNED_FIELDS = {
    "code",
    "name",
    "system_kind",
    "direction",
    "base_url",
    "environment",
    "company_id",
    "business_owner_id",
    "team_id",
    "technical_owner_id",
    "data_classification",
    "description",
    "retention_days",
    "service_user_id",
}

# Written by the lifecycle and the retention walk only, never by a user's write.
LIFECYCLE_FIELDS = {
    "date_activated",
    "date_retired",
}

# A service user holds none of these: it processes messages, it is nobody's login to
# Odoo's settings nor to Interop's screens.
SERVICE_USER_FORBIDDEN_GROUPS = (
    "base.group_system",
    "base.group_erp_manager",
    "interop.group_interop_user",
    "interop.group_interop_auditor",
    "interop.group_interop_phi",
)

RETENTION_DEFAULTS = {"public": 365, "internal": 180, "confidential": 90, "phi": 30}

SYSTEM_KINDS = [
    ("scheduling", "Scheduling"),
    ("practice_management", "Practice Management"),
    ("claims", "Claims / Clearinghouse"),
    ("billing", "Billing"),
    ("payment_gateway", "Payment Gateway"),
    ("banking", "Banking"),
    ("crm", "CRM"),
    ("patient_engagement", "Patient Engagement"),
    ("ecommerce", "E-commerce"),
    ("logistics", "Logistics / 3PL"),
    ("warehouse", "Warehouse"),
    ("analytics", "Analytics"),
    ("other", "Other"),
]

ENVIRONMENTS = [
    ("development", "Development"),
    ("test", "Test"),
    ("staging", "Staging"),
    ("production", "Production"),
]

DATA_CLASSIFICATIONS = [
    ("public", "Public"),
    ("internal", "Internal"),
    ("confidential", "Confidential"),
    ("phi", "PHI"),
]


class InteropEndpoint(models.Model):
    """An external system the organisation exchanges data with, and its owners."""

    _name = "interop.endpoint"
    _description = "Connector Endpoint"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "interop.governed.mixin",
        "interop.owned.mixin",
        "interop.endpoint.lifecycle",
        "interop.endpoint.traffic",
    ]
    _interop_owner_field = "business_owner_id"
    # changes of an active endpoint need an approved change request
    _interop_governed_fields = (
        "name",
        "system_kind",
        "direction",
        "base_url",
        "environment",
        "data_classification",
        "business_owner_id",
        "technical_owner_id",
        "team_id",
        "service_user_id",
        "retention_days",
    )
    _order = "name, id"
    _rec_names_search = ["name", "code"]
    _check_company_auto = True

    code = fields.Char(
        required=True,
        tracking=True,
        copy=False,
        help="Lower-case slug used in URLs, e.g. 'scheduling-platform'. "
        "It cannot change once the endpoint has been activated.",
    )
    name = fields.Char(required=True, tracking=True)
    state = fields.Selection(
        [
            (STATE_DRAFT, "Draft"),
            (STATE_ACTIVE, "Active"),
            (STATE_SUSPENDED, "Suspended"),
            (STATE_RETIRED, "Retired"),
        ],
        default=STATE_DRAFT,
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
        group_expand=True,
        help="Only active endpoints exchange data; retired is final.",
    )
    system_kind = fields.Selection(
        SYSTEM_KINDS, required=True, default="other", tracking=True
    )
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound"), ("both", "Both")],
        required=True,
        default="inbound",
        tracking=True,
        help="Inbound: the system calls Odoo. Outbound: Odoo calls the system.",
    )
    base_url = fields.Char(
        string="Base URL",
        tracking=True,
        help="Root URL of the system's API. Must be https for production endpoints.",
    )
    environment = fields.Selection(
        ENVIRONMENTS, required=True, default="development", tracking=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
        tracking=True,
    )
    business_owner_id = fields.Many2one(
        "res.users",
        tracking=True,
        check_company=True,
        domain=OWNER_DOMAIN,
        help="Answers for the business outcome: receives this endpoint's exceptions.",
    )
    team_id = fields.Many2one(check_company=True)
    technical_owner_id = fields.Many2one(
        "res.users",
        tracking=True,
        check_company=True,
        domain=OWNER_DOMAIN,
        help="Answers for connectivity and credentials.",
    )
    data_classification = fields.Selection(
        DATA_CLASSIFICATIONS,
        required=True,
        default=lambda self: self._default_data_classification(),
        tracking=True,
        help="The most sensitive data this endpoint exchanges. PHI: protected health "
        "information.",
    )
    description = fields.Text(tracking=True)
    date_activated = fields.Datetime(
        string="First Activated On", readonly=True, copy=False
    )
    date_retired = fields.Datetime(string="Retired On", readonly=True, copy=False)
    color = fields.Integer(compute="_compute_color")
    service_user_id = fields.Many2one(
        "res.users",
        tracking=True,
        copy=False,
        check_company=True,
        help="The dedicated, least-privilege user that processes this endpoint's "
        "messages. Created on activation; give it only the groups its flows need. "
        "Only a settings administrator chooses another one.",
    )
    retention_days = fields.Integer(
        string="Retention Override (days)",
        tracking=True,
        help="Days the content of this endpoint's messages is kept. 0: the default "
        "of its data classification (Settings).",
    )
    retention_days_effective = fields.Integer(
        string="Content Kept (days)",
        compute="_compute_retention_days_effective",
        help="How long the content of this endpoint's messages is actually kept: "
        "its override, else the default of its data classification in Settings.",
    )
    retention_note = fields.Char(
        string="Retention Source", compute="_compute_retention_days_effective"
    )

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(company_id, code)",
            "An endpoint with this code already exists in this company.",
        ),
    ]

    @api.model
    def _default_data_classification(self):
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("interop.default_data_classification")
        )
        return value if value in dict(DATA_CLASSIFICATIONS) else "confidential"

    @api.depends("state")
    def _compute_color(self):
        colors = {
            STATE_DRAFT: 0,
            STATE_ACTIVE: 10,
            STATE_SUSPENDED: 2,
            STATE_RETIRED: 1,
        }
        for endpoint in self:
            endpoint.color = colors.get(endpoint.state, 0)

    @api.depends("retention_days", "data_classification")
    def _compute_retention_days_effective(self):
        labels = dict(DATA_CLASSIFICATIONS)
        for endpoint in self:
            if not endpoint.data_classification and not endpoint.retention_days:
                endpoint.retention_days_effective = 0
                endpoint.retention_note = False
                continue
            endpoint.retention_days_effective = endpoint._get_retention_days()
            endpoint.retention_note = (
                self.env._("this endpoint's override")
                if endpoint.retention_days
                else self.env._(
                    "default for %(classification)s data (Settings)",
                    classification=labels[endpoint.data_classification],
                )
            )

    @api.constrains("retention_days")
    def _check_retention_days(self):
        if any(endpoint.retention_days < 0 for endpoint in self):
            raise ValidationError(self.env._("Retention days cannot be negative."))

    @api.constrains("service_user_id")
    def _check_service_user(self):
        """A service user is a dedicated account: the service group, no person's
        groups, no administration, and the service user of this endpoint alone."""
        service_group = self.env.ref("interop.group_interop_service")
        forbidden = self.env["res.groups"]
        for xmlid in SERVICE_USER_FORBIDDEN_GROUPS:
            forbidden |= self.env.ref(xmlid, raise_if_not_found=False) or forbidden
        for endpoint in self.filtered("service_user_id"):
            user = endpoint.service_user_id.sudo()
            problem = None
            if user.share or service_group not in user.groups_id:
                problem = self.env._("it is not an Interop service account")
            elif user.groups_id & forbidden:
                problem = self.env._(
                    "it belongs to %(groups)s, which a service account never holds",
                    groups=", ".join((user.groups_id & forbidden).mapped("full_name")),
                )
            elif (
                self.sudo()
                .with_context(active_test=False)
                .search_count(
                    [("service_user_id", "=", user.id), ("id", "!=", endpoint.id)],
                    limit=1,
                )
            ):
                problem = self.env._("it already processes another endpoint's messages")
            if problem:
                raise ValidationError(
                    self.env._(
                        "%(user)s cannot be the service user of %(endpoint)s: "
                        "%(problem)s.",
                        user=user.display_name,
                        endpoint=endpoint.display_name,
                        problem=problem,
                    )
                )

    @api.constrains("code")
    def _check_code(self):
        for endpoint in self:
            check_code_format(self.env, endpoint.code, "scheduling-platform")

    @api.constrains("base_url", "environment")
    def _check_base_url(self):
        for endpoint in self.filtered("base_url"):
            parts = urlsplit(endpoint.base_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValidationError(
                    self.env._(
                        "The base URL of %(endpoint)s is not a valid http(s) URL.",
                        endpoint=endpoint.display_name,
                    )
                )
            if endpoint.environment == "production" and parts.scheme != "https":
                raise ValidationError(
                    self.env._(
                        "%(endpoint)s is a production endpoint: its base URL must use "
                        "https.",
                        endpoint=endpoint.display_name,
                    )
                )

    @api.depends("name", "code")
    def _compute_display_name(self):
        for endpoint in self:
            endpoint.display_name = (
                f"{endpoint.name} ({endpoint.code})" if endpoint.code else endpoint.name
            )

    def _creation_message(self):
        # the chatter's first line says what was registered, not "... created"
        self.ensure_one()
        return self.env._(
            "Endpoint registered (%(environment)s, %(classification)s data): it "
            "exchanges data once it is activated.",
            environment=dict(ENVIRONMENTS).get(self.environment, ""),
            classification=dict(DATA_CLASSIFICATIONS).get(self.data_classification, ""),
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # A new endpoint starts its lifecycle as a draft, whatever the caller says.
            if vals.get("state", STATE_DRAFT) != STATE_DRAFT:
                raise UserError(
                    self.env._(
                        "A new endpoint starts as a draft; activate it once it is "
                        "reviewed."
                    )
                )
            if vals.get("service_user_id"):
                self._check_can_choose_service_user()
            protected = LIFECYCLE_FIELDS.intersection(vals)
            if protected and not self.env.su:
                self._raise_lifecycle_field(protected)
        return super().create(vals_list)

    def write(self, vals):
        protected = LIFECYCLE_FIELDS.intersection(vals)
        if protected and not self.env.su:
            self._raise_lifecycle_field(protected)
        if "service_user_id" in vals and any(
            endpoint.service_user_id.id != (vals["service_user_id"] or False)
            for endpoint in self
        ):
            self._check_can_choose_service_user()
        previous_states = {}
        retiring = self.browse()
        if "state" in vals:
            self._check_state_transition(vals["state"])
            self._check_lifecycle_approval(vals["state"])
            previous_states = {endpoint: endpoint.state for endpoint in self}
            if vals["state"] == STATE_ACTIVE:
                self._prepare_activation()
            elif vals["state"] == STATE_RETIRED:
                retiring = self.filtered(lambda e: e.state != STATE_RETIRED)
                if not self._interop_applying():
                    # waiting messages would stay queued for ever: the Retire button
                    # asks why they may be cancelled
                    self.env["interop.endpoint.retire"]._check_retire_pending_messages(
                        retiring
                    )
                self._prepare_retirement()
        governed = GOVERNED_FIELDS.intersection(vals)
        if governed:
            retired = self.filtered(lambda e: e.state == STATE_RETIRED)
            if retired:
                raise UserError(
                    self.env._(
                        "%(endpoints)s is retired: its configuration can no longer "
                        "change.",
                        endpoints=", ".join(retired.mapped("display_name")),
                    )
                )
        if "code" in vals:
            frozen = self.filtered(
                lambda e: e.date_activated and e.code != vals["code"]
            )
            if frozen:
                raise UserError(
                    self.env._(
                        "The code of %(endpoints)s is used by partner systems in their "
                        "URLs: it cannot change once the endpoint has been activated.",
                        endpoints=", ".join(frozen.mapped("display_name")),
                    )
                )
        result = super().write(vals)
        for endpoint, previous_state in previous_states.items():
            if endpoint.state != previous_state:
                endpoint._on_state_change(previous_state)
        if retiring and self._interop_applying():
            # an approved retirement: the approver accepted that its waiting messages
            # end with it
            self.env["interop.endpoint.retire"]._cancel_pending(
                retiring,
                self.env.context.get("interop_change_reason")
                or self.env._("the retirement was approved"),
            )
        return result

    @api.model
    def _check_can_choose_service_user(self):
        """Only settings administrators choose a service user: its groups decide
        what every message of the endpoint may do."""
        if self.env.su or self.env.user.has_group("base.group_system"):
            return
        raise AccessError(
            self.env._(
                "Only a settings administrator chooses the service user of an "
                "endpoint: activation creates a dedicated one."
            )
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        used = self.filtered(lambda e: e.state != STATE_DRAFT or e.date_activated)
        if used:
            raise UserError(
                self.env._(
                    "%(endpoints)s has been active: retire it instead of deleting "
                    "it, so that its history is kept.",
                    endpoints=", ".join(used.mapped("display_name")),
                )
            )

    def _get_retention_days(self):
        """Days to keep message content: the endpoint's, else its classification's."""
        self.ensure_one()
        if self.retention_days:
            return self.retention_days
        default = RETENTION_DEFAULTS[self.data_classification]
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(f"interop.retention_days_{self.data_classification}")
        )
        return int(param) if param and param.isdigit() and int(param) > 0 else default

    def _receive_event(self, event_code, payload, **message_vals):
        """Log, validate and queue an inbound ``payload`` of event ``event_code``.

        For server-side producers (imports, demo data, tests); external systems go
        through the gateway, which authenticates them first.
        """
        self.ensure_one()
        self._check_can_exchange()
        event_type = self.env["interop.event.type"]._find(event_code)
        if not event_type:
            raise UserError(
                self.env._("No active inbound event type %(code)r.", code=event_code)
            )
        return self.env["interop.message"]._receive(
            self, event_type, payload, **message_vals
        )

    def _interop_is_change_controlled(self):
        """Governed in every state but draft: a suspended endpoint is edited through
        change requests too, or suspend, edit, re-activate would skip approval."""
        self.ensure_one()
        return self.state != STATE_DRAFT

    def _interop_snapshot(self):
        snapshot = super()._interop_snapshot()
        snapshot["state"] = self.state
        return snapshot
