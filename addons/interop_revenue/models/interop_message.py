# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class InteropMessage(models.Model):
    _inherit = "interop.message"

    timing_rule_id = fields.Many2one(
        "interop.timing.rule",
        string="Held By Rule",
        readonly=True,
        ondelete="set null",
        help="The timing rule that holds the message (or held it last).",
    )

    @api.model
    def _get_interop_preprocessors(self):
        # A completed visit is registered before its processing, outside the
        # processing savepoint: a visit that cannot be billed yet stays visible, stuck
        # at "received", with the exception that stops it.
        return dict(
            super()._get_interop_preprocessors(),
            **{"service.completed": ("interop.visit", "_register_from_message")},
        )

    def _hold_vals(self, held):
        # the timing rule that holds the message is shown on it
        vals = super()._hold_vals(held)
        rule = held.rule
        if rule and rule._name == "interop.timing.rule":
            vals["timing_rule_id"] = rule.id
        return vals
