# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

#: what the service user of a supply endpoint needs: contacts, sales orders,
#: deliveries and invoices (the bank's statement lines are written by the sync)
SUPPLY_SERVICE_GROUPS = (
    "base.group_partner_manager",
    "sales_team.group_sale_salesman_all_leads",
    "stock.group_stock_user",
    "account.group_account_invoice",
)


class InteropEndpoint(models.Model):
    _inherit = "interop.endpoint"

    @api.model
    def _grant_supply_service_rights(self, endpoint_ids):
        """Give the service users of these endpoints the rights of the supply flows.

        Demo data and administrators call it once the endpoints are activated (which
        creates their service users): an order is confirmed, reserved, shipped and
        invoiced with the service user's own rights.
        """
        groups = [self.env.ref(xmlid).id for xmlid in SUPPLY_SERVICE_GROUPS]
        # sudo: granting groups is an administrator's right; only these groups,
        # only to these endpoints' service users
        users_sudo = self.browse(endpoint_ids).service_user_id.sudo()
        users_sudo.write({"groups_id": [(4, group_id) for group_id in groups]})
        return True
