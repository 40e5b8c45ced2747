# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Upgrade to a name of its own for the delivery of an endpoint's held messages.

``interop.endpoint._job_drain`` (a name the core's drains of inbound messages also
use) is now ``_job_deliver_held``: its job function (data not updated) and the jobs
not run yet follow.
"""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE queue_job_function f
           SET method = '_job_deliver_held',
               name = '<interop.endpoint>._job_deliver_held'
          FROM ir_model m
         WHERE m.id = f.model_id AND m.model = 'interop.endpoint'
           AND f.method = '_job_drain'
        """
    )
    cr.execute(
        """
        UPDATE queue_job
           SET method_name = '_job_deliver_held',
               func_string = replace(func_string, '._job_drain(', '._job_deliver_held(')
         WHERE model_name = 'interop.endpoint' AND method_name = '_job_drain'
           AND state NOT IN ('done', 'cancelled')
        """
    )
