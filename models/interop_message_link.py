# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class InteropMessageLink(models.Model):
    """An Odoo record a message created or touched."""

    _name = "interop.message.link"
    _description = "Message Record Link"
    _order = "id"

    message_id = fields.Many2one(
        "interop.message", required=True, readonly=True, index=True, ondelete="cascade"
    )
    # for the company rule. Not indexed, as the message's own: rows are read by
    # message, the rule filters the few the message index found
    company_id = fields.Many2one(
        related="message_id.company_id", store=True, readonly=True
    )
    res_model = fields.Char(string="Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference(
        string="Record ID", model_field="res_model", required=True, readonly=True
    )
    res_ref = fields.Reference(
        string="Record", selection="_selection_res_ref", compute="_compute_res_ref"
    )

    @api.model
    def _selection_res_ref(self):
        return [
            (model.model, model.name)
            for model in self.env["ir.model"].sudo().search([])
        ]

    @api.depends("res_model", "res_id")
    def _compute_res_ref(self):
        for link in self:
            link.res_ref = (
                f"{link.res_model},{link.res_id}"
                if link.res_model in self.env and link.res_id
                else False
            )

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
