# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

#: the screen each Interop role opens first, from the Interop app (first match
#: wins; None: the exception queue, as the core's app menu opens it)
HOMES = (
    ("interop.group_interop_manager", "interop_monitor.interop_monitor_health_action"),
    ("interop.group_interop_user", None),
    ("interop.group_interop_auditor", "interop.interop_audit_entry_action"),
)


class ResUsers(models.Model):
    _inherit = "res.users"

    def _interop_home_action(self):
        """The window action the Interop app opens for this user: engineers
        (Managers) the integration health, operators their exception queue,
        auditors the audit trail. A user's own Home Action, set on the user, is
        where Odoo opens after login and is not changed by this."""
        self.ensure_one()
        for group, action in HOMES:
            if self.has_group(group):
                if action:
                    return self.env["ir.actions.act_window"]._for_xml_id(action)
                break
        return self.env["interop.exception"]._action_open_queue()
