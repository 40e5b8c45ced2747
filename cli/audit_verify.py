# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""``odoo-bin interop_audit_verify -c odoo.conf -d DB``: verify the audit trail.

Odoo 18 finds this command in the ``cli`` folder of the modules of its addons
path; as the configuration file is read after the command is looked up, give the
addons path first (``odoo-bin --addons-path=... interop_audit_verify ...``) or
name the configuration file in ``ODOO_RC``.
"""

import sys

from odoo.cli import Command

from .common import EXIT_UNUSABLE, command_environment

EXIT_INTACT = 0
EXIT_BROKEN = 1
__all__ = ["EXIT_BROKEN", "EXIT_INTACT", "EXIT_UNUSABLE", "verify_audit_trail"]


def verify_audit_trail(env):
    """Verify the chain of ``env``'s database; return ``(exit status, report)``."""
    result = env["interop.audit.entry"]._verify_chain()
    if result["ok"]:
        report = (
            f"Interop audit trail intact: {result['checked']} entries checked.\n"
            f"Last entry: {result['last_sequence']}, hash {result['last_hash']}\n"
        )
        return EXIT_INTACT, report
    report = (
        f"Interop audit trail BROKEN at entry {result['first_broken_sequence']} "
        f"({result['checked']} entries intact before it): {result['reason']}\n"
    )
    return EXIT_BROKEN, report


class InteropAuditVerify(Command):
    """Verify the Interop audit trail's hash chain (exit status 1 when broken)"""

    name = "interop_audit_verify"

    def run(self, args):
        with command_environment(self.name, args, "interop.audit.entry") as env:
            status, report = verify_audit_trail(env)
            env.cr.rollback()
        sys.stdout.write(report)
        sys.exit(status)
