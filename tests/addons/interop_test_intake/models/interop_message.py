# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class InteropMessage(models.Model):
    _inherit = "interop.message"

    # what a module of the suite may add to every message: a field with a default,
    # and a stored computed field
    intake_channel = fields.Char(default="default-channel", readonly=True)
    intake_size_kb = fields.Integer(compute="_compute_intake_size_kb", store=True)

    @api.depends("payload_size")
    def _compute_intake_size_kb(self):
        for message in self:
            message.intake_size_kb = (message.payload_size + 1023) // 1024
