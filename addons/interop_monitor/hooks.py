# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).


def uninstall_hook(env):
    """The Interop app opens its exception queue again, as without this module."""
    menu = env.ref("interop.interop_menu_root", raise_if_not_found=False)
    queue = env.ref("interop.interop_exception_action_queue", raise_if_not_found=False)
    if menu and queue:
        menu.action = queue
