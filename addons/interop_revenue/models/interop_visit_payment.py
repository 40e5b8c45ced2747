# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import float_compare, float_is_zero

from odoo.addons.interop.errors import BusinessRuleError

CAPTURED = "captured"
REVERSED_STATES = ("refunded", "chargeback")
PAYMENT_EVENT = "payment.status"
#: what the settlement reconciliation alone writes on a payment
SETTLEMENT_FIELDS = frozenset({"date_settled", "settlement_state", "settlement_ref"})
# The reconciliation's writes carry this object in their context: an object cannot
# travel through RPC, so no client-supplied context unlocks these fields.
SETTLEMENT_WRITE_KEY = "interop_revenue_settlement_write"
_SETTLEMENT_WRITE = object()
SETTLEMENT_STATES = [
    ("settled", "Settled"),
    ("mismatch", "Mismatch"),
    ("missing", "Missing from Report"),
]


class InteropVisitPayment(models.Model):
    """A payment of the gateway, as it reported it, and what Odoo made of it."""

    _name = "interop.visit.payment"
    _description = "Gateway Payment"
    _inherit = ["mail.thread"]
    _order = "date_event desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Gateway Payment ID", required=True, readonly=True)
    endpoint_id = fields.Many2one(
        "interop.endpoint", required=True, readonly=True, check_company=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    visit_id = fields.Many2one(
        "interop.visit", readonly=True, index=True, check_company=True
    )
    status = fields.Selection(
        [
            ("authorized", "Authorized"),
            ("captured", "Captured"),
            ("failed", "Failed"),
            ("refunded", "Refunded"),
            ("chargeback", "Chargeback"),
        ],
        required=True,
        readonly=True,
        tracking=True,
    )
    amount = fields.Monetary(
        readonly=True, help="The amount the payment gateway reported for this payment."
    )
    fees = fields.Monetary(readonly=True)
    currency_id = fields.Many2one(
        "res.currency", readonly=True, help="The currency of the amount and the fees."
    )
    date_event = fields.Datetime(string="Reported On", readonly=True)
    date_settled = fields.Datetime(
        string="Settled On",
        readonly=True,
        help="When the gateway's settlement report confirmed this payment.",
    )
    settlement_state = fields.Selection(
        SETTLEMENT_STATES,
        string="Settlement",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        group_expand=True,
        help="What the gateway's settlement report said of this payment: settled as "
        "captured, listed with another amount or currency, or missing from the "
        "report of its date.",
    )
    settlement_ref = fields.Char(
        string="Settlement Report",
        readonly=True,
        copy=False,
        help="The settlement report (date, payout) that listed this payment.",
    )
    account_payment_id = fields.Many2one(
        "account.payment",
        string="Payment",
        readonly=True,
        groups="account.group_account_invoice",
        help="The payment recorded in Accounting for this gateway payment.",
    )
    reversal_move_id = fields.Many2one(
        "account.move",
        string="Reversal",
        readonly=True,
        groups="account.group_account_invoice",
        help="The accounting entry that reversed the payment after a refund or a "
        "chargeback.",
    )

    _sql_constraints = [
        (
            "name_endpoint_uniq",
            "unique(endpoint_id, name)",
            "This gateway payment id is already recorded for this endpoint.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_settlement_write(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_settlement_write(vals)
        return super().write(vals)

    def _check_settlement_write(self, vals):
        """Whether a payment is settled is the settlement report's word, not a
        user's: those fields are written by the reconciliation only."""
        if (
            SETTLEMENT_FIELDS.intersection(vals)
            and self.env.context.get(SETTLEMENT_WRITE_KEY) is not _SETTLEMENT_WRITE
        ):
            raise AccessError(
                self.env._(
                    "Only the reconciliation of the gateway's settlement report "
                    "records whether a payment is settled."
                )
            )

    def _settlement_write(self, vals):
        return self.with_context(**{SETTLEMENT_WRITE_KEY: _SETTLEMENT_WRITE}).write(
            vals
        )

    # Handler

    @api.model
    def _interop_handle_payment_status(self, message, payload):
        """Record a gateway payment: captured pays the visit's invoice, refunded
        and chargeback reverse it; anything inconsistent goes to finance."""
        data = payload["payment"]
        endpoint = message.endpoint_id
        status = data["status"]
        existing = self.search(
            [("endpoint_id", "=", endpoint.id), ("name", "=", data["id"])], limit=1
        )
        existing_sudo = existing.sudo()
        if status == CAPTURED:
            if existing_sudo.account_payment_id:
                raise self._error(
                    self.env._(
                        "Gateway payment %(payment)s was already captured: a duplicate "
                        "payment id is never recorded twice.",
                        payment=data["id"],
                    ),
                    self.env._(
                        "Check with the gateway whether it is a second payment under "
                        "the same id; dismiss this exception if it is a resend."
                    ),
                    existing,
                )
            return self._capture(message, data, existing)
        if status in REVERSED_STATES:
            return self._reverse(message, data, existing)
        if existing_sudo.account_payment_id:
            raise self._error(
                self.env._(
                    "Gateway payment %(payment)s is captured; a later status "
                    "%(status)s cannot undo it.",
                    payment=data["id"],
                    status=status,
                ),
                self.env._("Ask the gateway for a refund event instead."),
                existing,
            )
        vals = self._prepare_payment_vals(message, data)
        if existing:
            existing.write(vals)
            return existing
        return self.create(vals)

    def _error(self, summary, suggested_action, records=None):
        # the exception links the payment (and the visit it pays) or the visit
        if records and records._name == self._name:
            records = [records, records.visit_id]
        return BusinessRuleError(
            summary, suggested_action=suggested_action, records=records or None
        )

    def _prepare_payment_vals(self, message, data):
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", data["currency"].upper())], limit=1)
        )
        occurred = data.get("occurred_at")
        return {
            "name": data["id"],
            "endpoint_id": message.endpoint_id.id,
            "company_id": message.endpoint_id.company_id.id,
            "status": data["status"],
            "amount": data["amount"],
            "fees": data.get("fees") or 0.0,
            "currency_id": currency.id,
            "date_event": (
                fields.Datetime.to_datetime(occurred.replace("T", " ")[:19])
                if occurred
                else fields.Datetime.now()
            ),
        }

    def _find_visit(self, endpoint, data):
        Visit = self.env["interop.visit"]
        domain = [("company_id", "=", endpoint.company_id.id)]
        if data.get("visit_id"):
            return Visit.search(domain + [("name", "=", data["visit_id"])], limit=1)
        if data.get("invoice_ref"):
            invoice = (
                self.env["account.move"]
                .sudo()
                .search(
                    [
                        ("name", "=", data["invoice_ref"]),
                        ("move_type", "=", "out_invoice"),
                        ("company_id", "=", endpoint.company_id.id),
                    ],
                    limit=1,
                )
            )
            if invoice:
                return Visit.search(domain + [("invoice_id", "=", invoice.id)], limit=1)
        return Visit

    def _capture(self, message, data, existing):
        endpoint = message.endpoint_id
        reference = data.get("visit_id") or data.get("invoice_ref")
        visit = self._find_visit(endpoint, data)
        invoice = visit.sudo().invoice_id.with_env(self.env)
        if visit:
            # the payment is part of the visit's flow: one correlation id
            visit._join_flow(message)
        # a timing rule may hold a payment that comes before its invoice
        self.env["interop.timing.rule"]._enforce(
            message,
            "payment",
            records=visit or None,
            invoice_posted=bool(invoice and invoice.state == "posted"),
        )
        if not visit or not invoice or invoice.state != "posted":
            raise self._error(
                self.env._(
                    "Gateway payment %(payment)s refers to %(reference)s, which has no "
                    "posted invoice in Odoo.",
                    payment=data["id"],
                    reference=reference,
                ),
                self.env._(
                    "Find the visit or invoice the payment belongs to (it may not be "
                    "billed yet); once it is invoiced, retry."
                ),
                visit,
            )
        vals = self._prepare_payment_vals(message, data)
        currency = self.env["res.currency"].browse(vals["currency_id"])
        if currency != invoice.currency_id:
            raise self._error(
                self.env._(
                    "Gateway payment %(payment)s is in %(currency)s but invoice "
                    "%(invoice)s is in %(invoice_currency)s.",
                    payment=data["id"],
                    currency=data["currency"],
                    invoice=invoice.name,
                    invoice_currency=invoice.currency_id.name,
                ),
                self.env._("Check the payment with the gateway, then retry."),
                visit,
            )
        rounding = invoice.currency_id.rounding
        amount = vals["amount"]
        if float_is_zero(amount, precision_rounding=rounding) or (
            float_compare(amount, invoice.amount_residual, precision_rounding=rounding)
            > 0
        ):
            raise self._error(
                self.env._(
                    "Gateway payment %(payment)s of %(amount)s %(currency)s does not "
                    "match invoice %(invoice)s, %(residual)s due.",
                    payment=data["id"],
                    amount=amount,
                    currency=currency.name,
                    invoice=invoice.name,
                    residual=invoice.amount_residual,
                ),
                self.env._(
                    "Correct the invoice (or have the visit amended) or ask the "
                    "gateway to refund the difference, then retry."
                ),
                visit,
            )
        journal = endpoint._get_revenue_journal()
        if not journal:
            raise self._error(
                self.env._(
                    "No payment journal is configured for %(endpoint)s.",
                    endpoint=endpoint.display_name,
                ),
                self.env._("Set the payment journal of the endpoint, then retry."),
            )
        payment = self._register_payment(invoice, journal, amount, vals, data)
        vals.update(visit_id=visit.id, account_payment_id=payment.id)
        if existing:
            existing.write(vals)
            record = existing
        else:
            record = self.create(vals)
        visit._update_payment_milestone(message)
        return [record, visit]

    def _register_payment(self, invoice, journal, amount, vals, data):
        """Post the payment and reconcile it with the invoice (partial or full)."""
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "journal_id": journal.id,
                    "amount": amount,
                    "currency_id": vals["currency_id"],
                    "payment_date": vals["date_event"].date(),
                    "communication": f"{invoice.name} / {data['id']}",
                    "payment_difference_handling": "open",
                }
            )
        )
        return wizard._create_payments()

    def _reverse(self, message, data, existing):
        existing_sudo = existing.sudo()
        if existing.visit_id:
            existing.visit_id._join_flow(message)
        payment = existing_sudo.account_payment_id
        if not payment or existing.status in REVERSED_STATES:
            raise self._error(
                self.env._(
                    "Gateway payment %(payment)s is %(status)s but Odoo has no "
                    "captured payment with this id to reverse.",
                    payment=data["id"],
                    status=data["status"],
                ),
                self.env._(
                    "Check the payment id with the gateway; retry once its capture "
                    "is recorded, or dismiss if it was reversed already."
                ),
                existing,
            )
        if float_compare(
            data["amount"],
            existing.amount,
            precision_rounding=payment.currency_id.rounding,
        ):
            raise self._error(
                self.env._(
                    "Gateway payment %(payment)s: the %(status)s amount %(amount)s "
                    "differs from the captured %(captured)s (partial reversals are "
                    "handled by hand).",
                    payment=data["id"],
                    status=data["status"],
                    amount=data["amount"],
                    captured=existing.amount,
                ),
                self.env._("Reverse the payment by hand in Accounting, then dismiss."),
                existing,
            )
        move = payment.with_env(self.env).move_id
        reversal = move._reverse_moves(
            default_values_list=[
                {
                    "ref": self.env._(
                        "%(status)s of gateway payment %(payment)s",
                        status=data["status"],
                        payment=data["id"],
                    ),
                }
            ],
            cancel=True,
        )
        existing.write({"status": data["status"], "reversal_move_id": reversal.id})
        existing.visit_id._update_payment_milestone(message)
        return [existing, existing.visit_id]
