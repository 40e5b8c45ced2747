# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare

from odoo.addons.interop.errors import BusinessRuleError, InteropProcessingError

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


def _hours_between(start, end):
    if not start or not end:
        # not reached yet: empty (NULL), so that averages count only the visits
        # that reached both milestones
        return False
    return round((end - start).total_seconds() / 3600.0, 2)


class InteropVisit(models.Model):
    """A completed visit reported by a scheduling platform, on its way to cash.

    Its milestones say when it was received, validated, ready to bill, invoiced,
    paid and reconciled with the gateway's settlement; the lags between them show
    where the revenue cycle waits.
    """

    _name = "interop.visit"
    _description = "Visit"
    _inherit = ["mail.thread"]
    _order = "date_received desc, id desc"
    _check_company_auto = True

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
    location_value = fields.Char(string="Location", readonly=True)
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
    eligibility_ref = fields.Char(string="Eligibility Reference", readonly=True)
    date_eligibility = fields.Datetime(string="Eligibility Checked", readonly=True)
    correlation_id = fields.Char(
        readonly=True,
        index="btree_not_null",
        help="The correlation id of the visit's flow: the completion received, its "
        "invoice, its payments and the statuses sent back share it.",
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
    date_received = fields.Datetime(string="Received", readonly=True)
    date_validated = fields.Datetime(string="Validated", readonly=True)
    date_billing_ready = fields.Datetime(string="Billing Ready", readonly=True)
    date_invoiced = fields.Datetime(string="Invoiced", readonly=True)
    date_paid = fields.Datetime(string="Paid", readonly=True)
    date_reconciled = fields.Datetime(string="Reconciled", readonly=True)
    date_cancelled = fields.Datetime(string="Cancelled", readonly=True)
    lag_validation_hours = fields.Float(
        string="Received → Validated (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from receiving the visit to validating it (mapped, priced).",
    )
    lag_billing_hours = fields.Float(
        string="Validated → Invoiced (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from validation to the invoice.",
    )
    lag_payment_hours = fields.Float(
        string="Invoiced → Paid (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from the invoice to its payment.",
    )
    lag_reconciliation_hours = fields.Float(
        string="Paid → Reconciled (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from payment to the gateway's settlement.",
    )
    lag_total_hours = fields.Float(
        string="Received → Paid (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from receiving the visit to its payment.",
    )
    is_stuck = fields.Boolean(
        compute="_compute_is_stuck",
        search="_search_is_stuck",
        help="Completed but not invoiced for longer than the configured delay.",
    )
    # Accounting documents, for the users who may read them
    invoice_id = fields.Many2one(
        "account.move",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice",
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
    payment_state = fields.Selection(related="invoice_id.payment_state")
    payment_ids = fields.One2many(
        "interop.visit.payment", "visit_id", string="Gateway Payments", readonly=True
    )
    waiting_reason = fields.Text(
        string="Why It Waits",
        compute="_compute_waiting_reason",
        help="The open exceptions stopping this visit, in their words.",
    )
    payment_count = fields.Integer(compute="_compute_counts")
    interop_message_count = fields.Integer(compute="_compute_counts")
    interop_exception_count = fields.Integer(compute="_compute_counts")

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

    @api.depends(
        "date_received",
        "date_validated",
        "date_invoiced",
        "date_paid",
        "date_reconciled",
    )
    def _compute_lags(self):
        for visit in self:
            visit.lag_validation_hours = _hours_between(
                visit.date_received, visit.date_validated
            )
            visit.lag_billing_hours = _hours_between(
                visit.date_validated, visit.date_invoiced
            )
            visit.lag_payment_hours = _hours_between(
                visit.date_invoiced, visit.date_paid
            )
            visit.lag_reconciliation_hours = _hours_between(
                visit.date_paid, visit.date_reconciled
            )
            visit.lag_total_hours = _hours_between(visit.date_received, visit.date_paid)

    @api.model
    def _stuck_cutoff(self):
        params = self.env["ir.config_parameter"].sudo()
        hours = float(params.get_param(STUCK_HOURS_PARAM, 24) or 24)
        return fields.Datetime.now() - timedelta(hours=hours)

    def _compute_is_stuck(self):
        cutoff = self._stuck_cutoff()
        for visit in self:
            visit.is_stuck = bool(
                visit.state in OPEN_STATES
                and visit.date_received
                and visit.date_received < cutoff
            )

    def _search_is_stuck(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on stuck visits."))
        stuck = [
            ("state", "in", OPEN_STATES),
            ("date_received", "<", self._stuck_cutoff()),
        ]
        return stuck if (operator == "=") == value else ["!", "&", *stuck]

    def _compute_counts(self):
        Message = self.env["interop.message"]
        Exception_ = self.env["interop.exception"]
        for visit in self:
            visit.payment_count = len(visit.payment_ids)
            visit.interop_message_count = Message.search_count(visit._message_domain())
            visit.interop_exception_count = Exception_.search_count(
                [
                    ("business_key", "=", visit.name),
                    ("company_id", "=", visit.company_id.id),
                ]
            )

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

    def _message_domain(self):
        self.ensure_one()
        return [
            ("business_key", "=", self.name),
            ("company_id", "=", self.company_id.id),
        ]

    # Actions

    def action_view_interop_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "interop.interop_message_action"
        )
        action.update(domain=self._message_domain(), context={})
        return action

    def action_view_interop_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "interop.interop_exception_action"
        )
        action.update(domain=self._message_domain(), context={})
        return action

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

    def _lock(self):
        """Serialize the processing of one visit: two deliveries never bill twice."""
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM interop_visit WHERE id IN %s FOR NO KEY UPDATE",
                tuple(self.ids),
            )
        )
        self.invalidate_recordset()

    # Handlers

    @api.model
    def _interop_handle_service_completed(self, message, payload):
        """Bill a completed visit: map, price, then invoice it exactly once."""
        visit = self._find_visit(message.endpoint_id, payload["visit"]["id"])
        if not visit:
            visit = self._register_from_message(message).with_env(self.env)
        visit._lock()
        if visit.state == CANCELLED:
            raise BusinessRuleError(
                self.env._(
                    "Visit %(visit)s was cancelled: its completion cannot be billed.",
                    visit=visit.name,
                ),
                suggested_action=self.env._(
                    "Check with the scheduling platform which event is right; dismiss "
                    "this exception if the cancellation stands."
                ),
                records=visit,
            )
        if visit.sudo().invoice_id:
            # a duplicate delivery: the visit is billed already, never twice
            visit._message_log(
                body=self.env._(
                    "Completion received again: already invoiced, nothing changed."
                )
            )
            return visit
        visit._check_timing(message, "completion", payload)
        visit._apply_payload(message, payload)
        visit._check_timing(message, "billing", payload)
        visit._bill(message)
        return [visit, visit.sudo().invoice_id]

    @api.model
    def _interop_handle_service_amended(self, message, payload):
        """Re-price an amended visit and correct its invoice."""
        visit = self._get_known_visit(message, payload)
        visit._lock()
        visit._join_flow(message)
        invoice = visit.sudo().invoice_id
        if invoice and invoice.state == "posted":
            visit._check_not_paid()
        visit._check_timing(message, "completion", payload)
        visit._apply_payload(message, payload)
        if invoice.state != "draft":
            # billed (again): the billing rules apply as to a completion
            visit._check_timing(message, "billing", payload)
        if not invoice:
            visit._bill(message)
        elif invoice.state == "draft":
            invoice.write(
                {
                    "invoice_line_ids": [Command.clear()]
                    + visit._prepare_invoice_line_commands()
                }
            )
        else:
            visit._reverse_invoice()
            visit.write({"invoice_id": False})
            visit._bill(message)
        visit._message_log(body=self.env._("Visit amended by the scheduling platform."))
        return [visit, visit.sudo().invoice_ids]

    @api.model
    def _interop_handle_service_cancelled(self, message, payload):
        """Cancel a visit: cancel its draft invoice or credit its posted one."""
        visit = self._get_known_visit(message, payload)
        visit._lock()
        visit._join_flow(message)
        invoice = visit.sudo().invoice_id
        if invoice.state == "posted":
            visit._check_not_paid()
            visit._reverse_invoice()
        elif invoice.state == "draft":
            invoice.button_cancel()
        visit.write({"state": CANCELLED, "date_cancelled": fields.Datetime.now()})
        visit._notify_scheduling_platform(visit, "cancelled", parent=message)
        return [visit, visit.sudo().invoice_ids]

    @api.model
    def _interop_handle_eligibility(self, message, payload):
        """Record the payer's answer on the coverage of a visit: a confirmed
        eligibility releases the messages of the visit a timing rule holds for it."""
        visit_id = payload["visit"]["id"]
        visit = self._find_visit(message.endpoint_id, visit_id)
        if not visit:
            visit = self._register_from_message(message).with_env(self.env)
        visit._lock()
        visit._join_flow(message)
        status = payload["status"]
        visit.write(
            {
                "eligibility_state": status,
                "eligibility_ref": payload.get("reference"),
                "date_eligibility": fields.Datetime.now(),
            }
        )
        if status == "confirmed":
            # sudo: the service user may not read the message log
            held = (
                self.env["interop.message"]
                .sudo()
                .search(
                    [
                        ("state", "=", "held"),
                        ("direction", "=", "inbound"),
                        ("business_key", "=", visit.name),
                        ("company_id", "=", visit.company_id.id),
                    ]
                )
            )
            held._schedule_release()
        return visit

    def _get_known_visit(self, message, payload):
        visit = self._find_visit(message.endpoint_id, payload["visit"]["id"])
        if not visit:
            raise BusinessRuleError(
                self.env._(
                    "Visit %(visit)s is unknown: it was never reported completed.",
                    visit=payload["visit"]["id"],
                ),
                suggested_action=self.env._(
                    "Replay the visit's completion first (or ask the scheduling "
                    "platform to send it), then retry."
                ),
            )
        if visit.state == CANCELLED:
            raise BusinessRuleError(
                self.env._("Visit %(visit)s is already cancelled.", visit=visit.name),
                suggested_action=self.env._(
                    "Nothing to change in Odoo: dismiss this exception."
                ),
                records=visit,
            )
        return visit

    def _check_not_paid(self):
        self.ensure_one()
        invoice = self.sudo().invoice_id
        if invoice.payment_state != "not_paid":
            raise BusinessRuleError(
                self.env._(
                    "Visit %(visit)s has payments on invoice %(invoice)s: it cannot be "
                    "changed before they are refunded.",
                    visit=self.name,
                    invoice=invoice.name,
                ),
                suggested_action=self.env._(
                    "Refund the payments through the payment gateway, then retry."
                ),
                records=self,
            )

    # Processing rules

    @api.model
    def _parse_completed(self, payload):
        """When the service was completed (UTC), as the payload says."""
        return fields.Datetime.to_datetime(
            payload["visit"]["completed_at"].replace("T", " ").rstrip("Z")[:19]
        )

    def _check_timing(self, message, step, payload):
        """The timing rules of ``step`` (completion, billing): the message is held
        or fails with the rule's exception when it comes too early."""
        self.ensure_one()
        facts = {"service_date": self._parse_completed(payload)}
        if step == "billing":
            facts.update(
                validated=self.state in (VALIDATED, BILLING_READY, INVOICED),
                payer=self.payer_id,
                eligibility_confirmed=self.eligibility_state == "confirmed",
            )
        self.env["interop.timing.rule"]._enforce(message, step, records=self, **facts)

    def _apply_payload(self, message, payload):
        """Map, find the party, price: the visit is validated, or an error says why."""
        self.ensure_one()
        visit_data = payload["visit"]
        completed = self._parse_completed(payload)
        try:
            self._apply_visit_payload(message, payload, completed)
        except InteropProcessingError as error:
            # the visit stays received without its payload's data: the exception
            # says what it is about (business codes and dates only, no PHI)
            raise error.add_records(self).add_facts(
                [
                    (self.env._("Visit"), self.name),
                    (
                        self.env._("Service codes"),
                        ", ".join(
                            sorted(
                                {
                                    (line.get("service_code") or "").strip()
                                    for line in payload.get("lines") or []
                                }
                                - {""}
                            )
                        ),
                    ),
                    (self.env._("Completed on"), fields.Date.to_string(completed)),
                    (self.env._("Location"), visit_data.get("location")),
                    (
                        self.env._("Payer code"),
                        (payload.get("coverage") or {}).get("payer_code"),
                    ),
                ]
            ) from None
        if self.state == RECEIVED:
            self._reach(VALIDATED)

    def _apply_visit_payload(self, message, payload, completed):
        endpoint = message.endpoint_id
        visit_data = payload["visit"]
        on_date = completed.date()
        Mapping = self.env["interop.mapping.table"]
        lines = payload["lines"]
        products = Mapping._resolve_many(
            "service-codes",
            [line["service_code"] for line in lines],
            on_date=on_date,
            endpoint=endpoint,
        )
        coverage = payload["coverage"]
        payer = Mapping._resolve(
            "payer-codes", coverage["payer_code"], on_date=on_date, endpoint=endpoint
        )
        pricelist = Mapping._resolve(
            "payer-pricelists",
            coverage["payer_code"],
            on_date=on_date,
            endpoint=endpoint,
        )
        location = Mapping._resolve(
            "location-codes", visit_data["location"], on_date=on_date, endpoint=endpoint
        )
        line_vals = self._price_lines(lines, products, pricelist)
        partner = self._find_or_create_party(payload["responsible_party"], endpoint)
        provider = visit_data.get("provider") or {}
        self.write(
            {
                "partner_id": partner.id,
                "payer_id": payer.id,
                "plan_ref": coverage.get("plan_ref"),
                "pricelist_id": pricelist.id,
                "currency_id": pricelist.currency_id.id,
                "location_code": visit_data["location"],
                "location_value": location,
                "provider_ref": provider.get("id"),
                "date_completed": completed,
                "line_ids": [Command.clear()]
                + [Command.create(vals) for vals in line_vals],
            }
        )

    def _price_lines(self, lines, products, pricelist):
        """Line values priced by the payer's contract; no line is ever priced 0."""
        vals_list = []
        unpriced = []
        for line in lines:
            code = line["service_code"].strip()
            product = products[code]
            quantity = line.get("quantity", 1)
            date = fields.Date.to_date(line.get("date")) if line.get("date") else None
            price, rule_id = pricelist._get_product_price_rule(
                product, quantity, currency=pricelist.currency_id, date=date
            )
            if (
                not rule_id
                or float_compare(
                    price, 0.0, precision_rounding=pricelist.currency_id.rounding
                )
                <= 0
            ):
                unpriced.append(code)
                continue
            vals_list.append(
                {
                    "service_code": code,
                    "product_id": product.id,
                    "quantity": quantity,
                    "date_service": date,
                    "modifiers": ",".join(line.get("modifiers") or []),
                    "price_unit": price,
                }
            )
        if unpriced:
            raise BusinessRuleError(
                self.env._(
                    "Contract pricelist %(pricelist)s has no price for service code(s) "
                    "%(codes)s of visit %(visit)s.",
                    pricelist=pricelist.name,
                    codes=", ".join(sorted(set(unpriced))),
                    visit=self.name,
                ),
                suggested_action=self.env._(
                    "Add the contract price of these services to the pricelist, then "
                    "retry. A visit is never invoiced at zero."
                ),
                records=[
                    pricelist,
                    *(products[code] for code in sorted(set(unpriced))),
                ],
            )
        return vals_list

    @api.model
    def _find_or_create_party(self, party, endpoint):
        """The contact of the responsible party (``res.partner`` does the checks:
        system of record, probable duplicates, one at a time)."""
        return self.env["res.partner"]._interop_find_or_create_party(party, endpoint)

    # Billing

    def _bill(self, message=None):
        """Billing ready, then invoiced: exactly one customer invoice per visit.

        ``message``: the message that triggered billing (the status sent back
        derives from it)."""
        self.ensure_one()
        # invoiced: an amendment credited the invoice and bills the visit again
        billable = (VALIDATED, BILLING_READY, INVOICED)
        if self.state not in billable or self.invoice_id or not self.line_ids:
            raise BusinessRuleError(
                self.env._(
                    "Visit %(visit)s is not validated: it cannot be invoiced.",
                    visit=self.name,
                ),
                records=self,
            )
        self._reach(BILLING_READY)
        invoice = self.env["account.move"].create(self._prepare_invoice_vals())
        params = self.env["ir.config_parameter"].sudo()
        if params.get_param(AUTO_POST_PARAM, "True") not in ("False", "0", ""):
            invoice.action_post()
        self.write(
            {"invoice_id": invoice.id, "invoice_ids": [Command.link(invoice.id)]}
        )
        self._reach(INVOICED)
        self._notify_scheduling_platform(self, "invoiced", parent=message)
        return invoice

    def _prepare_invoice_vals(self):
        self.ensure_one()
        return {
            "move_type": "out_invoice",
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "invoice_date": (self.date_completed or fields.Datetime.now()).date(),
            "invoice_origin": self.name,
            "ref": self.name,
            # billed by the integration, sold by nobody: not the service user
            "invoice_user_id": False,
            "invoice_line_ids": self._prepare_invoice_line_commands(),
        }

    def _prepare_invoice_line_commands(self):
        self.ensure_one()
        return [
            Command.create(
                {
                    "product_id": line.product_id.id,
                    "name": line._invoice_label(),
                    "quantity": line.quantity,
                    "price_unit": line.price_unit,
                    "tax_ids": [Command.set(line.product_id.taxes_id.ids)],
                }
            )
            for line in self.line_ids
        ]

    def _reverse_invoice(self):
        """Credit the posted invoice in full (reversal reconciled with it)."""
        self.ensure_one()
        invoice = self.sudo().invoice_id.with_env(self.env)
        credit_note = invoice._reverse_moves(
            default_values_list=[
                {
                    "ref": self.env._(
                        "Reversal of %(invoice)s (visit %(visit)s)",
                        invoice=invoice.name,
                        visit=self.name,
                    ),
                    "invoice_origin": self.name,
                }
            ],
            cancel=True,
        )
        self.write({"invoice_ids": [Command.link(credit_note.id)]})
        return credit_note

    # Outbound

    @api.model
    def _notify_scheduling_platform(self, visit, event, parent=None):
        """Send the visit's billing status back to the scheduling platform.

        ``parent``: the message the change comes from; the status carries its
        correlation id and links it (the flow of the visit otherwise).

        The outbound message is queued in the same transaction as the billing change
        (so it goes out exactly when the change is committed) and delivered by its
        own job, with the outbound module's retries, circuit breaker and
        environment guard. Endpoints that only send to Odoo get nothing.
        """
        event_type = (
            self.env["interop.event.type"]
            .sudo()
            ._find(OUTBOUND_EVENT, direction="outbound")
        )
        endpoint = visit.endpoint_id
        if not event_type or not endpoint or endpoint.direction == "inbound":
            return self.env["interop.message"]
        invoice = visit.sudo().invoice_id
        payload = {
            "visit_id": visit.name,
            "event": event,
            "state": visit.state,
            "invoice_number": invoice.name or None,
            "amount_total": invoice.amount_total if invoice else None,
            "amount_due": invoice.amount_residual if invoice else None,
            "currency": visit.currency_id.name,
        }
        parent = (parent or visit.sudo().flow_message_id).sudo()
        # sudo: the service user processing the visit may not manage deliveries;
        # delivery is always a job of its own, even when processing runs inline
        return (
            endpoint.sudo()
            .with_context(queue_job__no_delay=False)
            ._send(
                event_type,
                payload,
                parent=parent or None,
                path="/visits/billing-status",
                business_key=visit.name,
            )
        )
