# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Upgrade to lags left empty until both of their milestones are reached.

A visit's lag between two milestones was meant to be empty while the second was not
reached, but Odoo stores a float field's empty value as 0: the dashboards' averages
counted every visit on its way as one that took no time. The lags are now NULL until
both milestones are reached, which ``AVG`` leaves out.
"""

from odoo.tools import SQL

#: each lag and the two milestones it is measured between
LAGS = {
    "lag_validation_hours": ("date_received", "date_validated"),
    "lag_billing_hours": ("date_validated", "date_invoiced"),
    "lag_payment_hours": ("date_invoiced", "date_paid"),
    "lag_reconciliation_hours": ("date_paid", "date_reconciled"),
    "lag_total_hours": ("date_received", "date_paid"),
}


def migrate(cr, version):
    for lag, (start, end) in LAGS.items():
        cr.execute(
            SQL(
                "UPDATE interop_visit SET %s = NULL WHERE %s IS NULL OR %s IS NULL",
                SQL.identifier(lag),
                SQL.identifier(start),
                SQL.identifier(end),
            )
        )
