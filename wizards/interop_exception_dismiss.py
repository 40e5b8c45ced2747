# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class InteropExceptionDismiss(models.TransientModel):
    """Dismiss exceptions, saying why."""

    _name = "interop.exception.dismiss"
    _description = "Dismiss Integration Exceptions"

    exception_ids = fields.Many2many("interop.exception", string="Exceptions")
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "interop.exception":
            values["exception_ids"] = [(6, 0, self.env.context.get("active_ids", []))]
        return values

    def action_dismiss(self):
        self.ensure_one()
        self.exception_ids._dismiss(self.reason)
        return {"type": "ir.actions.act_window_close"}
