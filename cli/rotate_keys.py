# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""``odoo-bin interop_rotate_keys -c odoo.conf -d DB``: re-encrypt with the new key.

Put the new key first in ``interop_encryption_keys`` (or ``INTEROP_ENCRYPTION_KEYS``),
keep the old ones after it, run this command, then remove the old keys. Every
encrypted value of the database (payloads, secrets, access tokens, remote answers)
is re-encrypted with the current key, in one transaction, and a ``key_rotation``
entry is added to the audit trail.

Odoo 18 finds this command in the ``cli`` folder of the modules of its addons
path; as the configuration file is read after the command is looked up, give the
addons path first (``odoo-bin --addons-path=... interop_rotate_keys ...``) or name
the configuration file in ``ODOO_RC``.
"""

import sys

from odoo.cli import Command
from odoo.exceptions import UserError

from .common import EXIT_UNUSABLE, command_environment

EXIT_DONE = 0
EXIT_FAILED = 1
__all__ = ["EXIT_DONE", "EXIT_FAILED", "EXIT_UNUSABLE", "rotate_keys"]


def rotate_keys(env):
    """Re-encrypt every encrypted value with the current key and audit it.

    Returns the report printed by the command.
    """
    crypto = env["interop.crypto"]
    key_id = crypto._current_key_id()
    count = crypto._rotate()
    env["interop.audit.entry"]._log(
        "key_rotation",
        summary=env._("Encrypted values re-encrypted with key %(key)s", key=key_id),
        details={"key_id": key_id, "count": count},
    )
    return f"Interop key rotation: {count} value(s) re-encrypted with key {key_id}.\n"


class InteropRotateKeys(Command):
    """Re-encrypt Interop's encrypted values with the current key"""

    name = "interop_rotate_keys"

    def run(self, args):
        with command_environment(self.name, args, "interop.crypto") as env:
            try:
                report = rotate_keys(env)
            except UserError as error:
                env.cr.rollback()
                sys.stderr.write(f"Key rotation failed, nothing changed: {error}\n")
                sys.exit(EXIT_FAILED)
            # leaving the block commits the re-encrypted values and the audit entry
        sys.stdout.write(report)
        sys.exit(EXIT_DONE)
