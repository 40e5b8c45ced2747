# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from odoo.addons.interop.models.interop_flow_mixin import Hours

RECEIVED = "received"
VALIDATED = "validated"
BILLING_READY = "billing_ready"
INVOICED = "invoiced"
PAID = "paid"
RECONCILED = "reconciled"
CANCELLED = "cancelled"

STATES = [
    (RECEIVED, "Received"),
    (VALIDATED, "Validated"),
    (BILLING_READY, "Billing Ready"),
    (INVOICED, "Invoiced"),
    (PAID, "Paid"),
    (RECONCILED, "Reconciled"),
    (CANCELLED, "Cancelled"),
]
#: the milestone each state is reached with, in order
MILESTONES = [
    (RECEIVED, "date_received"),
    (VALIDATED, "date_validated"),
    (BILLING_READY, "date_billing_ready"),
    (INVOICED, "date_invoiced"),
    (PAID, "date_paid"),
    (RECONCILED, "date_reconciled"),
]
#: states a visit can be stuck in (not invoiced yet)
OPEN_STATES = (RECEIVED, VALIDATED, BILLING_READY)
PAID_STATES = ("paid", "in_payment")
STUCK_HOURS_PARAM = "interop_revenue.stuck_hours"
AUTO_POST_PARAM = "interop_revenue.invoice_auto_post"
OUTBOUND_EVENT = "visit.billing_updated"
ELIGIBILITY_STATES = [
    ("unknown", "Not Confirmed"),
    ("confirmed", "Confirmed"),
    ("denied", "Denied"),
]


