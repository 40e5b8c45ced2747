# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What every Interop ``odoo-bin`` command does before its own work."""

import sys
import threading
from contextlib import contextmanager
from pathlib import Path

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config

EXIT_UNUSABLE = 2


@contextmanager
def command_environment(command, args, model):
    """Parse ``args`` and yield a superuser environment on the one database named.

    Exits with ``EXIT_UNUSABLE`` when no single database is given or ``model`` (a
    model the command needs) is not installed there. Leaving the block normally
    commits the transaction.
    """
    config.parser.prog = f"{Path(sys.argv[0]).name} {command}"
    config.parse_config(args, setup_logging=True)
    dbname = config["db_name"]
    if not dbname or "," in dbname:
        sys.stderr.write(f"{command} needs one database: use -d DB\n")
        sys.exit(EXIT_UNUSABLE)
    threading.current_thread().dbname = dbname
    with Registry(dbname).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if model not in env:
            sys.stderr.write(f"Interop is not installed in database {dbname}\n")
            sys.exit(EXIT_UNUSABLE)
        yield env
