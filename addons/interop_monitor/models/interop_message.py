# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.tools import create_index


class InteropMessage(models.Model):
    _inherit = "interop.message"

    monitor_hold_rule = fields.Char(
        string="Held By (Rule Name)",
        readonly=True,
        help="The name of the rule that holds the message (or held it last), as "
        "the module owning the rule names it: the held messages are counted per "
        "rule on the dashboards and in the metrics.",
    )

    monitor_date_held = fields.Datetime(
        string="First Held By a Rule",
        readonly=True,
        help="When a rule first held the message: a message checked again and "
        "held again keeps it (how long it waits in all).",
    )

    def _hold_vals(self, held):
        # any module's rule, read through the core's MessageHeld: the monitor does
        # not depend on the module that owns it
        vals = super()._hold_vals(held)
        rule = held.rule
        vals["monitor_hold_rule"] = (
            rule.sudo().display_name[:250] if rule else self.env._("(no rule)")
        )
        if not self.monitor_date_held:
            vals["monitor_date_held"] = fields.Datetime.now()
        return vals

    def init(self):
        result = super().init()
        # The rollup reads the messages finished since its watermark, in order. No
        # column retention's pruning writes is indexed: pruning stays a HOT update.
        create_index(
            self.env.cr,
            "interop_message_finished_idx",
            self._table,
            ["date_finished", "id"],
            where="date_finished IS NOT NULL",
        )
        return result
