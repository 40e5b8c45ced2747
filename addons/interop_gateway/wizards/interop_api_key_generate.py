# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

DEFAULT_VALIDITY_DAYS = 365


class InteropApiKeyGenerate(models.TransientModel):
    """Generate an API key for an endpoint; the key is shown once, then never."""

    _name = "interop.api.key.generate"
    _description = "Generate a Gateway API Key"

    endpoint_id = fields.Many2one("interop.endpoint", required=True, readonly=True)
    name = fields.Char(
        string="Description",
        required=True,
        help="What the key is for, e.g. 'CareSlot production, rotated 2026-11'.",
    )
    date_expiry = fields.Datetime(
        string="Expires On",
        default=lambda self: self._default_date_expiry(),
        help="Empty: the key does not expire.",
    )
    event_type_ids = fields.Many2many(
        "interop.event.type",
        string="Allowed Event Types",
        domain="[('direction', '=', 'inbound')]",
        help="Empty: every inbound event type.",
    )

    @api.model
    def _default_date_expiry(self):
        return fields.Datetime.now() + timedelta(days=DEFAULT_VALIDITY_DAYS)

    def action_generate(self):
        self.ensure_one()
        if self.date_expiry and self.date_expiry <= fields.Datetime.now():
            raise UserError(
                self.env._("The expiry date of a new key is in the future.")
            )
        _record, key = self.env["interop.api.key"]._generate(
            self.endpoint_id,
            self.name,
            date_expiry=self.date_expiry,
            event_types=self.event_type_ids,
        )
        # nothing of the request is kept, as with Odoo's own API keys
        self.unlink()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("API Key Ready"),
            "res_model": "interop.api.key.show",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_key": key},
        }
