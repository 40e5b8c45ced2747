# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Upgrade to an on-fail method of the delivery job's own.

The delivery job (``interop.message._job_send``) called core's ``_job_on_fail``,
which outbound overrode with an ``if direction == "outbound"`` branch; it now names
``_job_send_on_fail``. Its job function is data not updated (``noupdate``): it
follows here. Queued jobs keep their method (``_job_send``).
"""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE queue_job_function f
           SET on_fail_method = '_job_send_on_fail'
          FROM ir_model m
         WHERE m.id = f.model_id AND m.model = 'interop.message'
           AND f.method = '_job_send' AND f.on_fail_method = '_job_on_fail'
        """
    )
