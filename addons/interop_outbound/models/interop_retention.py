# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models
from odoo.tools import SQL


class InteropRetention(models.AbstractModel):
    _inherit = "interop.retention"

    @api.model
    def _retention_prune_related(self, message_ids):
        # what remotes answered these messages goes with their content, in SQL too
        result = super()._retention_prune_related(message_ids)
        if message_ids:
            self.env.cr.execute(
                SQL(
                    "UPDATE interop_message_attempt SET response_enc = NULL"
                    " WHERE message_id = ANY(%s) AND response_enc IS NOT NULL",
                    message_ids,
                )
            )
        return result
