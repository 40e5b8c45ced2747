# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # PHI: only billing users and PHI readers see it; duplicate detection needs it
    interop_birth_date = fields.Date(
        string="Birth Date",
        groups="account.group_account_invoice,interop.group_interop_phi",
        help="Birth date of a responsible party, as the scheduling platform sent it.",
    )
