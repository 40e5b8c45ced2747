# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class InteropStockCountLine(models.Model):
    """One product of a location's count: counted, on hand in Odoo, the gap."""

    _name = "interop.stock.count.line"
    _description = "Stock Count Line"
    _order = "count_id, id"
    _check_company_auto = True

    count_id = fields.Many2one(
        "interop.stock.count", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="count_id.company_id", store=True)
    sku = fields.Char(string="SKU", required=True)
    product_id = fields.Many2one("product.product", required=True, check_company=True)
    counted_qty = fields.Float(string="Counted", digits="Product Unit of Measure")
    onhand_qty = fields.Float(string="On Hand", digits="Product Unit of Measure")
    difference_qty = fields.Float(
        string="Difference",
        compute="_compute_difference_qty",
        store=True,
        digits="Product Unit of Measure",
    )
    is_beyond_tolerance = fields.Boolean(string="Beyond Tolerance")

    @api.depends("counted_qty", "onhand_qty")
    def _compute_difference_qty(self):
        for line in self:
            line.difference_qty = line.counted_qty - line.onhand_qty
