# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.interop.errors import BusinessRuleError, MessageHeld

#: the steps of the revenue cycle, in order: the vocabulary of the timing rules
STEPS = [
    ("intake", "Referral / Intake"),
    ("eligibility", "Eligibility"),
    ("scheduling", "Scheduling"),
    ("inventory", "Inventory Allocation"),
    ("completion", "Completion"),
    ("billing", "Billing Trigger"),
    ("payment", "Payment Posting"),
    ("reconciliation", "Reconciliation"),
]
SERVICE_DATE_WINDOW = "service_date_window"
BILL_AFTER_SERVICE = "bill_after_service"
PAYMENT_POSTED_INVOICE = "payment_posted_invoice"
ELIGIBILITY_BEFORE_BILLING = "eligibility_before_billing"
KINDS = [
    (SERVICE_DATE_WINDOW, "Service date not after now + tolerance"),
    (
        BILL_AFTER_SERVICE,
        "Invoice only after the completion is validated, not before the service date",
    ),
    (PAYMENT_POSTED_INVOICE, "Post a payment only for a posted invoice"),
    (ELIGIBILITY_BEFORE_BILLING, "Bill only once eligibility is confirmed"),
]
#: the step at which each kind is checked
KIND_STEPS = {
    SERVICE_DATE_WINDOW: "completion",
    BILL_AFTER_SERVICE: "billing",
    PAYMENT_POSTED_INVOICE: "payment",
    ELIGIBILITY_BEFORE_BILLING: "billing",
}
HOLD = "hold"
#: the longest tolerance or recheck delay (beyond year 9999, every check failed)
MAX_DELAY_HOURS = 366 * 24
EXCEPTION = "exception"


