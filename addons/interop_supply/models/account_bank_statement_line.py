# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    interop_import_key = fields.Char(
        string="Bank Entry Reference",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The bank's entry this line was imported from: an entry is imported once.",
    )

    _sql_constraints = [
        (
            "interop_import_key_uniq",
            "unique(interop_import_key)",
            "This bank entry was imported already.",
        ),
    ]
