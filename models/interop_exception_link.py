# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

#: records whose display name may be a person's name (PHI): shown by their id only
PERSON_MODELS = ("res.partner", "res.users", "hr.employee")


class InteropExceptionLink(models.Model):
    """A record an exception is about: the price list, the visit, the contact..."""

    _name = "interop.exception.link"
    _description = "Record an Exception Is About"
    _order = "sequence, id"

    exception_id = fields.Many2one(
        "interop.exception",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    # for the company rule
    company_id = fields.Many2one(
        related="exception_id.company_id", store=True, readonly=True
    )
    sequence = fields.Integer(default=10, readonly=True)
    res_model = fields.Char(string="Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="Record ID", model_field="res_model", required=True, readonly=True
    )
    model_description = fields.Char(
        string="Type", compute="_compute_labels", help="What kind of record it is."
    )
    name = fields.Char(
        string="Record",
        compute="_compute_labels",
        help="The record, as you may see it. People are named by their number: "
        "their name may be health information.",
    )

    @api.model_create_multi
    @api.private
    def create(self, vals_list):
        # written by the code that opens the exception only
        return super().create(vals_list)

    @api.depends("res_model", "res_id")
    @api.depends_context("uid")
    def _compute_labels(self):
        IrModel = self.env["ir.model"]
        for link in self:
            link.model_description = (
                IrModel._get(link.res_model).name if link.res_model else False
            )
            link.name = link._label()

    def _label(self):
        self.ensure_one()
        if self.res_model not in self.env:
            return False
        record = self.env[self.res_model].browse(self.res_id)
        if self.res_model in PERSON_MODELS:
            return f"#{self.res_id}"
        readable = record.exists()._filtered_access("read")
        if not readable:
            return self.env._("#%(id)s (not readable by you)", id=self.res_id)
        return readable.display_name

    def action_open_record(self):
        self.ensure_one()
        # the user's own rights apply to the record opened
        record = self.env[self.res_model].browse(self.res_id)
        record.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
