# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Upgrade to the retention and the dispatch of their own (interop.retention,
interop.message.dispatch).

- Where the retention walk is in each endpoint's messages moves from two columns of
  the endpoint to a small table of the retention's own: the walk no longer writes the
  endpoints.
- The scheduled actions and job functions (data not updated) run the models that do
  the work; the drains not run yet are moved to the dispatch model.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools.sql import column_exists

DISPATCH_MODEL = "interop.model_interop_message_dispatch"


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
    for xmlid, model in (
        (
            "interop.ir_cron_interop_message_retention",
            "interop.model_interop_retention",
        ),
        ("interop.ir_cron_interop_message_dispatch", DISPATCH_MODEL),
        ("interop.job_function_interop_message_drain", DISPATCH_MODEL),
        ("interop.job_function_interop_message_record_drain_failure", DISPATCH_MODEL),
    ):
        record = env.ref(xmlid, False)
        if record:
            record.model_id = env.ref(model)
    cr.execute(
        """
        UPDATE queue_job
           SET model_name = 'interop.message.dispatch',
               -- a JSON text of its own (queue_job's JobSerialized)
               records = to_jsonb(jsonb_set(
                   (records #>> '{}')::jsonb, '{model}', '"interop.message.dispatch"'
               )::text),
               func_string = replace(
                   func_string, 'interop.message()', 'interop.message.dispatch()')
         WHERE model_name = 'interop.message'
           AND method_name IN ('_job_drain', '_job_record_drain_failure')
           AND state NOT IN ('done', 'cancelled')
        """
    )
