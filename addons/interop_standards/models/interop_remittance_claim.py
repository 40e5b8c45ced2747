# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import float_compare

from .interop_x12_adapter import CLAIM_STATUSES, DENIED, reason_words


class InteropRemittanceClaim(models.Model):
    """One claim of a remittance (CLP): what the payer paid of it, and why not
    all of it."""

    _name = "interop.remittance.claim"
    _description = "Remittance Claim"
    _order = "remittance_id, id"

    remittance_id = fields.Many2one(
        "interop.remittance", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="remittance_id.company_id", store=True)
    currency_id = fields.Many2one(related="remittance_id.currency_id")
    name = fields.Char(string="Claim (CLP01)", required=True, readonly=True)
    status_code = fields.Char(string="Status Code (CLP02)", readonly=True)
    status_label = fields.Char(string="Payer Status", compute="_compute_status_label")
    state = fields.Selection(
        [("paid", "Paid"), ("partial", "Partially Paid"), ("denied", "Denied")],
        compute="_compute_state",
        store=True,
    )
    amount_charged = fields.Monetary(string="Charged", readonly=True)
    amount_paid = fields.Monetary(string="Paid", readonly=True)
    amount_patient = fields.Monetary(string="Patient Responsibility", readonly=True)
    payer_claim_ref = fields.Char(string="Payer Claim ID", readonly=True)
    adjustment_summary = fields.Text(string="Adjustments", readonly=True)
    invoice_id = fields.Many2one(
        "account.move", readonly=True, groups="account.group_account_invoice"
    )
    payment_message_id = fields.Many2one("interop.message", readonly=True)

    @api.depends("status_code")
    def _compute_status_label(self):
        for claim in self:
            claim.status_label = CLAIM_STATUSES.get(
                claim.status_code, claim.status_code or ""
            )

    @api.depends("status_code", "amount_charged", "amount_paid")
    def _compute_state(self):
        for claim in self:
            if claim.status_code == DENIED or not claim.amount_paid:
                claim.state = "denied"
            elif (
                float_compare(
                    claim.amount_paid,
                    claim.amount_charged,
                    precision_rounding=claim.currency_id.rounding or 0.01,
                )
                < 0
            ):
                claim.state = "partial"
            else:
                claim.state = "paid"

    @api.model
    def _adjustment_words(self, adjustments):
        return [
            f"{reason_words(group, reason)}: {amount}"
            for group, reason, amount in adjustments
        ]