class InteropVisit(models.Model):
    """A completed visit reported by a scheduling platform, on its way to cash.

    Its milestones say when it was received, validated, ready to bill, invoiced,
    paid and reconciled with the gateway's settlement; the lags between them show
    where the revenue cycle waits.
    """

    _name = "interop.visit"
    _description = "Visit"
    _inherit = ["mail.thread", "interop.flow.mixin"]
    _order = "date_received desc, id desc"
    _check_company_auto = True
    _interop_flow_open_states = OPEN_STATES
    _interop_flow_stuck_param = STUCK_HOURS_PARAM
    _interop_flow_lags = {
        "lag_validation_hours": ("date_received", "date_validated"),
        "lag_billing_hours": ("date_validated", "date_invoiced"),
        "lag_payment_hours": ("date_invoiced", "date_paid"),
        "lag_reconciliation_hours": ("date_paid", "date_reconciled"),
        "lag_total_hours": ("date_received", "date_paid"),
    }

    name = fields.Char(
        string="Visit ID",
        required=True,
        readonly=True,
        index=True,
        help="The visit (encounter) id of the scheduling platform.",
    )
    endpoint_id = fields.Many2one(
        "interop.endpoint", required=True, readonly=True, check_company=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    state = fields.Selection(
        STATES,
        string="Milestone",
        required=True,
        default=RECEIVED,
        readonly=True,
        tracking=True,
        group_expand=True,
        help="The last milestone the visit reached on its way to cash.",
    )
    partner_id = fields.Many2one(
        "res.partner", string="Responsible Party", readonly=True, tracking=True
    )
    payer_id = fields.Many2one("res.partner", readonly=True)
    plan_ref = fields.Char(string="Contract / Plan", readonly=True)
    pricelist_id = fields.Many2one(
        "product.pricelist", string="Contract Pricelist", readonly=True
    )
    currency_id = fields.Many2one(
        "res.currency",
        readonly=True,
        default=lambda self: self.env.company.currency_id,
    )
    location_code = fields.Char(readonly=True)
    location_value = fields.Char(
        string="Location",
        readonly=True,
        help="Where the visit took place, from the location code it was sent with.",
    )
    provider_ref = fields.Char(string="Performing Provider", readonly=True)
    date_completed = fields.Datetime(string="Completed On", readonly=True)
    eligibility_state = fields.Selection(
        ELIGIBILITY_STATES,
        string="Eligibility",
        default="unknown",
        required=True,
        readonly=True,
        tracking=True,
        help="Whether the payer confirmed the coverage of the visit (an eligibility "
        "message). Timing rules may hold billing until it is confirmed.",
    )
    eligibility_ref = fields.Char(
        string="Eligibility Reference",
        readonly=True,
        help="The payer's reference of its answer about the coverage of the visit.",
    )
    date_eligibility = fields.Datetime(string="Eligibility Checked", readonly=True)
    correlation_id = fields.Char(
        string="Trace ID",
        readonly=True,
        index="btree_not_null",
        help="One reference shared by everything that belongs to this visit: the "
        "completion received, its invoice, its payments and the statuses sent back.",
    )
    flow_message_id = fields.Many2one(
        "interop.message",
        string="First Message",
        readonly=True,
        ondelete="set null",
        help="The message that started the visit's flow.",
    )
    line_ids = fields.One2many("interop.visit.line", "visit_id", readonly=True)
    amount_total = fields.Monetary(compute="_compute_amounts", store=True)
    # Milestones: the first time the visit reached each one
    date_received = fields.Datetime(
        string="Received",
        readonly=True,
        help="When the completed visit reached Odoo from the scheduling system.",
    )
    date_validated = fields.Datetime(string="Validated", readonly=True)
    date_billing_ready = fields.Datetime(string="Billing Ready", readonly=True)
    date_invoiced = fields.Datetime(
        string="Invoiced", readonly=True, help="When the visit's invoice was posted."
    )
    date_paid = fields.Datetime(
        string="Paid", readonly=True, help="When the visit's invoice was paid in full."
    )
    date_reconciled = fields.Datetime(string="Reconciled", readonly=True)
    date_cancelled = fields.Datetime(
        string="Cancelled",
        readonly=True,
        help="When the visit was cancelled (its invoice, if any, is credited).",
    )
    lag_validation_hours = Hours(
        string="Received → Validated (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from receiving the visit to validating it (mapped, priced).",
    )
    lag_billing_hours = Hours(
        string="Validated → Invoiced (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from validation to the invoice.",
    )
    lag_payment_hours = Hours(
        string="Invoiced → Paid (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from the invoice to its payment.",
    )
    lag_reconciliation_hours = Hours(
        string="Paid → Reconciled (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from payment to the gateway's settlement.",
    )
    lag_total_hours = Hours(
        string="Received → Paid (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from receiving the visit to its payment.",
    )
    is_stuck = fields.Boolean(
        help="Completed but not invoiced for longer than the configured delay.",
    )
    # Accounting documents, for the users who may read them
    invoice_id = fields.Many2one(
        "account.move",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice",
        help="The customer invoice that bills this visit.",
    )
    invoice_ids = fields.Many2many(
        "account.move",
        string="Invoices and Credit Notes",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice",
    )
    invoice_name = fields.Char(related="invoice_id.name", string="Invoice Number")
    amount_residual = fields.Monetary(
        related="invoice_id.amount_residual", string="Amount Due"
    )
    payment_state = fields.Selection(
        related="invoice_id.payment_state",
        help="Whether the visit's invoice is paid, partly paid or still due.",
    )
    payment_ids = fields.One2many(
        "interop.visit.payment", "visit_id", string="Gateway Payments", readonly=True
    )
    waiting_reason = fields.Text(
        string="Why It Waits",
        compute="_compute_waiting_reason",
        help="The open exceptions stopping this visit, in their words.",
    )
    payment_count = fields.Integer(compute="_compute_payment_count")

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(company_id, name)",
            "A visit with this id already exists in this company.",
        ),
    ]

    @api.depends("line_ids.price_subtotal")
    def _compute_amounts(self):
        for visit in self:
            visit.amount_total = sum(visit.line_ids.mapped("price_subtotal"))

    def _compute_payment_count(self):
        for visit in self:
            visit.payment_count = len(visit.payment_ids)

    @api.depends_context("uid")
    def _compute_waiting_reason(self):
        Exception_ = self.env["interop.exception"]
        for visit in self:
            if visit.state not in OPEN_STATES or not visit.id:
                visit.waiting_reason = False
                continue
            exceptions = Exception_.search(
                visit._message_domain() + [("state", "in", ("open", "in_progress"))]
            )
            visit.waiting_reason = "\n".join(exceptions.mapped("name")) or False

    # Actions

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action.update(domain=[("id", "in", self.invoice_ids.ids)], context={})
        return action

    def action_view_payments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "interop_revenue.interop_visit_payment_action"
        )
        action.update(domain=[("visit_id", "=", self.id)], context={})
        return action

    # Milestones

    def _reach(self, state):
        """Move to ``state``, stamping the milestones reached on the way (once)."""
        now = fields.Datetime.now()
        order = [name for name, _field in MILESTONES]
        for visit in self:
            vals = {"state": state}
            for milestone, date_field in MILESTONES[: order.index(state) + 1]:
                if not visit[date_field]:
                    vals[date_field] = now
                if milestone == state:
                    break
            visit.write(vals)

    def _update_payment_milestone(self, message=None):
        """Paid once the invoice is; back to invoiced when a payment is reversed.

        ``message``: the payment message that changed it (the status sent back
        derives from it)."""
        for visit in self.filtered(lambda v: v.state in (INVOICED, PAID)):
            invoice = visit.sudo().invoice_id
            if invoice.payment_state in PAID_STATES and visit.state == INVOICED:
                visit._reach(PAID)
                visit._notify_scheduling_platform(visit, "paid", parent=message)
            elif invoice.payment_state not in PAID_STATES and visit.state == PAID:
                visit.write({"state": INVOICED})

    def _update_reconciled_milestone(self):
        """Reconciled once paid and every captured payment is settled."""
        for visit in self.filtered(lambda v: v.state == PAID):
            captured = visit.payment_ids.filtered(lambda p: p.status == "captured")
            if captured and all(captured.mapped("date_settled")):
                visit._reach(RECONCILED)

    # Intake and lookups

    @api.model
    def _register_from_message(self, message):
        """Register the visit of a service.completed message (state received).

        Only its id and endpoint: what the payload says is applied by the handler.
        """
        service_user = message.endpoint_id.service_user_id
        visit_id = message.business_key
        if not service_user or not visit_id:
            return self.browse()
        Visit = self.with_user(service_user).with_company(message.company_id)
        visit = Visit._find_visit(message.endpoint_id, visit_id)
        if not visit:
            visit = Visit.create(
                {
                    "name": visit_id,
                    "endpoint_id": message.endpoint_id.id,
                    "company_id": message.company_id.id,
                    "date_received": message.date_received,
                }
            )
        visit._start_flow(message)
        return visit

    def _start_flow(self, message):
        """The first message about the visit starts its flow: the messages that
        follow (its payments) join it, those derived from them carry it on."""
        self.ensure_one()
        if not self.flow_message_id:
            message = message.sudo()
            self.write(
                {
                    "flow_message_id": message.id,
                    "correlation_id": message.correlation_id,
                }
            )

    def _join_flow(self, message):
        """``message`` (a payment, an eligibility) belongs to this visit's flow."""
        self.ensure_one()
        if self.flow_message_id:
            message.sudo()._join_flow(self.flow_message_id)
        else:
            self._start_flow(message)

    @api.model
    def _find_visit(self, endpoint, visit_id):
        return self.search(
            [("name", "=", visit_id), ("company_id", "=", endpoint.company_id.id)],
            limit=1,
        )
