# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError

from odoo.addons.interop.models.interop_message import REVEAL_KEY


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

    @api.depends_context("uid", REVEAL_KEY)
    def _compute_response_display(self):
        # hidden first, for everyone: PHI readers see it when they ask (Reveal), and
        # each time they do is recorded
        can_see_phi = self.env.context.get(REVEAL_KEY) and self.env.user.has_group(
            "interop.group_interop_phi"
        )
        crypto = self.env["interop.crypto"]
        for attempt in self:
            # sudo: the ciphertext column is restricted to administrators
            token = attempt.sudo().response_enc
            if not token:
                attempt.response_display = False
            elif not can_see_phi:
                attempt.response_display = self.env._(
                    "(hidden: what the remote answered may hold PHI; users with PHI "
                    "Access press Reveal to read it)"
                )
            else:
                attempt.response_display = crypto._decrypt_bytes(token).decode(
                    errors="replace"
                )
                attempt.message_id._log_phi_view()

    def action_reveal_response(self):
        """Show what the remote answered, to PHI readers only; the view is recorded."""
        self.ensure_one()
        self.check_access("read")
        if not self.env.user.has_group("interop.group_interop_phi"):
            raise AccessError(
                self.env._(
                    "Only users with PHI Access read what a remote answered; ask a "
                    "colleague who has it, or your Interop manager."
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Answer of %(name)s", name=self.display_name),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [
                (
                    self.env.ref(
                        "interop_outbound.interop_message_attempt_view_form_response"
                    ).id,
                    "form",
                )
            ],
            "target": "new",
            "context": {REVEAL_KEY: True},
        }
