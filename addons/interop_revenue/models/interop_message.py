# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class InteropMessage(models.Model):
    _inherit = "interop.message"

    def _process(self):
        # A completed visit is registered before its processing, outside the
        # processing savepoint: a visit that cannot be billed yet stays visible, stuck
        # at "received", with the exception that stops it.
        if self.event_type_id.code == "service.completed":
            self.env["interop.visit"]._register_from_message(self)
        return super()._process()
