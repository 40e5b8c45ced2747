# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class InteropCredentialSet(models.TransientModel):
    """Set or replace the secret of a credential; it is never shown back.

    The secret typed in is encrypted as soon as the form is saved (``secret`` is
    not stored: its inverse keeps only the ciphertext), so that not even this
    wizard's table holds it in clear.
    """

    _name = "interop.credential.set"
    _description = "Set Credential Secret"

    credential_id = fields.Many2one(
        "interop.credential", required=True, ondelete="cascade"
    )
    kind = fields.Selection(related="credential_id.kind")
    secret_status = fields.Char(
        related="credential_id.secret_status", string="Current Secret"
    )
    secret = fields.Char(
        compute="_compute_secret",
        inverse="_inverse_secret",
        help="API key, password, client secret, signing secret or token.",
    )
    secret_enc = fields.Text(readonly=True, groups="base.group_system")
    date_expiry = fields.Date(
        string="Expires On", help="When the remote system will stop accepting it."
    )

    def _compute_secret(self):
        # write-only: what was typed is never read back
        self.secret = False

    def _inverse_secret(self):
        crypto = self.env["interop.crypto"]
        for wizard in self:
            # sudo: the ciphertext column of the wizard is restricted like the vault's
            wizard.sudo().secret_enc = (
                crypto._encrypt(wizard.secret) if wizard.secret else False
            )

    def action_apply(self):
        self.ensure_one()
        # sudo: read back the ciphertext this wizard stored for the current user
        wizard_sudo = self.sudo()
        secret = self.env["interop.crypto"]._decrypt(wizard_sudo.secret_enc)
        self.credential_id._set_secret(secret, date_expiry=self.date_expiry or None)
        wizard_sudo.secret_enc = False
        return {"type": "ir.actions.act_window_close"}
