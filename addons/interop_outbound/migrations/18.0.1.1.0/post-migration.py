# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A sync runs only as a user of the Interop service group (see interop.sync).

The default Run As user is data that is not updated: it gets the group here.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    user = env.ref("interop_outbound.user_interop_sync", raise_if_not_found=False)
    group = env.ref("interop.group_interop_service", raise_if_not_found=False)
    if user and group:
        user.groups_id = [(4, group.id)]
