# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Upgrade to systems of record per field.

A model may now have several systems of record, each owning some of its fields
(e.g. the catalog's codes, names and prices; the rest of the product in Odoo). The
one-rule-per-model constraint goes: Odoo does not drop a constraint a model no
longer declares.
"""

CONSTRAINT = "interop_system_of_record_model_company_uniq"


def migrate(cr, version):
    cr.execute(
        "ALTER TABLE interop_system_of_record"
        " DROP CONSTRAINT IF EXISTS interop_system_of_record_model_company_uniq"
    )
    cr.execute(
        "DELETE FROM ir_model_constraint WHERE name = %s AND type = 'u'", [CONSTRAINT]
    )
