# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class InteropMessageAttempt(models.Model):
    """An outbound attempt also records the call: status, latency, the answer."""

    _inherit = "interop.message.attempt"
    _interop_encrypted_fields = ["response_enc"]

    result = fields.Selection(
        selection_add=[("retry", "Will Retry")], ondelete={"retry": "set default"}
    )
    http_status = fields.Integer(string="HTTP Status", readonly=True)
    latency_ms = fields.Integer(string="Latency (ms)", readonly=True)
    credential_id = fields.Many2one(
        "interop.credential",
        readonly=True,
        ondelete="set null",
        groups="interop.group_interop_manager,interop.group_interop_auditor",
        help="The credential that authenticated the call.",
    )
    # What the remote answered may hold PHI: encrypted, administrators only, read
    # through response_display.
    response_enc = fields.Text(
        readonly=True, prefetch=False, groups="base.group_system"
    )
    response_size = fields.Integer(string="Response Size (bytes)", readonly=True)
    response_content_type = fields.Char(readonly=True)
    response_display = fields.Text(
        string="Response", compute="_compute_response_display"
    )

    @api.depends_context("uid")
    def _compute_response_display(self):
        can_see_phi = self.env.user.has_group("interop.group_interop_phi")
        crypto = self.env["interop.crypto"]
        for attempt in self:
            # sudo: the ciphertext column is restricted to administrators
            token = attempt.sudo().response_enc
            if not token:
                attempt.response_display = False
            elif not can_see_phi:
                attempt.response_display = self.env._(
                    "(hidden: PHI Access is needed to read what the remote answered)"
                )
            else:
                attempt.response_display = crypto._decrypt_bytes(token).decode(
                    errors="replace"
                )
                attempt.message_id._log_phi_view()
