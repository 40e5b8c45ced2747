# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

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


STATE_DRAFT = "draft"
STATE_ACTIVE = "active"
STATE_SUSPENDED = "suspended"
STATE_RETIRED = "retired"

# The lifecycle: which state may follow which. Retired is final.
STATE_TRANSITIONS = {
    STATE_DRAFT: {STATE_ACTIVE, STATE_RETIRED},
    STATE_ACTIVE: {STATE_SUSPENDED, STATE_RETIRED},
    STATE_SUSPENDED: {STATE_ACTIVE, STATE_RETIRED},
    STATE_RETIRED: set(),
}

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
}

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
    _inherit = ["mail.thread", "mail.activity.mixin"]
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
        group_expand="_read_group_expand_full",
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
        domain="[('share', '=', False)]",
        help="Answers for the business outcome: receives this endpoint's exceptions.",
    )
    team_id = fields.Many2one(
        "interop.team",
        string="Owning Team",
        tracking=True,
        check_company=True,
    )
    technical_owner_id = fields.Many2one(
        "res.users",
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
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
        return super().create(vals_list)

    def write(self, vals):
        if "state" in vals:
            self._check_state_transition(vals["state"])
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
        return super().write(vals)

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

    def _check_state_transition(self, new_state):
        labels = dict(self._fields["state"]._description_selection(self.env))
        for endpoint in self:
            if new_state == endpoint.state:
                continue
            if new_state not in STATE_TRANSITIONS.get(endpoint.state, ()):
                raise UserError(
                    self.env._(
                        "%(endpoint)s cannot go from %(from)s to %(to)s.",
                        endpoint=endpoint.display_name,
                        **{
                            "from": labels.get(endpoint.state),
                            "to": labels.get(new_state, new_state),
                        },
                    )
                )
            if new_state == STATE_ACTIVE:
                endpoint._check_ready_for_activation()

    def _check_ready_for_activation(self):
        self.ensure_one()
        missing = []
        if not self.business_owner_id:
            missing.append(self.env._("a business owner"))
        if not self.technical_owner_id:
            missing.append(self.env._("a technical owner"))
        if self.direction in ("outbound", "both") and not self.base_url:
            missing.append(self.env._("a base URL (it sends data out)"))
        if missing:
            raise UserError(
                self.env._(
                    "%(endpoint)s cannot be activated without %(missing)s.",
                    endpoint=self.display_name,
                    missing=", ".join(missing),
                )
            )

    def action_activate(self):
        now = fields.Datetime.now()
        for endpoint in self:
            vals = {"state": STATE_ACTIVE}
            if not endpoint.date_activated:
                vals["date_activated"] = now
            endpoint.write(vals)
        return True

    def action_suspend(self):
        self.write({"state": STATE_SUSPENDED})
        return True

    def action_retire(self):
        self.write({"state": STATE_RETIRED, "date_retired": fields.Datetime.now()})
        return True

    def _check_can_exchange(self):
        """Raise unless each endpoint of ``self`` is active: only those exchange."""
        inactive = self.filtered(lambda e: e.state != STATE_ACTIVE)
        if inactive:
            raise UserError(
                self.env._(
                    "%(endpoints)s is not active: only active endpoints exchange data.",
                    endpoints=", ".join(inactive.mapped("display_name")),
                )
            )
        return True
