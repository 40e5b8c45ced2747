# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class InteropVisitLine(models.Model):
    """One service performed during a visit, priced by the payer's contract."""

    _name = "interop.visit.line"
    _description = "Visit Service Line"
    _order = "visit_id, id"

    visit_id = fields.Many2one(
        "interop.visit", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="visit_id.company_id", store=True)
    currency_id = fields.Many2one(related="visit_id.currency_id")
    service_code = fields.Char(required=True, help="The code the platform sent.")
    product_id = fields.Many2one("product.product", string="Service", required=True)
    quantity = fields.Float(default=1.0, required=True)
    date_service = fields.Date(string="Date of Service")
    modifiers = fields.Char(help="Modifiers of the service code, comma-separated.")
    price_unit = fields.Monetary(string="Contract Price")
    price_subtotal = fields.Monetary(
        string="Subtotal", compute="_compute_price_subtotal", store=True
    )

    @api.depends("quantity", "price_unit")
    def _compute_price_subtotal(self):
        for line in self:
            line.price_subtotal = line.quantity * line.price_unit

    def _invoice_label(self):
        self.ensure_one()
        label = f"{self.product_id.display_name} [{self.service_code}]"
        if self.modifiers:
            label += f" ({self.modifiers})"
        if self.date_service:
            label += f" – {fields.Date.to_string(self.date_service)}"
        return label
