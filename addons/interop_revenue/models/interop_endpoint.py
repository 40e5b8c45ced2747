# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

#: what the service user of a revenue endpoint needs: contacts and invoicing
REVENUE_SERVICE_GROUPS = ("base.group_partner_manager", "account.group_account_invoice")


class InteropEndpoint(models.Model):
    _inherit = "interop.endpoint"

    revenue_journal_id = fields.Many2one(
        "account.journal",
        string="Payment Journal",
        tracking=True,
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash'))]",
        help="Payment gateways: the bank journal the captured payments of this "
        "endpoint are recorded on. Empty: the first bank journal of the company.",
    )

    def _get_revenue_journal(self):
        """The journal of this gateway's payments (may be empty)."""
        self.ensure_one()
        return self.revenue_journal_id or self.env["account.journal"].search(
            [
                ("type", "=", "bank"),
                ("company_id", "=", self.company_id.id),
            ],
            limit=1,
        )

    @api.model
    def _grant_revenue_service_rights(self, endpoint_ids):
        """Give the service users of these endpoints the rights of revenue flows.

        Demo data and administrators call it once the endpoints are activated (which
        creates their service users): billing visits creates contacts, invoices and
        payments, with the service user's own rights.
        """
        groups = [self.env.ref(xmlid).id for xmlid in REVENUE_SERVICE_GROUPS]
        # sudo: granting groups is an administrator's right; only these two groups,
        # only to these endpoints' service users
        users_sudo = self.browse(endpoint_ids).service_user_id.sudo()
        users_sudo.write({"groups_id": [(4, group_id) for group_id in groups]})
        return True

    def _reconcile_settlement(self, report_rows):
        """Compare this gateway's settlement ``report_rows`` ({id, amount, currency,
        date}) with the payments recorded; one exception per mismatch."""
        self.ensure_one()
        return self.env["interop.visit.payment"]._reconcile_settlement(
            report_rows, self
        )
