# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models
from odoo.tools import create_index


class InteropMessage(models.Model):
    _inherit = "interop.message"

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
