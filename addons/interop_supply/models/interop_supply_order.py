# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import SUPERUSER_ID, Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare, float_round, mute_logger

from odoo.addons.interop.errors import BusinessRuleError, MappingError
from odoo.addons.queue_job.exception import RetryableJobError

from ..errors import ProbableDuplicateCustomer, StockShortage

RECEIVED = "received"
CONFIRMED = "confirmed"
RESERVED = "reserved"
DISPATCHED = "dispatched"
DELIVERED = "delivered"
INVOICED = "invoiced"
PAID = "paid"
RECONCILED = "reconciled"
RETURNED = "returned"

STATES = [
    (RECEIVED, "Received"),
    (CONFIRMED, "Confirmed"),
    (RESERVED, "Reserved"),
    (DISPATCHED, "Dispatched"),
    (DELIVERED, "Delivered"),
    (INVOICED, "Invoiced"),
    (PAID, "Paid"),
    (RECONCILED, "Reconciled"),
    (RETURNED, "Returned"),
]
#: the milestones in order, each with the field of the first time it was reached
MILESTONES = [
    (RECEIVED, "date_received"),
    (CONFIRMED, "date_confirmed"),
    (RESERVED, "date_reserved"),
    (DISPATCHED, "date_dispatched"),
    (DELIVERED, "date_delivered"),
    (INVOICED, "date_invoiced"),
    (PAID, "date_paid"),
    (RECONCILED, "date_reconciled"),
]
MILESTONE_ORDER = [state for state, _field in MILESTONES]
#: states an order can be stuck in: on its way, not paid yet
OPEN_STATES = (RECEIVED, CONFIRMED, RESERVED, DISPATCHED, DELIVERED, INVOICED)
PAID_STATES = ("paid", "in_payment")
#: the 3PL's statuses that move the delivery forward, in their order
FORWARD_STATUSES = ("picked", "shipped", "out_for_delivery", "delivered")
FAILED_STATUSES = ("failed_delivery", "returned")

STUCK_HOURS_PARAM = "interop_supply.stuck_hours"
PRICE_TOLERANCE_PARAM = "interop_supply.price_tolerance_percent"
INVOICE_POLICY_PARAM = "interop_supply.invoice_policy"
DISPATCH_EVENT = "dispatch.request"
#: advisory lock class of an external order id ("SUPP"): two drains never confirm it
#: twice
ORDER_LOCK_CLASS = 0x53555050
ORDER_UNIQUE_INDEX = "interop_supply_order_name_company_uniq"
#: a drain that meets an order another drain is confirming retries after this delay
ORDER_BUSY_SECONDS = 5


def _hours_between(start, end):
    if not start or not end:
        return 0.0
    return round((end - start).total_seconds() / 3600.0, 2)


