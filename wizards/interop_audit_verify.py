# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class InteropAuditVerify(models.TransientModel):
    """Recompute the audit trail's hash chain and show the outcome."""

    _name = "interop.audit.verify"
    _description = "Verify the Audit Trail"

    state = fields.Selection(
        [("intact", "Intact"), ("broken", "Broken")], readonly=True
    )
    checked = fields.Integer(string="Entries Checked", readonly=True)
    first_broken_sequence = fields.Integer(readonly=True)
    reason = fields.Char(readonly=True)
    last_sequence = fields.Integer(string="Last Verified Entry", readonly=True)
    last_hash = fields.Char(string="Its Hash", readonly=True)

    def action_verify(self):
        self.ensure_one()
        result = self.env["interop.audit.entry"]._verify_chain()
        self.write(
            {
                "state": "intact" if result["ok"] else "broken",
                "checked": result["checked"],
                "first_broken_sequence": result["first_broken_sequence"],
                "reason": result["reason"],
                "last_sequence": result["last_sequence"],
                "last_hash": result["last_hash"],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Verify Chain"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
