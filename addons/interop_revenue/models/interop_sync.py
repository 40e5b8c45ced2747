# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class InteropSync(models.Model):
    """The gateway's settlement report, pulled by a sync, reconciled row by row."""

    _inherit = "interop.sync"

    pull_handler = fields.Selection(
        selection_add=[("settlement", "Settlement Report")],
        ondelete={"settlement": "set default"},
    )

    def _pull_item_settlement(self, item):
        """Reconcile one settlement row ({id, amount, currency, date}) with the
        payments; a mismatch opens its exception and counts as failed."""
        exceptions = self.env["interop.visit.payment"]._reconcile_settlement(
            [item], self.endpoint_id
        )
        return "failed" if exceptions else "updated"
