# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class InteropMessage(models.Model):
    _inherit = "interop.message"

    @api.model
    def _get_interop_preprocessors(self):
        # A completed visit is registered before its processing, outside the
        # processing savepoint: a visit that cannot be billed yet stays visible, stuck
        # at "received", with the exception that stops it.
        return dict(
            super()._get_interop_preprocessors(),
            **{"service.completed": ("interop.visit", "_register_from_message")},
        )
