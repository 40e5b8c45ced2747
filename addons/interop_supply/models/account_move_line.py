# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def reconcile(self):
        """An invoice paid in Accounting (a payment registered, a bank line matched
        by hand) moves its supply order to *paid*, as the bank sync does."""
        result = super().reconcile()
        invoices = self.move_id.filtered(lambda move: move.move_type == "out_invoice")
        if invoices:
            # sudo: the accountant who reconciles may not read the supply orders;
            # the milestone follows the invoice's own payment state
            orders = (
                self.env["interop.supply.order"]
                .sudo()
                .search([("invoice_id", "in", invoices.ids)])
            )
            orders._update_payment_milestones()
        return result
