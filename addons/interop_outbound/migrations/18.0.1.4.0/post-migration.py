# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Park the catalog pulls of a database without interop_supply.

Since 18.0.1.3.0 the product catalog pull is interop_supply's. A database upgraded
without it keeps its syncs that pulled the catalog, with a value no installed module
provides: they would fail at every scheduled run. They are archived with their
scheduled action, and each says in its chatter why and what to install.
"""

from odoo import SUPERUSER_ID, api

#: pull handlers that moved out of interop_outbound, with the module now providing
MOVED_HANDLERS = {"product_catalog": "interop_supply"}


def park_orphan_pulls(env, handler, module):
    """Archive the pull syncs of ``handler`` and their scheduled actions, each with a
    note naming ``module``; returns the syncs parked."""
    env.cr.execute(
        "SELECT id FROM interop_sync WHERE pull_handler = %s AND active",
        [handler],
    )
    ids = [row[0] for row in env.cr.fetchall()]
    if not ids:
        return env["interop.sync"]
    env.cr.execute(
        "UPDATE ir_cron SET active = FALSE WHERE id IN "
        "(SELECT cron_id FROM interop_sync WHERE id = ANY(%s))",
        [ids],
    )
    # in SQL: the sync is change-controlled, and archiving a sync that cannot run
    # changes no behaviour an approver would weigh
    env.cr.execute("UPDATE interop_sync SET active = FALSE WHERE id = ANY(%s)", [ids])
    env.invalidate_all()
    syncs = env["interop.sync"].with_context(active_test=False).browse(ids)
    for sync in syncs:
        sync.message_post(
            body=env._(
                "Archived by the upgrade: this sync pulls the product catalog, which "
                "the module %(module)s provides now, and it is not installed. "
                "Install it, then unarchive the sync.",
                module=module,
            )
        )
    return syncs


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for handler, module in MOVED_HANDLERS.items():
        cr.execute(
            "SELECT 1 FROM ir_module_module WHERE name = %s "
            "AND state IN ('installed', 'to upgrade', 'to install')",
            [module],
        )
        if not cr.fetchone():
            park_orphan_pulls(env, handler, module)
