# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields, models

#: minutes during which a second alert email about the same rule or endpoint waits
DEFAULT_EMAIL_QUIET_MINUTES = 60
ALERT_TEMPLATE = "interop_monitor.mail_template_interop_alert"


class InteropException(models.Model):
    _inherit = "interop.exception"

    def _monitor_email_owner(self, owner, last_sent=None):
        """Email the alert ``self`` to ``owner`` (a user, or a team: its lead and
        members), unless an email about the same rule or endpoint went out less
        than ``interop_monitor.alert_email_quiet_minutes`` ago (``last_sent``): a
        rule or endpoint flapping every minute sends one email an hour, not one a
        minute. Queued (mail.mail), sent by Odoo's mail queue. Returns whether an
        email was queued."""
        self.ensure_one()
        quiet = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(
                "interop_monitor.alert_email_quiet_minutes",
                DEFAULT_EMAIL_QUIET_MINUTES,
            )
        )
        now = fields.Datetime.now()
        if last_sent and last_sent > now - timedelta(minutes=quiet):
            return False
        if not owner:
            return False
        if owner._name == "interop.team":
            users = owner.lead_id | owner.member_ids
        else:
            users = owner
        partners = users.partner_id.filtered("email")
        if not partners:
            return False
        template = self.env.ref(ALERT_TEMPLATE).sudo()
        template.send_mail(
            self.id,
            email_values={"recipient_ids": [(6, 0, partners.ids)]},
        )
        return True
