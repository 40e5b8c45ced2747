# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Upgrade to lags left empty until both of their milestones are reached.

An order's lag between two milestones was stored as 0 hours while the second was not
reached, and the dashboards summed the lags: an order on its way counted as one that
took no time. The lags are now averaged, and empty (NULL) until both milestones are
reached, which ``AVG`` leaves out.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["interop.supply.order"]._interop_flow_clear_unreached_lags()
