# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).


def uninstall_hook(env):
    """Leave Interop as without this module: the app opens its exception queue
    again, and the uptime counts per hour, which have no model (Odoo drops the
    models' tables), are dropped."""
    menu = env.ref("interop.interop_menu_root", raise_if_not_found=False)
    queue = env.ref("interop.interop_exception_action_queue", raise_if_not_found=False)
    if menu and queue:
        menu.action = queue
    env.cr.execute("DROP TABLE IF EXISTS interop_monitor_uptime_hour")
