# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Upgrade to lags left empty until both of their milestones are reached.

An order's lag between two milestones was stored as 0 hours while the second was not
reached, and the dashboards summed the lags: an order on its way counted as one that
took no time. The lags are now averaged, and empty (NULL) until both milestones are
reached, which ``AVG`` leaves out.
"""

from odoo.tools import SQL

#: each lag and the two milestones it is measured between
LAGS = {
    "lag_confirmation_hours": ("date_received", "date_confirmed"),
    "lag_dispatch_hours": ("date_confirmed", "date_dispatched"),
    "lag_delivery_hours": ("date_dispatched", "date_delivered"),
    "lag_payment_hours": ("date_invoiced", "date_paid"),
    "lag_total_hours": ("date_received", "date_paid"),
}


def migrate(cr, version):
    for lag, (start, end) in LAGS.items():
        cr.execute(
            SQL(
                "UPDATE interop_supply_order SET %s = NULL"
                " WHERE %s IS NULL OR %s IS NULL",
                SQL.identifier(lag),
                SQL.identifier(start),
                SQL.identifier(end),
            )
        )
