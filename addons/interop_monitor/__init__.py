from . import controllers
from . import models
from . import wizards


def uninstall_hook(env):
    # the uptime counts per hour have no model (Odoo drops the models' tables)
    env.cr.execute("DROP TABLE IF EXISTS interop_monitor_uptime_hour")
