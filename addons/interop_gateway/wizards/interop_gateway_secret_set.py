# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class InteropGatewaySecretSet(models.TransientModel):
    """Set or replace an endpoint's HMAC signing secret; it is never shown back."""

    _name = "interop.gateway.secret.set"
    _description = "Set a Gateway Signing Secret"

    endpoint_id = fields.Many2one("interop.endpoint", required=True, readonly=True)
    # Typed in the form, encrypted at once: the wizard's table never holds it in clear.
    secret = fields.Char(
        compute="_compute_secret",
        inverse="_inverse_secret",
        help="The secret agreed with the partner system, at least 16 characters.",
    )
    secret_enc = fields.Text()

    def _compute_secret(self):
        for wizard in self:
            wizard.secret = False

    def _inverse_secret(self):
        crypto = self.env["interop.crypto"]
        for wizard in self:
            wizard.secret_enc = (
                crypto._encrypt(wizard.secret) if wizard.secret else False
            )

    def action_apply(self):
        self.ensure_one()
        secret = self.env["interop.crypto"]._decrypt(self.secret_enc)
        self.endpoint_id._set_gateway_secret(secret)
        self.unlink()
        return {"type": "ir.actions.act_window_close"}
