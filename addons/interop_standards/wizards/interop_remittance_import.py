# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64
import binascii

from odoo import fields, models
from odoo.exceptions import UserError

#: an 835 file larger than this is refused before it is read (bytes)
MAX_FILE_SIZE = 20 * 1024 * 1024


class InteropRemittanceImport(models.TransientModel):
    """Upload a payer's X12 835 file: validated, balanced, then posted."""

    _name = "interop.remittance.import"
    _description = "Import Remittance Advice (X12 835)"

    endpoint_id = fields.Many2one(
        "interop.endpoint",
        string="Sent By",
        required=True,
        domain="[('state', '=', 'active'), ('direction', '!=', 'outbound')]",
        help="The payer or clearinghouse the file comes from: its message log, "
        "service user and payment journal are used.",
    )
    file = fields.Binary(string="835 File", required=True)
    filename = fields.Char()
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Imported"), ("rejected", "Rejected")],
        default="draft",
        readonly=True,
    )
    result = fields.Text(readonly=True)
    remittance_id = fields.Many2one("interop.remittance", readonly=True)
    message_id = fields.Many2one("interop.message", readonly=True)

    def action_import(self):
        """Import the file; the wizard then says what became of it. A rejected
        file is logged rejected with its reasons, and nothing else changes."""
        self.ensure_one()
        endpoint = self.endpoint_id
        # only an endpoint of the user's companies, and one that exchanges
        endpoint.check_access("write")
        endpoint._check_can_exchange()
        if not endpoint.service_user_id:
            raise UserError(
                self.env._(
                    "%(endpoint)s has no service user to post the payments.",
                    endpoint=endpoint.display_name,
                )
            )
        try:
            raw = base64.b64decode(self.file or b"", validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) > MAX_FILE_SIZE:
            raise UserError(self.env._("The file is larger than 20 MB."))
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            raise UserError(
                self.env._("The file is not text: an X12 file is ASCII.")
            ) from None
        imported = self.env["interop.x12.adapter"]._import_835(endpoint, text)
        if imported.reasons:
            self.write(
                {
                    "state": "rejected",
                    "result": "\n".join(imported.reasons),
                    "message_id": imported.message.id if imported.message else False,
                }
            )
        else:
            remittance = imported.remittance
            self.write(
                {
                    "state": "done",
                    "remittance_id": remittance.id if remittance else False,
                    "message_id": imported.message.id if imported.message else False,
                    "result": self.env._("Already imported: nothing changed.")
                    if imported.repeat
                    else self.env._("Imported: the paid claims are being posted."),
                }
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
