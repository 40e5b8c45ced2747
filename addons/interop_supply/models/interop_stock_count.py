# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare, float_is_zero

from odoo.addons.interop.errors import BusinessRuleError

from ..order_flow import float_param

COUNT_TOLERANCE_PARAM = "interop_supply.count_tolerance_percent"
MATCHED = "matched"
TO_APPROVE = "to_approve"
APPLIED = "applied"
APPROVER_GROUP = "interop.group_interop_manager"


class InteropStockCount(models.Model):
    """A care delivery location's count, compared with Odoo's stock.

    Differences beyond the tolerance wait for an Interop manager's approval, which
    posts the inventory adjustment; nothing is adjusted silently.
    """

    _name = "interop.stock.count"
    _description = "Stock Count"
    _inherit = ["mail.thread"]
    _order = "date_counted desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Count ID", required=True, readonly=True, index=True)
    endpoint_id = fields.Many2one(
        "interop.endpoint", required=True, readonly=True, check_company=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    location_code = fields.Char(readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    location_id = fields.Many2one("stock.location", readonly=True)
    date_counted = fields.Datetime(string="Counted On", readonly=True)
    state = fields.Selection(
        [
            (MATCHED, "Matches Stock"),
            (TO_APPROVE, "Adjustment to Approve"),
            (APPLIED, "Adjustment Posted"),
        ],
        required=True,
        default=MATCHED,
        readonly=True,
        tracking=True,
    )
    line_ids = fields.One2many("interop.stock.count.line", "count_id", readonly=True)
    mismatch_count = fields.Integer(
        string="Lines Beyond Tolerance", compute="_compute_mismatch_count", store=True
    )
    approved_by_id = fields.Many2one("res.users", readonly=True, tracking=True)
    date_applied = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(company_id, endpoint_id, name)",
            "This count was received already.",
        ),
    ]

    @api.depends("line_ids.is_beyond_tolerance")
    def _compute_mismatch_count(self):
        for count in self:
            count.mismatch_count = len(count.line_ids.filtered("is_beyond_tolerance"))

    # Handler

    @api.model
    def _interop_handle_stock_count(self, message, payload):
        """Compare a location's count with its quants: beyond the tolerance, an
        inventory exception listing the products waits for approval."""
        return self.with_company(message.company_id)._receive_count(message, payload)

    @api.model
    def _receive_count(self, message, payload):
        data = payload["count"]
        endpoint = message.endpoint_id
        existing = self.search(
            [
                ("name", "=", data["id"]),
                ("endpoint_id", "=", endpoint.id),
                ("company_id", "=", message.company_id.id),
            ],
            limit=1,
        )
        if existing:
            return existing
        Mapping = self.env["interop.mapping.table"]
        warehouse = Mapping._resolve(
            "supply-locations", data["location"], endpoint=endpoint
        )
        lines = payload["lines"]
        products = Mapping._resolve_many(
            "supply-skus", [line["sku"] for line in lines], endpoint=endpoint
        )
        location = warehouse.lot_stock_id
        tolerance = self._tolerance()
        line_vals = []
        for line in lines:
            sku = line["sku"].strip()
            product = products[sku].with_context(location=location.id)
            onhand = product.qty_available
            rounding = product.uom_id.rounding
            gap = abs(line["quantity"] - onhand)
            allowed = abs(onhand) * tolerance / 100.0
            beyond = not float_is_zero(gap, precision_rounding=rounding) and (
                float_compare(gap, allowed, precision_rounding=rounding) > 0
            )
            line_vals.append(
                {
                    "sku": sku,
                    "product_id": product.id,
                    "counted_qty": line["quantity"],
                    "onhand_qty": onhand,
                    "is_beyond_tolerance": beyond,
                }
            )
        count = self.create(
            {
                "name": data["id"],
                "endpoint_id": endpoint.id,
                "company_id": message.company_id.id,
                "location_code": data["location"],
                "warehouse_id": warehouse.id,
                "location_id": location.id,
                "date_counted": fields.Datetime.to_datetime(
                    data["counted_at"].replace("T", " ").rstrip("Z")[:19]
                ),
                "line_ids": [Command.create(vals) for vals in line_vals],
            }
        )
        if count.mismatch_count:
            count.state = TO_APPROVE
            count._open_exception(message)
        return count

    @api.model
    def _tolerance(self):
        return float_param(self.env, COUNT_TOLERANCE_PARAM, 2.0, 0.0)

    def _open_exception(self, message):
        self.ensure_one()
        listed = "; ".join(
            self.env._(
                "%(sku)s counted %(counted)s, Odoo %(onhand)s",
                sku=line.sku,
                counted=line.counted_qty,
                onhand=line.onhand_qty,
            )
            for line in self.line_ids.filtered("is_beyond_tolerance")
        )
        error = BusinessRuleError(
            self.env._(
                "Stock count %(count)s of %(location)s differs from Odoo beyond "
                "%(tolerance)s%%: %(lines)s.",
                count=self.name,
                location=self.location_code,
                tolerance=self._tolerance(),
                lines=listed,
            ),
            suggested_action=self.env._(
                "Check the count with the location. An Interop manager approves the "
                "adjustment on the count (it posts the inventory adjustment), or "
                "dismisses this exception to keep Odoo's quantities."
            ),
            records=self,
        )
        # the message went through: the exception is the inventory owner's decision,
        # not a failure of the message (so it is not resolved with it)
        return (
            self.env["interop.exception"]
            .sudo()
            ._open(
                error, endpoint=message.endpoint_id, event_type=message.event_type_id
            )
        )

    def _exceptions(self):
        return (
            self.env["interop.exception"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("state", "in", ("open", "in_progress")),
                ]
            )
        )

    # Approval

    def action_approve(self):
        """Post the inventory adjustment of the lines beyond tolerance."""
        self.ensure_one()
        if not self.env.user.has_group(APPROVER_GROUP):
            raise AccessError(
                self.env._(
                    "Only an Interop manager approves the inventory adjustment of a "
                    "stock count."
                )
            )
        self.check_access("read")
        if self.state != TO_APPROVE:
            raise UserError(
                self.env._(
                    "Stock count %(count)s has no adjustment waiting for approval.",
                    count=self.name,
                )
            )
        self._apply_adjustment()
        # sudo: the approval is the count's only change, made here past the checks
        # above (no Interop role writes counts through RPC)
        self.sudo().write(
            {
                "state": APPLIED,
                "approved_by_id": self.env.uid,
                "date_applied": fields.Datetime.now(),
            }
        )
        self._exceptions()._close(
            "resolved",
            self.env._(
                "Inventory adjustment approved by %(user)s.", user=self.env.user.name
            ),
        )
        return True

    def _apply_adjustment(self):
        """Set the counted quantities in the location, as an inventory adjustment.

        sudo: an Interop manager approves what the location counted; posting the
        adjustment needs the inventory administrator's rights, only for these lines.
        """
        Quant = self.env["stock.quant"].sudo().with_context(inventory_mode=True)
        for line in self.line_ids.filtered("is_beyond_tolerance"):
            product = line.product_id.sudo().with_context(location=self.location_id.id)
            difference = line.counted_qty - product.qty_available
            quant = Quant.search(
                [
                    ("product_id", "=", line.product_id.id),
                    ("location_id", "=", self.location_id.id),
                    ("lot_id", "=", False),
                ],
                limit=1,
            )
            if not quant:
                quant = Quant.create(
                    {
                        "product_id": line.product_id.id,
                        "location_id": self.location_id.id,
                        "inventory_quantity": 0.0,
                    }
                )
            quant.inventory_quantity = quant.quantity + difference
            quant._apply_inventory()
