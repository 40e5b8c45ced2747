# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import threading

from odoo import api, fields
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError

from .common import CommittedRaceCase


@tagged("post_install", "-at_install")
class TestConcurrentDrains(CommittedRaceCase):
    """Two drains of one event type at once, in committed transactions of their
    own, as two job runner workers run them."""

    PREFIX = "RP-88420"
    COUNT = 20

    def _queue_messages(self, env):
        return self._queue_party_messages(
            env,
            [
                (
                    f"drain-race-{number}",
                    {"id": f"{self.PREFIX}{number}", "name": f"Drain Party {number}"},
                )
                for number in range(self.COUNT)
            ],
        )

    def _set_batch_seconds(self, value):
        def set_param(env):
            env["ir.config_parameter"].sudo().set_param(
                "interop.processing_batch_seconds", value
            )

        self._committed(set_param)

    def test_concurrent_drains_log_no_error_and_process_each_message_once(self):
        start = fields.Datetime.now()
        # the first drain takes every message however slow the machine is (a drain
        # bounded in time would leave the rest to the late one)
        self._set_batch_seconds("0")
        self.addCleanup(self._set_batch_seconds, False)
        event_type_id, message_ids = self._committed(self._queue_messages)
        snapshot_taken, first_done = threading.Event(), threading.Event()
        outcomes = {}

        def drain(env):
            return env["interop.message.dispatch"]._job_drain(event_type_id)

        def late_drain():
            # as queue_job runs a job: its transaction's snapshot is taken (the job's
            # lock) before the drain claims the messages
            with self.registry.cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {"job_uuid": "late"})
                cr.execute("SELECT 1")
                snapshot_taken.set()
                first_done.wait(timeout=60)
                try:
                    drain(env)
                    cr.commit()  # pylint: disable=invalid-commit
                    outcomes["late"] = "done"
                except RetryableJobError:
                    cr.rollback()
                    outcomes["late"] = "retried"
            # queue_job runs it again, in a new transaction
            self._committed(drain)

        def first_drain():
            try:
                snapshot_taken.wait(timeout=60)
                with self.registry.cursor() as cr:
                    drain(api.Environment(cr, api.SUPERUSER_ID, {"job_uuid": "first"}))
                    cr.commit()  # pylint: disable=invalid-commit
            finally:
                first_done.set()

        try:
            with self.assertNoLogs("odoo.sql_db", "ERROR"):
                errors = self._race((late_drain,), (first_drain,))
            self.assertEqual(errors, [])
            # the late drain met the messages the first one took: tried again
            self.assertEqual(outcomes, {"late": "retried"})

            def results(env):
                messages = env["interop.message"].browse(message_ids)
                return [
                    (m.state, m.attempt_count, len(m.attempt_ids), m.job_uuid)
                    for m in messages
                ]

            self.assertEqual(
                self._committed(results), [("done", 1, 1, "first")] * self.COUNT
            )
        finally:
            self._cleanup(message_ids, start)
