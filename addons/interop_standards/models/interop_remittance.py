# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from .interop_x12_adapter import PLB_CODES


class InteropRemittance(models.Model):
    """A payer's remittance advice (X12 835) as imported: its payment, its claims
    and what Odoo made of them (payments posted and reconciled by the revenue
    flow, denials and partial payments for the revenue owner)."""

    _name = "interop.remittance"
    _description = "Remittance Advice"
    _order = "date_payment desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Trace Number",
        required=True,
        readonly=True,
        index=True,
        help="TRN02: the check or EFT trace number of the payment.",
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
    message_id = fields.Many2one(
        "interop.message", string="Original Message", readonly=True, index=True
    )
    payer_name = fields.Char(string="Payer", readonly=True)
    payer_ref = fields.Char(string="Payer ID", readonly=True)
    date_payment = fields.Date(string="Payment Date", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(string="Payment (BPR02)", readonly=True)
    amount_plb = fields.Monetary(string="Provider Adjustments (PLB)", readonly=True)
    plb_summary = fields.Text(string="Provider Adjustments", readonly=True)
    plb_move_id = fields.Many2one(
        "account.move",
        string="Provider Adjustment Entry",
        readonly=True,
        groups="account.group_account_invoice",
    )
    claim_ids = fields.One2many(
        "interop.remittance.claim", "remittance_id", readonly=True
    )
    claim_count = fields.Integer(compute="_compute_counts")
    denied_count = fields.Integer(string="Denied", compute="_compute_counts")
    partial_count = fields.Integer(string="Partially Paid", compute="_compute_counts")

    @api.depends("claim_ids.state")
    def _compute_counts(self):
        for remittance in self:
            claims = remittance.claim_ids
            remittance.claim_count = len(claims)
            remittance.denied_count = len(
                claims.filtered(lambda c: c.state == "denied")
            )
            remittance.partial_count = len(
                claims.filtered(lambda c: c.state == "partial")
            )

    @api.model
    def _create_from_835(self, endpoint, original, data, messages):
        """The remittance of an imported 835 (``data`` as the adapter read it),
        its claims linked to their invoices and payment messages (``messages``:
        {claim reference: message})."""
        currency = endpoint.company_id.currency_id
        date = data.get("date") or ""
        # the invoices of every claim, read at once (CLP01: the invoice number)
        invoices = {}
        refs = list({claim["ref"] for claim in data["claims"]})
        for invoice in self.env["account.move"].search_fetch(
            [
                ("name", "in", refs),
                ("move_type", "=", "out_invoice"),
                ("company_id", "=", endpoint.company_id.id),
            ],
            ["name"],
        ):
            invoices.setdefault(invoice.name, invoice.id)
        Claim = self.env["interop.remittance.claim"]
        claims = []
        for claim in data["claims"]:
            message = messages.get(claim["ref"])
            claims.append(
                Command.create(
                    {
                        "name": claim["ref"],
                        "status_code": claim["status"],
                        "amount_charged": float(claim["charged"]),
                        "amount_paid": float(claim["paid"]),
                        "amount_patient": float(claim["patient"]),
                        "payer_claim_ref": claim["payer_ref"],
                        "adjustment_summary": "; ".join(
                            Claim._adjustment_words(claim["adjustments"])
                        ),
                        "invoice_id": invoices.get(claim["ref"], False),
                        "payment_message_id": message.id if message else False,
                    }
                )
            )
        plb = data["plb"]
        return self.create(
            {
                "name": data["trace"],
                "endpoint_id": endpoint.id,
                "company_id": endpoint.company_id.id,
                "message_id": original.id,
                "payer_name": data["payer_name"],
                "payer_ref": data["payer_id"],
                "date_payment": f"{date[:4]}-{date[4:6]}-{date[6:8]}"
                if len(date) == 8
                else False,
                "currency_id": currency.id,
                "amount": float(data["amount"]),
                "amount_plb": float(sum(amount for _code, amount in plb)),
                "plb_summary": "\n".join(
                    f"{PLB_CODES.get(code, code)} ({code}): {amount}"
                    for code, amount in plb
                ),
                "claim_ids": claims,
            }
        )

    def _post_provider_adjustments(self):
        """Post the PLB total on the payment journal: the payer paid the claims
        minus it (BPR02), so the bank is credited what it withheld (an
        overpayment recovered, a withholding) against the journal's loss
        account, or debited what it added (interest) against its profit account.
        Posted by the endpoint's service user."""
        self.ensure_one()
        amount = self.amount_plb
        if self.currency_id.is_zero(amount):
            return self.env["account.move"]
        endpoint = self.endpoint_id
        service_user = endpoint.service_user_id
        journal = endpoint._get_revenue_journal()
        counterpart = (
            journal.loss_account_id if amount > 0 else journal.profit_account_id
        )
        # the claims' payments wait on the journal's outstanding receipts account
        # for the deposit (BPR02) to match them: the adjustment joins them there
        outstanding = (
            journal.inbound_payment_method_line_ids[:1].payment_account_id
            or journal.default_account_id
        )
        if not journal or not outstanding or not counterpart:
            raise UserError(
                self.env._(
                    "The provider adjustments of remittance %(trace)s cannot be "
                    "posted: the payment journal of %(endpoint)s needs a bank account "
                    "an outstanding receipts account and a profit and a loss account.",
                    trace=self.name,
                    endpoint=endpoint.display_name,
                )
            )
        label = self.env._(
            "Provider adjustments of remittance %(trace)s", trace=self.name
        )
        magnitude = abs(amount)
        bank_line = {
            "name": label,
            "account_id": outstanding.id,
            "debit": 0.0 if amount > 0 else magnitude,
            "credit": magnitude if amount > 0 else 0.0,
        }
        counterpart_line = {
            "name": label,
            "account_id": counterpart.id,
            "debit": bank_line["credit"],
            "credit": bank_line["debit"],
        }
        move = (
            self.env["account.move"]
            .with_user(service_user)
            .with_company(endpoint.company_id)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "date": self.date_payment or fields.Date.context_today(self),
                    "ref": label,
                    "line_ids": [
                        Command.create(bank_line),
                        Command.create(counterpart_line),
                    ],
                }
            )
        )
        move.action_post()
        self.sudo().plb_move_id = move
        return move