class InteropSupplyOrder(models.Model):
    """An order of the shop or the CRM, on its way from intake to the bank.

    Its milestones say when it was received, confirmed, reserved, dispatched by the
    3PL, delivered, invoiced, paid and reconciled with the bank statement; the lags
    between them show where the supply chain waits.
    """

    _name = "interop.supply.order"
    _description = "Supply Order"
    _inherit = ["mail.thread"]
    _order = "date_received desc, id desc"
    _check_company_auto = True

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
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    pricelist_id = fields.Many2one("product.pricelist", readonly=True)
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
    amount_total = fields.Monetary(readonly=True)
    # The Odoo documents, for the users who may read them
    sale_order_id = fields.Many2one(
        "sale.order",
        readonly=True,
        copy=False,
        groups="sales_team.group_sale_salesman",
    )
    sale_order_name = fields.Char(related="sale_order_id.name", string="Sales Order")
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        readonly=True,
        copy=False,
        groups="stock.group_stock_user",
    )
    picking_name = fields.Char(related="picking_id.name", string="Delivery Order")
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
    invoice_name = fields.Char(related="invoice_id.name", string="Invoice Number")
    payment_state = fields.Selection(related="invoice_id.payment_state")
    # What the 3PL reported
    dispatch_message_id = fields.Many2one(
        "interop.message",
        string="Sent to the 3PL",
        readonly=True,
        copy=False,
        help="The outbound message that handed the delivery to the 3PL.",
    )
    shipment_ref = fields.Char(string="Shipment", readonly=True)
    carrier = fields.Char(readonly=True)
    tracking_ref = fields.Char(string="Tracking Reference", readonly=True)
    dispatch_status = fields.Char(string="Last 3PL Status", readonly=True)
    # Milestones: the first time the order reached each one
    date_received = fields.Datetime(string="Received", readonly=True)
    date_confirmed = fields.Datetime(string="Confirmed", readonly=True)
    date_reserved = fields.Datetime(string="Reserved", readonly=True)
    date_dispatched = fields.Datetime(string="Dispatched", readonly=True)
    date_delivered = fields.Datetime(string="Delivered", readonly=True)
    date_invoiced = fields.Datetime(string="Invoiced", readonly=True)
    date_paid = fields.Datetime(string="Paid", readonly=True)
    date_reconciled = fields.Datetime(string="Reconciled", readonly=True)
    date_returned = fields.Datetime(string="Returned", readonly=True)
    lag_confirmation_hours = fields.Float(
        string="Received → Confirmed (h)", compute="_compute_lags", store=True
    )
    lag_dispatch_hours = fields.Float(
        string="Confirmed → Dispatched (h)", compute="_compute_lags", store=True
    )
    lag_delivery_hours = fields.Float(
        string="Dispatched → Delivered (h)", compute="_compute_lags", store=True
    )
    lag_payment_hours = fields.Float(
        string="Invoiced → Paid (h)", compute="_compute_lags", store=True
    )
    lag_total_hours = fields.Float(
        string="Received → Paid (h)", compute="_compute_lags", store=True
    )
    is_stuck = fields.Boolean(
        compute="_compute_is_stuck",
        search="_search_is_stuck",
        help="On its way but in the same state for longer than the configured delay.",
    )
    interop_message_count = fields.Integer(compute="_compute_counts")
    interop_exception_count = fields.Integer(compute="_compute_counts")

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

    @api.depends(
        "date_received",
        "date_confirmed",
        "date_dispatched",
        "date_delivered",
        "date_invoiced",
        "date_paid",
    )
    def _compute_lags(self):
        for order in self:
            order.lag_confirmation_hours = _hours_between(
                order.date_received, order.date_confirmed
            )
            order.lag_dispatch_hours = _hours_between(
                order.date_confirmed, order.date_dispatched
            )
            order.lag_delivery_hours = _hours_between(
                order.date_dispatched, order.date_delivered
            )
            order.lag_payment_hours = _hours_between(
                order.date_invoiced, order.date_paid
            )
            order.lag_total_hours = _hours_between(order.date_received, order.date_paid)

    @api.model
    def _stuck_cutoff(self):
        params = self.env["ir.config_parameter"].sudo()
        try:
            hours = float(params.get_param(STUCK_HOURS_PARAM, 24) or 24)
        except ValueError:
            hours = 24.0
        return fields.Datetime.now() - timedelta(hours=hours)

    def _compute_is_stuck(self):
        cutoff = self._stuck_cutoff()
        for order in self:
            order.is_stuck = bool(
                order.state in OPEN_STATES
                and order.date_state
                and order.date_state < cutoff
            )

    def _search_is_stuck(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on stuck orders."))
        stuck = [
            ("state", "in", OPEN_STATES),
            ("date_state", "<", self._stuck_cutoff()),
        ]
        return stuck if (operator == "=") == value else ["!", "&", *stuck]

    def _compute_counts(self):
        Message = self.env["interop.message"]
        Exception_ = self.env["interop.exception"]
        for order in self:
            order.interop_message_count = Message.search_count(order._message_domain())
            order.interop_exception_count = Exception_.search_count(
                order._exception_domain()
            )

    def _message_domain(self):
        self.ensure_one()
        return [
            ("business_key", "=", self.name),
            ("company_id", "=", self.company_id.id),
        ]

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
        action.update(domain=self._exception_domain(), context={})
        return action

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
        transaction of its own, which finds the order once the first committed.
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
                "Another drain is confirming this order", seconds=ORDER_BUSY_SECONDS
            )

    def _claim(self, vals):
        """Create the order; if another transaction committed it after this one
        started, retry in a new transaction (which will find it)."""
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                return self.create(vals)
        except IntegrityError as error:
            if getattr(error.diag, "constraint_name", None) != ORDER_UNIQUE_INDEX:
                raise
            raise RetryableJobError(
                "Another drain confirmed this order meanwhile",
                seconds=ORDER_BUSY_SECONDS,
            ) from None

    def _lock(self):
        """Serialize the processing of one order: two statuses never ship or
        invoice it twice."""
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM interop_supply_order WHERE id IN %s FOR NO KEY UPDATE",
                tuple(self.ids),
            )
        )
        self.invalidate_recordset()

    # Handlers

    @api.model
    def _interop_handle_order_received(self, message, payload):
        """Confirm an order exactly once and reserve its stock in the mapped
        warehouse; anything that stops it is an exception, never a backorder."""
        return self.with_company(message.company_id)._receive_order(message, payload)

    @api.model
    def _receive_order(self, message, payload):
        data = payload["order"]
        company = message.company_id
        self._lock_order_id(company, data["id"])
        order = self._find_order(company, data["id"])
        if order:
            # a duplicate (the same order sent again, or by a second drain): the
            # order is confirmed already, never twice
            order._message_log(
                body=self.env._(
                    "Order received again (%(message)s): already confirmed, nothing "
                    "changed.",
                    message=message.display_name,
                )
            )
            return order
        endpoint = message.endpoint_id
        Mapping = self.env["interop.mapping.table"]
        lines = payload["lines"]
        products = Mapping._resolve_many(
            "supply-skus", [line["sku"] for line in lines], endpoint=endpoint
        )
        team = Mapping._resolve(
            "supply-channel-teams", data["channel"], endpoint=endpoint
        )
        pricelist = Mapping._resolve(
            "supply-channel-pricelists", data["channel"], endpoint=endpoint
        )
        warehouse = Mapping._resolve(
            "supply-locations", data["location"], endpoint=endpoint
        )
        self._check_prices(data["id"], lines, products, pricelist)
        self._check_stock(data["id"], lines, products, warehouse)
        partner = self._find_or_create_customer(endpoint, payload["customer"])
        sale_order = self._create_sale_order(
            data, lines, products, partner, team, pricelist, warehouse, endpoint
        )
        order = self._claim(
            {
                "name": data["id"],
                "endpoint_id": endpoint.id,
                "company_id": company.id,
                "channel": data["channel"],
                "partner_id": partner.id,
                "warehouse_id": warehouse.id,
                "team_id": team.id,
                "pricelist_id": pricelist.id,
                "currency_id": sale_order.currency_id.id,
                "payment_reference": data.get("payment_reference"),
                "amount_total": sale_order.amount_total,
                "sale_order_id": sale_order.id,
                "date_received": message.date_received or fields.Datetime.now(),
                "date_state": message.date_received or fields.Datetime.now(),
            }
        )
        order._confirm_and_reserve()
        order._send_to_logistics(message)
        return [order, sale_order, order.sudo().picking_id]

    @api.model
    def _interop_handle_dispatch_status(self, message, payload):
        """Move the delivery as the 3PL reports it; late and repeated statuses are
        harmless, a failed delivery goes to customer service."""
        return self.with_company(message.company_id)._receive_dispatch_status(
            message, payload
        )

    @api.model
    def _receive_dispatch_status(self, message, payload):
        shipment = payload["shipment"]
        order = self._find_order(message.company_id, shipment["order_ref"])
        if not order:
            raise BusinessRuleError(
                self.env._(
                    "Shipment %(shipment)s is about order %(order)s, which Odoo does "
                    "not know.",
                    shipment=shipment["id"],
                    order=shipment["order_ref"],
                ),
                suggested_action=self.env._(
                    "Check the order reference with the 3PL; retry once the order "
                    "is received, or dismiss."
                ),
            )
        order._lock()
        status = shipment["status"]
        vals = {"shipment_ref": shipment["id"], "dispatch_status": status}
        for key, field_name in (
            ("carrier", "carrier"),
            ("tracking_ref", "tracking_ref"),
        ):
            if shipment.get(key):
                vals[field_name] = shipment[key]
        order.write(vals)
        if order.state == RETURNED:
            order._message_log(
                body=self.env._(
                    "3PL status %(status)s after the return: nothing changed.",
                    status=status,
                )
            )
            return order
        if status in FAILED_STATUSES:
            order._handle_failed_delivery(message, status)
        elif FORWARD_STATUSES.index(status) >= FORWARD_STATUSES.index("shipped"):
            order._ship(shipment)
            if status == "delivered":
                order._reach(DELIVERED)
                order._invoice()
        return [order, order.sudo().picking_id, order.sudo().return_picking_id]

    # Processing rules

    @api.model
    def _check_prices(self, order_id, lines, products, pricelist):
        """A unit price beyond the tolerance of the channel's price list stops the
        order: it is never confirmed at a price nobody agreed."""
        params = self.env["ir.config_parameter"].sudo()
        try:
            tolerance = float(params.get_param(PRICE_TOLERANCE_PARAM, 2.0) or 0.0)
        except ValueError:
            tolerance = 0.0
        currency = pricelist.currency_id
        off = []
        for line in lines:
            product = products[line["sku"].strip()]
            listed = pricelist._get_product_price(
                product, line["quantity"], currency=currency
            )
            allowed = abs(listed) * tolerance / 100.0
            if (
                float_compare(
                    abs(line["unit_price"] - listed),
                    allowed,
                    precision_rounding=currency.rounding,
                )
                > 0
            ):
                off.append(
                    self.env._(
                        "%(sku)s at %(sent)s (list %(listed)s)",
                        sku=line["sku"],
                        sent=line["unit_price"],
                        listed=float_round(
                            listed, precision_rounding=currency.rounding
                        ),
                    )
                )
        if off:
            raise BusinessRuleError(
                self.env._(
                    "Order %(order)s: prices beyond the %(tolerance)s%% tolerance of "
                    "price list %(pricelist)s: %(lines)s.",
                    order=order_id,
                    tolerance=tolerance,
                    pricelist=pricelist.name,
                    lines="; ".join(off),
                ),
                suggested_action=self.env._(
                    "Agree the price with the channel (or correct the price list), "
                    "then retry; dismiss to refuse the order."
                ),
                records=pricelist,
            )

    @api.model
    def _check_stock(self, order_id, lines, products, warehouse):
        """Every storable line must be free to reserve in the mapped warehouse: a
        shortage names the missing quantities, it never becomes a backorder."""
        needed = {}
        skus = {}
        for line in lines:
            product = products[line["sku"].strip()]
            needed[product] = needed.get(product, 0.0) + line["quantity"]
            skus[product] = line["sku"].strip()
        missing = []
        for product, quantity in needed.items():
            if not product.is_storable:
                continue
            free = product.with_context(warehouse_id=warehouse.id).free_qty
            rounding = product.uom_id.rounding
            if float_compare(free, quantity, precision_rounding=rounding) < 0:
                missing.append(
                    self.env._(
                        "%(sku)s: %(missing)s missing (%(free)s free of %(needed)s)",
                        sku=skus[product],
                        missing=float_round(
                            quantity - max(free, 0.0), precision_rounding=rounding
                        ),
                        free=float_round(max(free, 0.0), precision_rounding=rounding),
                        needed=quantity,
                    )
                )
        if missing:
            raise StockShortage(
                self.env._(
                    "Order %(order)s cannot be reserved in %(warehouse)s: %(missing)s.",
                    order=order_id,
                    warehouse=warehouse.name,
                    missing="; ".join(missing),
                ),
                suggested_action=self.env._(
                    "Replenish the warehouse (or map the channel's orders to one that "
                    "has the stock), then retry. No backorder was created."
                ),
                records=warehouse,
            )

    @api.model
    def _find_or_create_customer(self, endpoint, customer):
        """The customer, by its external id, then by the cross-reference a person
        made; a new customer that looks like an existing contact is not created
        (never a silent merge, never a second contact)."""
        Partner = self.env["res.partner"]
        partner = Partner.search([("ref", "=", customer["id"])], limit=1)
        if partner:
            return partner
        try:
            partner = self.env["interop.mapping.table"]._resolve(
                "supply-customers", customer["id"], endpoint=endpoint
            )
        except MappingError:
            partner = Partner
        if partner:
            return partner
        duplicates, reason = self._probable_duplicates(customer)
        if duplicates:
            raise ProbableDuplicateCustomer(
                self.env._(
                    "Customer %(ref)s of %(endpoint)s looks like existing contact "
                    "#%(contact)s (%(reason)s): contacts are not merged automatically.",
                    ref=customer["id"],
                    endpoint=endpoint.name,
                    contact=duplicates[0].id,
                    reason=reason,
                ),
                suggested_action=self.env._(
                    "If it is the same customer, map %(ref)s to the existing contact "
                    "in the mapping table supply-customers; otherwise correct the "
                    "contact that is wrong. Then retry.",
                    ref=customer["id"],
                ),
                records=duplicates,
            )
        vals = self._prepare_customer_vals(customer)
        self.env["interop.system.of.record"]._check_write(
            "res.partner", list(vals), endpoint
        )
        return Partner.create(vals)

    @api.model
    def _prepare_customer_vals(self, customer):
        address = customer.get("billing_address") or customer.get("delivery_address")
        address = address or {}
        vals = {
            "name": customer["name"],
            "ref": customer["id"],
            "street": address.get("street"),
            "city": address.get("city"),
            "zip": address.get("zip"),
        }
        if customer.get("email"):
            vals["email"] = customer["email"]
        if customer.get("phone"):
            vals["phone"] = customer["phone"]
        if customer.get("tax_id"):
            vals["vat"] = customer["tax_id"]
        if address.get("country"):
            country = self.env["res.country"].search(
                [("code", "=", address["country"].upper())], limit=1
            )
            vals["country_id"] = country.id
        return {key: value for key, value in vals.items() if value}

    @api.model
    def _probable_duplicates(self, customer):
        """(contacts, reason) that may be the same customer as ``customer``."""
        Partner = self.env["res.partner"]
        checks = []
        if customer.get("email"):
            checks.append(
                (
                    [("email", "=ilike", customer["email"].strip())],
                    self.env._("same email"),
                )
            )
        if customer.get("tax_id"):
            checks.append(
                ([("vat", "=", customer["tax_id"].strip())], self.env._("same tax id"))
            )
        zip_code = (customer.get("billing_address") or {}).get("zip")
        if zip_code:
            checks.append(
                (
                    [
                        ("name", "=ilike", customer["name"].strip()),
                        ("zip", "=", zip_code),
                    ],
                    self.env._("same name and postcode"),
                )
            )
        for domain, reason in checks:
            found = Partner.search(domain + [("ref", "!=", customer["id"])], limit=5)
            if found:
                return found, reason
        return Partner, None

    @api.model
    def _create_sale_order(
        self, data, lines, products, partner, team, pricelist, warehouse, endpoint
    ):
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "team_id": team.id,
                "pricelist_id": pricelist.id,
                "warehouse_id": warehouse.id,
                "client_order_ref": data["id"],
                "origin": f"{endpoint.code}: {data['id']}"[:200],
                "company_id": endpoint.company_id.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": products[line["sku"].strip()].id,
                            "product_uom_qty": line["quantity"],
                            "price_unit": line["unit_price"],
                        }
                    )
                    for line in lines
                ],
            }
        )

    def _confirm_and_reserve(self):
        """Confirm the sales order and reserve its delivery, all or nothing."""
        self.ensure_one()
        sale_order = self.sudo().sale_order_id.with_env(self.env)
        sale_order.action_confirm()
        self._reach(CONFIRMED)
        picking = sale_order.picking_ids.filtered(
            lambda p: (
                p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
            )
        )[:1]
        if picking:
            picking.action_assign()
            if picking.state != "assigned":
                # the free quantities were there a moment ago: someone else took them
                raise StockShortage(
                    self.env._(
                        "Order %(order)s could not be fully reserved in %(warehouse)s.",
                        order=self.name,
                        warehouse=self.warehouse_id.name,
                    ),
                    suggested_action=self.env._(
                        "Replenish the warehouse, then retry. No backorder was created."
                    ),
                    records=self.warehouse_id,
                )
        self.write({"picking_id": picking.id})
        self._reach(RESERVED)

    def _send_to_logistics(self, parent):
        """Hand the reserved delivery to the warehouse's 3PL, through the outbound
        delivery: held while the 3PL is down, sent in order when it is back."""
        self.ensure_one()
        endpoint = self.warehouse_id.sudo().interop_logistics_endpoint_id
        event_type = (
            self.env["interop.event.type"]
            .sudo()
            ._find(DISPATCH_EVENT, direction="outbound")
        )
        if (
            not endpoint
            or not event_type
            or endpoint.state != "active"
            or endpoint.system_kind != "logistics"
        ):
            return self.env["interop.message"]
        picking = self.sudo().picking_id
        payload = {
            "order_ref": self.name,
            "delivery_ref": picking.name or None,
            "warehouse": self.warehouse_id.code,
            "ship_to": {
                "name": self.partner_id.name,
                "street": self.partner_id.street or None,
                "city": self.partner_id.city or None,
                "zip": self.partner_id.zip or None,
                "country": self.partner_id.country_id.code or None,
            },
            "lines": [
                {
                    "sku": move.product_id.default_code or str(move.product_id.id),
                    "quantity": move.product_uom_qty,
                    "lots": move.move_line_ids.lot_id.mapped("name"),
                }
                for move in picking.move_ids
            ],
        }
        # sudo: the service user of the shop may not manage deliveries; delivery is
        # always a job of its own, even when processing runs inline
        message = (
            endpoint.sudo()
            .with_context(queue_job__no_delay=False)
            ._send(event_type, payload, parent=parent, path="/shipments")
        )
        self.write({"dispatch_message_id": message.id})
        return message

    def _ship(self, shipment):
        """Validate the delivery with the lots and tracking reference of the 3PL
        (once: a repeated or late status finds it done)."""
        self.ensure_one()
        picking = self.sudo().picking_id.with_env(self.env)
        when = self._event_time(shipment)
        if picking and picking.state not in ("done", "cancel"):
            self._apply_reported_lots(picking, shipment.get("lines") or [])
            for move in picking.move_ids:
                if not move.quantity:
                    move.quantity = move.product_uom_qty
                move.picked = True
            picking.with_context(
                skip_backorder=True, picking_ids_not_to_backorder=picking.ids
            ).button_validate()
            picking._message_log(
                body=self.env._(
                    "Shipped by the 3PL: shipment %(shipment)s, %(carrier)s "
                    "%(tracking)s.",
                    shipment=shipment["id"],
                    carrier=shipment.get("carrier") or "",
                    tracking=shipment.get("tracking_ref") or "",
                )
            )
            if picking.state != "done":
                raise BusinessRuleError(
                    self.env._(
                        "Order %(order)s: delivery %(picking)s could not be validated "
                        "with what the 3PL reported shipped.",
                        order=self.name,
                        picking=picking.name,
                    ),
                    suggested_action=self.env._(
                        "Check the delivery's quantities and lots with the 3PL, then "
                        "retry."
                    ),
                    records=self,
                )
        self._reach(DISPATCHED, when=when)

    def _apply_reported_lots(self, picking, lines):
        """The lots the 3PL shipped replace the ones Odoo reserved."""
        by_sku = {}
        for line in lines:
            if line.get("lot"):
                by_sku.setdefault(line["sku"].strip(), []).append(line)
        if not by_sku:
            return
        products = self.env["interop.mapping.table"]._resolve_many(
            "supply-skus", list(by_sku), endpoint=self.endpoint_id
        )
        Lot = self.env["stock.lot"]
        for sku, reported in by_sku.items():
            product = products[sku]
            move = picking.move_ids.filtered(lambda m, p=product: m.product_id == p)[:1]
            if not move or product.tracking == "none":
                continue
            move.move_line_ids.unlink()
            for line in reported:
                lot = Lot.search(
                    [
                        ("name", "=", line["lot"]),
                        ("product_id", "=", product.id),
                        ("company_id", "in", [picking.company_id.id, False]),
                    ],
                    limit=1,
                ) or Lot.create(
                    {
                        "name": line["lot"],
                        "product_id": product.id,
                        "company_id": picking.company_id.id,
                    }
                )
                self.env["stock.move.line"].create(
                    {
                        "move_id": move.id,
                        "picking_id": picking.id,
                        "product_id": product.id,
                        "product_uom_id": move.product_uom.id,
                        "lot_id": lot.id,
                        "quantity": line.get("quantity") or move.product_uom_qty,
                        "location_id": move.location_id.id,
                        "location_dest_id": move.location_dest_id.id,
                    }
                )

    @api.model
    def _event_time(self, shipment):
        text = shipment.get("occurred_at")
        if not text:
            return fields.Datetime.now()
        return fields.Datetime.to_datetime(text.replace("T", " ").rstrip("Z")[:19])

    def _handle_failed_delivery(self, message, status):
        """Take the goods back (a return of the delivery, or the delivery cancelled
        when it never left) and tell customer service."""
        self.ensure_one()
        picking = self.sudo().picking_id.with_env(self.env)
        returned = self.env["stock.picking"]
        if picking.state == "done":
            # as Odoo itself: the return is posted on the delivery's chatter, which
            # needs an author with an email address (a service user has none)
            wizard = (
                self.env["stock.return.picking"]
                .with_user(SUPERUSER_ID)
                .with_context(active_id=picking.id, active_model="stock.picking")
                .create({"picking_id": picking.id})
            )
            for line in wizard.product_return_moves:
                line.quantity = line.move_id.quantity
            returned = wizard._create_return().with_env(self.env)
        elif picking and picking.state != "cancel":
            picking.action_cancel()
        self.write(
            {
                "state": RETURNED,
                "date_state": fields.Datetime.now(),
                "date_returned": fields.Datetime.now(),
                "return_picking_id": returned.id,
            }
        )
        error = BusinessRuleError(
            self.env._(
                "Order %(order)s: the 3PL reported the delivery %(status)s; %(what)s",
                order=self.name,
                status=status.replace("_", " "),
                what=self.env._("a return was created.")
                if returned
                else self.env._("the delivery was cancelled before it left."),
            ),
            suggested_action=self.env._(
                "Contact the customer to arrange a new delivery or a credit note; "
                "resolve this exception once done."
            ),
            records=self,
        )
        # the message went through: the exception is customer service's work, not
        # a failure of the message (so it is not resolved with it)
        self.env["interop.exception"].sudo()._open(
            error, endpoint=message.endpoint_id, event_type=message.event_type_id
        )

    def _invoice(self):
        """The customer invoice, exactly once: ordered or delivered quantities."""
        self.ensure_one()
        if self.sudo().invoice_id:
            return self.sudo().invoice_id
        sale_order = self.sudo().sale_order_id.with_env(self.env)
        lines = sale_order.order_line.filtered(lambda line: not line.display_type)
        commands = []
        for line in lines:
            quantity = (
                line.product_uom_qty
                if self.invoice_policy == "order"
                else line.qty_delivered
            )
            if quantity:
                commands.append(
                    Command.create(line._prepare_invoice_line(quantity=quantity))
                )
        if not commands:
            raise BusinessRuleError(
                self.env._(
                    "Order %(order)s was delivered but nothing is left to invoice.",
                    order=self.name,
                ),
                records=self,
            )
        vals = sale_order._prepare_invoice()
        vals["invoice_line_ids"] = commands
        if self.payment_reference:
            vals["payment_reference"] = self.payment_reference
        invoice = self.env["account.move"].create(vals)
        invoice.action_post()
        self.write({"invoice_id": invoice.id})
        self._reach(INVOICED)
        return invoice
