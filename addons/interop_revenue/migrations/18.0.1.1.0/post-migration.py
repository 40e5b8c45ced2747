# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Upgrade to lags left empty until both of their milestones are reached.

A visit's lag between two milestones was meant to be empty while the second was not
reached, but Odoo stores a float field's empty value as 0: the dashboards' averages
counted every visit on its way as one that took no time. The lags are now NULL until
both milestones are reached, which ``AVG`` leaves out.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["interop.visit"]._interop_flow_clear_unreached_lags()
