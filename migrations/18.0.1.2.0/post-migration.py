# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Upgrade to the hardened processing.

- Handlers now get only the PHI an event type lists in *PHI Copied to Records*; an
  existing event type keeps what its handler received before: every PHI path. Its
  owner narrows the list afterwards (a governed change).
- The drain's job function (data not updated) gets the on-fail that opens an
  exception when its retries are spent.
- An exception lists its affected messages (one root cause, one exception): the
  message it was raised for is its first.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    # not through the ORM: an upgrade is no governed change of the event types
    cr.execute(
        """
        UPDATE interop_event_type
           SET phi_copy_paths = phi_paths
         WHERE COALESCE(phi_paths, '') != ''
           AND COALESCE(phi_copy_paths, '') = ''
        """
    )
    # an exception lists the messages of its root cause: the one it was raised for
    cr.execute(
        """
        INSERT INTO interop_exception_message_rel (exception_id, message_id)
        SELECT id, message_id FROM interop_exception WHERE message_id IS NOT NULL
        ON CONFLICT DO NOTHING
        """
    )
    env = api.Environment(cr, SUPERUSER_ID, {})
    drain = env.ref("interop.job_function_interop_message_drain", False)
    if drain and not drain.on_fail_method:
        drain.on_fail_method = "_job_drain_on_fail"
