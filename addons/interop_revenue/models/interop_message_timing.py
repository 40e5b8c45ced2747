# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


# a file of its own, apart from interop_message.py: the timing rules are not
# processing (that file's business), they only say why a message waits
class InteropMessage(models.Model):
    """The timing rule that holds a message, shown on it."""

    _inherit = "interop.message"  # pylint: disable=consider-merging-classes-inherited

    timing_rule_id = fields.Many2one(
        "interop.timing.rule",
        string="Held By Rule",
        readonly=True,
        ondelete="set null",
    )

    def _hold_vals(self, held):
        vals = super()._hold_vals(held)
        rule = held.rule
        if rule and rule._name == "interop.timing.rule":
            vals["timing_rule_id"] = rule.id
        return vals
