# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    interop_logistics_endpoint_id = fields.Many2one(
        "interop.endpoint",
        string="3PL Endpoint",
        groups="interop.group_interop_manager",
        domain="[('system_kind', '=', 'logistics'), ('direction', '!=', 'inbound')]",
        help="The logistics provider that ships this warehouse's confirmed orders: "
        "each confirmed delivery is sent to it (held and sent in order while it is "
        "down). Empty: deliveries are shipped by hand.",
    )
