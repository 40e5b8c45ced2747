# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Upgrade to the retention of its own (interop.retention).

- Where the retention walk is in each endpoint's messages moves from two columns of
  the endpoint to a small table of the retention's own: the walk no longer writes the
  endpoints.
- The scheduled action (data not updated) runs the retention's model.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if column_exists(cr, "interop_endpoint", "date_retention_cursor"):
        cr.execute(
            """
            INSERT INTO interop_retention_cursor (endpoint_id, date_cursor, message_id)
            SELECT id, date_retention_cursor, COALESCE(retention_cursor_message, 0)
              FROM interop_endpoint
             WHERE date_retention_cursor IS NOT NULL
                ON CONFLICT (endpoint_id) DO NOTHING
            """
        )
        cr.execute(
            "ALTER TABLE interop_endpoint DROP COLUMN date_retention_cursor,"
            " DROP COLUMN IF EXISTS retention_cursor_message"
        )
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("interop.ir_cron_interop_message_retention", False)
    if cron:
        cron.model_id = env.ref("interop.model_interop_retention")
