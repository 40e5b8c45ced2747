# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.exceptions import UserError

SEVERITIES = [
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("critical", "Critical"),
]


class InteropExceptionCategory(models.Model):
    """A kind of failure, with the deadline its owner has to act."""

    _name = "interop.exception.category"
    _description = "Exception Category"
    _order = "sequence, id"

    code = fields.Char(required=True, readonly=True)
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    sla_hours = fields.Integer(
        string="SLA (hours)",
        required=True,
        default=24,
        help="Time the owner has to act; past it the exception is escalated.",
    )
    severity = fields.Selection(SEVERITIES, required=True, default="medium")
    suggested_action = fields.Text(
        translate=True, help="Proposed to the owner when the failure gives none."
    )
    description = fields.Text(translate=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "An exception category with this code exists."),
        ("sla_positive", "CHECK(sla_hours > 0)", "The SLA must be at least one hour."),
    ]

    def write(self, vals):
        # errors name their category by code (errors.py): a renamed code would send
        # every such failure to the technical category, with its owner and SLA
        if (
            "code" in vals
            and not self.env.su
            and any(category.code != vals["code"] for category in self)
        ):
            raise UserError(
                self.env._(
                    "The code of an exception category is how failures find it: it "
                    "cannot change."
                )
            )
        return super().write(vals)