class InteropTimingRule(models.Model):
    """When a step of the revenue cycle may happen, as data.

    At each step (completion, billing trigger, payment posting...) the processing
    checks the active rules of the step; a message that breaks one either waits,
    *held* until the rule's release time and then checked again, or fails with an
    exception for the rule's owner (one per root cause).
    """

    _name = "interop.timing.rule"
    _description = "Timing Rule"
    _inherit = ["mail.thread", "interop.governed.mixin"]
    # archiving a rule in use lets early messages through as surely as editing it
    _interop_governed_activation = True
    _interop_governed_fields = (
        "active",
        "sequence",
        "company_id",
        "event_type_id",
        "kind",
        "action",
        "tolerance_hours",
        "recheck_minutes",
        "payer_id",
        "owner_id",
    )
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10, tracking=True)
    active = fields.Boolean(default=True, copy=False, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    event_type_id = fields.Many2one(
        "interop.event.type",
        tracking=True,
        domain=[("direction", "=", "inbound")],
        help="The event type the rule checks; every event type of the step when empty.",
    )
    kind = fields.Selection(KINDS, required=True, tracking=True)
    step = fields.Selection(
        STEPS,
        compute="_compute_step",
        store=True,
        help="The step of the revenue cycle at which the rule is checked.",
    )
    action = fields.Selection(
        [(HOLD, "Hold the message"), (EXCEPTION, "Raise an exception")],
        string="On Breach",
        required=True,
        default=HOLD,
        tracking=True,
        help="Hold: the message waits, then is checked again. Exception: the "
        "message fails and the rule's owner gets an exception.",
    )
    tolerance_hours = fields.Float(
        string="Tolerance (hours)",
        tracking=True,
        help="Service date window: how far in the future a service date may be.",
    )
    recheck_minutes = fields.Integer(
        string="Check Again After (minutes)",
        default=60,
        tracking=True,
        help="A message held for something that has no date (an invoice to post, an "
        "eligibility to confirm) is checked again after this delay.",
    )
    payer_id = fields.Many2one(
        "res.partner",
        tracking=True,
        help="Eligibility: the payer that requires it; every payer when empty.",
    )
    owner_id = fields.Many2one(
        "res.users",
        tracking=True,
        domain="[('share', '=', False)]",
        help="Who gets the exceptions of the rule; when empty, they are routed as "
        "any exception of the event type (routing rules, then its owner).",
    )
    note = fields.Text()

    _sql_constraints = [
        (
            "tolerance_positive",
            "CHECK(tolerance_hours >= 0)",
            "The tolerance of a timing rule cannot be negative.",
        ),
        (
            "recheck_positive",
            "CHECK(recheck_minutes > 0)",
            "A held message is checked again after at least one minute.",
        ),
    ]

    @api.depends("kind")
    def _compute_step(self):
        for rule in self:
            rule.step = KIND_STEPS.get(rule.kind)

    @api.constrains("tolerance_hours", "recheck_minutes")
    def _check_delays(self):
        for rule in self:
            if (
                rule.tolerance_hours > MAX_DELAY_HOURS
                or rule.recheck_minutes > MAX_DELAY_HOURS * 60
            ):
                raise ValidationError(
                    self.env._(
                        "The tolerance and the delay of timing rule %(rule)s are at "
                        "most a year.",
                        rule=rule.name,
                    )
                )

    @api.constrains("kind", "payer_id")
    def _check_payer(self):
        for rule in self:
            if rule.payer_id and rule.kind != ELIGIBILITY_BEFORE_BILLING:
                raise ValidationError(
                    self.env._(
                        "Timing rule %(rule)s names a payer: only eligibility rules "
                        "apply per payer.",
                        rule=rule.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_step_not_written(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        # the step is where the rule is checked: written apart from its kind, the
        # rule would never be checked again, as surely as archived
        self._check_step_not_written([vals])
        return super().write(vals)

    def _check_step_not_written(self, vals_list):
        if any("step" in vals for vals in vals_list):
            raise UserError(
                self.env._(
                    "The step at which a timing rule is checked follows from its "
                    "kind: change the kind instead."
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        if any(rule.active for rule in self):
            raise UserError(
                self.env._(
                    "A timing rule in use is archived through a change request "
                    "before it is deleted."
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_held_messages(self):
        # the messages it held name it (Held By Rule): deleting it would rewrite
        # the message log
        if self.ids and self.env["interop.message"].sudo().search_count(
            [("timing_rule_id", "in", self.ids)], limit=1
        ):
            raise UserError(
                self.env._(
                    "A timing rule that held messages stays archived: the messages "
                    "it held name it."
                )
            )

    def _interop_is_change_controlled(self):
        self.ensure_one()
        return self.active

    def action_request_activation(self):
        """Request Activation: the change request that puts this rule in effect."""
        return self._interop_request_activation()

    # Enforcement

    @api.model
    def _enforce(self, message, step, records=None, **facts):
        """Check the active rules of ``step`` for ``message``: hold it or fail it on
        the first rule it breaks (raises), else return.

        ``facts`` are what the step knows (service_date, validated, invoice_posted,
        payer, eligibility_confirmed); a rule whose facts the step does not give is
        not checked there.
        """
        message = message.sudo()
        # sudo: the service user processing the message may not read configuration
        rules = self.sudo().search(
            [
                ("step", "=", step),
                ("company_id", "=", message.company_id.id),
                ("event_type_id", "in", (False, message.event_type_id.id)),
            ]
        )
        now = fields.Datetime.now()
        for rule in rules:
            breach = rule._breach(message, now, facts)
            if breach:
                rule._act(message, now, *breach, records=records)
        return True

    def _breach(self, message, now, facts):
        """``(reason, release time or None)`` when the facts break the rule."""
        self.ensure_one()
        key = message.business_key or message.display_name
        if self.kind == SERVICE_DATE_WINDOW and facts.get("service_date"):
            limit = now + timedelta(hours=self.tolerance_hours)
            service_date = facts["service_date"]
            if service_date > limit:
                return (
                    self.env._(
                        "%(key)s has its service on %(date)s, more than %(hours)s "
                        "hour(s) from now (rule %(rule)s).",
                        key=key,
                        date=fields.Date.to_string(service_date.date()),
                        hours=self.tolerance_hours,
                        rule=self.name,
                    ),
                    service_date - timedelta(hours=self.tolerance_hours),
                )
        elif self.kind == BILL_AFTER_SERVICE and "validated" in facts:
            if not facts["validated"]:
                return (
                    self.env._(
                        "%(key)s is not validated: it is not invoiced yet (rule "
                        "%(rule)s).",
                        key=key,
                        rule=self.name,
                    ),
                    None,
                )
            service_date = facts.get("service_date")
            if service_date and service_date.date() > now.date():
                return (
                    self.env._(
                        "%(key)s is invoiced from its service date, %(date)s, not "
                        "before (rule %(rule)s).",
                        key=key,
                        date=fields.Date.to_string(service_date.date()),
                        rule=self.name,
                    ),
                    datetime.combine(service_date.date(), time.min),
                )
        elif self.kind == PAYMENT_POSTED_INVOICE and "invoice_posted" in facts:
            if not facts["invoice_posted"]:
                return (
                    self.env._(
                        "The payment of %(key)s waits for a posted invoice (rule "
                        "%(rule)s).",
                        key=key,
                        rule=self.name,
                    ),
                    None,
                )
        elif self.kind == ELIGIBILITY_BEFORE_BILLING and (
            "eligibility_confirmed" in facts
        ):
            payer = facts.get("payer")
            applies = not self.payer_id or (payer and payer.id == self.payer_id.id)
            if applies and not facts["eligibility_confirmed"]:
                return (
                    self.env._(
                        "%(key)s is billed once the payer confirms eligibility (rule "
                        "%(rule)s).",
                        key=key,
                        rule=self.name,
                    ),
                    None,
                )
        return None

    def _act(self, message, now, reason, release_at, records=None):
        """Hold ``message`` or raise the rule's exception (never returns)."""
        self.ensure_one()
        if self.action == HOLD:
            raise MessageHeld(
                reason,
                release_at=max(
                    release_at or now + timedelta(minutes=self.recheck_minutes), now
                ),
                rule=self,
            )
        raise BusinessRuleError(
            reason,
            suggested_action=self.env._(
                "Check the dates with the sending system and have it correct the "
                "message, or wait until the rule allows it; then retry."
            ),
            owner=self.owner_id or None,
            records=records or None,
        )
