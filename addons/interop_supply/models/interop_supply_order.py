# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from psycopg2 import IntegrityError

from odoo import api, fields, models
from odoo.tools import SQL, mute_logger

from odoo.addons.interop.models.interop_flow_mixin import Hours
from odoo.addons.queue_job.exception import RetryableJobError

from ..order_flow import (
    INVOICE_POLICY_PARAM,
    MILESTONE_ORDER,
    MILESTONES,
    OPEN_STATES,
    ORDER_BUSY_SECONDS,
    ORDER_LOCK_CLASS,
    ORDER_UNIQUE_INDEX,
    PAID,
    PAID_STATES,
    RECEIVED,
    RECONCILED,
    RETURNED,
    STATES,
    STUCK_HOURS_PARAM,
)


class InteropSupplyOrder(models.Model):
    """An order of the shop or the CRM, on its way from intake to the bank.

    Its milestones say when it was received, confirmed, reserved, dispatched by the
    3PL, delivered, invoiced, paid and reconciled with the bank statement; the lags
    between them show where the supply chain waits.
    """

    _name = "interop.supply.order"
    _description = "Supply Order"
    _inherit = [
        "mail.thread",
        "interop.flow.mixin",
        "interop.supply.order.intake",
        "interop.supply.order.fulfilment",
    ]
    _order = "date_received desc, id desc"
    _check_company_auto = True
    _interop_flow_open_states = OPEN_STATES
    _interop_flow_stuck_field = "date_state"
    _interop_flow_stuck_param = STUCK_HOURS_PARAM
    _interop_flow_lags = {
        "lag_confirmation_hours": ("date_received", "date_confirmed"),
        "lag_dispatch_hours": ("date_confirmed", "date_dispatched"),
        "lag_delivery_hours": ("date_dispatched", "date_delivered"),
        "lag_payment_hours": ("date_invoiced", "date_paid"),
        "lag_total_hours": ("date_received", "date_paid"),
    }

    name = fields.Char(
        string="Order ID",
        required=True,
        readonly=True,
        index=True,
        help="The order id of the shop or the CRM that sent it.",
    )
    endpoint_id = fields.Many2one(
        "interop.endpoint",
        string="Channel System",
        required=True,
        readonly=True,
        check_company=True,
        help="The system of the sales channel that sent the order (online store, "
        "marketplace...).",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    channel = fields.Char(readonly=True)
    state = fields.Selection(
        STATES,
        required=True,
        default=RECEIVED,
        readonly=True,
        tracking=True,
        group_expand=True,
    )
    date_state = fields.Datetime(
        string="In State Since", readonly=True, help="When the order reached its state."
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        readonly=True,
        help="The customer who placed the order.",
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse", readonly=True, help="The warehouse that ships the order."
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        readonly=True,
        help="The sales team the order is counted for.",
    )
    pricelist_id = fields.Many2one(
        "product.pricelist",
        readonly=True,
        help="The price list the order is priced with.",
    )
    currency_id = fields.Many2one(
        "res.currency",
        readonly=True,
        default=lambda self: self.env.company.currency_id,
    )
    payment_reference = fields.Char(readonly=True, index=True)
    invoice_policy = fields.Selection(
        [("order", "Ordered Quantities"), ("delivery", "Delivered Quantities")],
        required=True,
        readonly=True,
        default=lambda self: self._default_invoice_policy(),
        help="What the invoice created once the order is delivered bills: what was "
        "ordered, or what the 3PL delivered.",
    )
    amount_total = fields.Monetary(
        readonly=True, help="The total of the order's sales order, taxes included."
    )
    # The Odoo documents, for the users who may read them
    sale_order_id = fields.Many2one(
        "sale.order",
        readonly=True,
        copy=False,
        groups="sales_team.group_sale_salesman",
    )
    sale_order_name = fields.Char(
        related="sale_order_id.name",
        string="Sales Order",
        help="The sales order created for the order.",
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        readonly=True,
        copy=False,
        groups="stock.group_stock_user",
    )
    picking_name = fields.Char(
        related="picking_id.name",
        string="Delivery Order",
        help="The delivery order the warehouse ships the order with.",
    )
    return_picking_id = fields.Many2one(
        "stock.picking",
        string="Return",
        readonly=True,
        copy=False,
        groups="stock.group_stock_user",
    )
    invoice_id = fields.Many2one(
        "account.move",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice",
    )
    invoice_name = fields.Char(
        related="invoice_id.name",
        string="Invoice Number",
        help="The number of the order's invoice.",
    )
    payment_state = fields.Selection(
        related="invoice_id.payment_state",
        help="Whether the order's invoice is paid, partly paid or still due.",
    )
    # What the 3PL reported
    dispatch_message_id = fields.Many2one(
        "interop.message",
        string="Sent to the 3PL",
        readonly=True,
        copy=False,
        help="The outbound message that handed the delivery to the 3PL.",
    )
    shipment_ref = fields.Char(
        string="Shipment",
        readonly=True,
        help="The warehouse's reference of the shipment.",
    )
    carrier = fields.Char(
        readonly=True,
        help="The carrier shipping the order, as the warehouse reported it.",
    )
    tracking_ref = fields.Char(
        string="Tracking Reference",
        readonly=True,
        help="The carrier's tracking number of the shipment.",
    )
    dispatch_status = fields.Char(string="Last 3PL Status", readonly=True)
    # Milestones: the first time the order reached each one
    date_received = fields.Datetime(
        string="Received",
        readonly=True,
        help="When the order reached Odoo from its sales channel.",
    )
    date_confirmed = fields.Datetime(
        string="Confirmed", readonly=True, help="When the sales order was confirmed."
    )
    date_reserved = fields.Datetime(
        string="Reserved",
        readonly=True,
        help="When the stock of the order was reserved.",
    )
    date_dispatched = fields.Datetime(
        string="Dispatched", readonly=True, help="When the warehouse shipped the order."
    )
    date_delivered = fields.Datetime(
        string="Delivered", readonly=True, help="When the carrier delivered the order."
    )
    date_invoiced = fields.Datetime(
        string="Invoiced", readonly=True, help="When the order's invoice was posted."
    )
    date_paid = fields.Datetime(
        string="Paid", readonly=True, help="When the order's invoice was paid in full."
    )
    date_reconciled = fields.Datetime(
        string="Reconciled",
        readonly=True,
        help="When a bank statement line settled the order's payment.",
    )
    date_returned = fields.Datetime(
        string="Returned",
        readonly=True,
        help="When the order came back to the warehouse.",
    )
    lag_confirmation_hours = Hours(
        string="Received → Confirmed (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from receiving the order to confirming its sales order.",
    )
    lag_dispatch_hours = Hours(
        string="Confirmed → Dispatched (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from confirming the order to shipping it.",
    )
    lag_delivery_hours = Hours(
        string="Dispatched → Delivered (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from shipping the order to its delivery.",
    )
    lag_payment_hours = Hours(
        string="Invoiced → Paid (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from the invoice to its payment.",
    )
    lag_total_hours = Hours(
        string="Received → Paid (h)",
        compute="_compute_lags",
        store=True,
        aggregator="avg",
        help="Hours from receiving the order to its payment.",
    )
    is_stuck = fields.Boolean(
        help="On its way but in the same state for longer than the configured delay.",
    )

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(company_id, name)",
            "An order with this id already exists in this company.",
        ),
    ]

    @api.model
    def _default_invoice_policy(self):
        params = self.env["ir.config_parameter"].sudo()
        policy = params.get_param(INVOICE_POLICY_PARAM, "delivery")
        return policy if policy in ("order", "delivery") else "delivery"

    def _exception_domain(self):
        self.ensure_one()
        return [
            ("company_id", "=", self.company_id.id),
            "|",
            ("business_key", "=", self.name),
            "&",
            ("res_model", "=", self._name),
            ("res_id", "=", self.id),
        ]

    # Milestones

    def _reach(self, state, when=None):
        """Stamp the milestone ``state`` (once) and move forward to it; an order never
        moves back, so a status that arrives late changes nothing."""
        now = when or fields.Datetime.now()
        date_field = dict(MILESTONES)[state]
        for order in self:
            vals = {}
            if not order[date_field]:
                vals[date_field] = now
            if order.state != RETURNED and MILESTONE_ORDER.index(
                state
            ) > MILESTONE_ORDER.index(order.state):
                vals.update(state=state, date_state=now)
            if vals:
                order.write(vals)

    def _update_payment_milestones(self, reconciled=False):
        """Paid once the invoice is; reconciled once a bank line settled it."""
        for order in self:
            invoice = order.sudo().invoice_id
            if invoice.payment_state in PAID_STATES:
                order._reach(PAID)
                if reconciled:
                    order._reach(RECONCILED)

    # Lookups and locks

    @api.model
    def _find_order(self, company, order_id):
        return self.search(
            [("name", "=", order_id), ("company_id", "=", company.id)], limit=1
        )

    @api.model
    def _lock_order_id(self, company, order_id):
        """Claim the intake of one external order id for this transaction.

        Two drains may take two deliveries of one order at the same moment; each runs
        in a snapshot of its own (repeatable read), so the second would not see the
        order the first is creating. The second one does not wait: it retries in a
        transaction of its own, which finds the order once the first committed (a
        retry not counted: nothing is wrong with the message).
        """
        self.env.cr.execute(
            SQL(
                "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))",
                ORDER_LOCK_CLASS,
                f"{company.id}:{order_id}",
            )
        )
        if not self.env.cr.fetchone()[0]:
            raise RetryableJobError(
                "Another drain is confirming this order",
                seconds=ORDER_BUSY_SECONDS,
                ignore_retry=True,
            )

    def _claim(self, vals):
        """Create the order; if another transaction committed it after this one
        started, retry in a new transaction (which will find it)."""
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                # the service user follows no order; the chatter starts with the
                # milestones, not with a note that the order was created
                return self.with_context(
                    mail_create_nosubscribe=True, mail_create_nolog=True
                ).create(vals)
        except IntegrityError as error:
            if getattr(error.diag, "constraint_name", None) != ORDER_UNIQUE_INDEX:
                raise
            raise RetryableJobError(
                "Another drain confirmed this order meanwhile",
                seconds=ORDER_BUSY_SECONDS,
                ignore_retry=True,
            ) from None
