# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from odoo.addons.queue_job.exception import RetryableJobError

from .common import Answer, OutboundCase

NOW = datetime(2026, 5, 4, 9, 0, 0)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestCircuitBreaker(OutboundCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint._interop_apply_write(
            {"breaker_threshold": 3, "breaker_cooldown": 60}
        )

    def _fail(self, message):
        """One delivery attempt that fails transiently; the job's outcome."""
        try:
            return message._job_send()
        except RetryableJobError as error:
            return error

    def _open_the_circuit(self):
        """Three messages fail in a row: the third opens the circuit."""
        self.remote.answer("/api", Answer(500))
        messages = self._send({"n": 1}) | self._send({"n": 2}) | self._send({"n": 3})
        outcomes = [self._fail(message) for message in messages]
        return messages, outcomes

    def _drain_jobs(self):
        return self.env["queue.job"].search(
            [("method_name", "=", "_job_deliver_held"), ("state", "=", "pending")]
        )

    def _drain_all(self):
        outcomes = []
        for _i in range(10):
            outcome = self.endpoint._job_deliver_held()
            outcomes.append(outcome)
            if "No held message" in outcome:
                break
        return outcomes

    def test_consecutive_failures_open_the_circuit_and_hold_the_message(self):
        messages, outcomes = self._open_the_circuit()
        self.assertIsInstance(outcomes[0], RetryableJobError)
        self.assertIsInstance(outcomes[1], RetryableJobError)
        self.assertIn("Held", outcomes[2])
        self.assertRecordValues(
            self.endpoint,
            [
                {
                    "breaker_state": "open",
                    "breaker_failure_count": 3,
                    "breaker_date_opened": NOW,
                    "message_held_count": 1,
                }
            ],
        )
        self.assertTrue(messages[2].date_held)
        activity = self.endpoint.activity_ids
        self.assertEqual(activity.user_id, self.manager)
        self.assertIn("stopped answering", activity.summary)
        drain = self._drain_jobs()
        self.assertEqual(len(drain), 1)
        self.assertEqual(drain.eta, NOW + timedelta(seconds=60))
        self.assertEqual(drain.channel, "root.interop.outbound")

    def test_while_open_deliveries_are_held_without_calling_the_remote(self):
        messages, _outcomes = self._open_the_circuit()
        calls = len(self.remote.received)
        late = self._send({"n": 4})
        self.assertIn("Held", late._job_send())
        # the retry of the first message is held too, without using an attempt
        self.assertIn("Held", messages[0]._job_send())
        self.assertEqual(len(self.remote.received), calls)
        self.assertEqual(self.endpoint.message_held_count, 3)

    def test_the_drain_waits_for_the_cool_down_without_using_retries(self):
        self._open_the_circuit()
        with freeze_time(NOW + timedelta(seconds=20)):
            error = self.assertRetried(self.endpoint._job_deliver_held)
        self.assertEqual(error.seconds, 40)
        self.assertTrue(error.ignore_retry)

    def test_a_successful_probe_closes_the_circuit_and_drains_in_order(self):
        messages, _outcomes = self._open_the_circuit()
        for message in messages[:2]:  # their retries come while the circuit is open
            message._job_send()
        late = self._send({"n": 4})
        late._job_send()
        self.remote.reset()
        self.remote.answer("/api", Answer(200))
        with freeze_time(NOW + timedelta(seconds=61)):
            self._drain_all()
        self.assertRecordValues(
            self.endpoint,
            [
                {
                    "breaker_state": "closed",
                    "breaker_failure_count": 0,
                    "message_held_count": 0,
                }
            ],
        )
        self.assertEqual([r.json()["n"] for r in self.remote.received], [1, 2, 3, 4])
        self.assertEqual(set((messages | late).mapped("state")), {"done"})
        self.assertFalse(self.endpoint.activity_ids)

    def test_a_new_message_waits_behind_the_backlog(self):
        messages, _outcomes = self._open_the_circuit()
        for message in messages[:2]:
            message._job_send()
        self.remote.reset()
        self.remote.answer("/api", Answer(200))
        with freeze_time(NOW + timedelta(seconds=61)):
            self.endpoint._job_deliver_held()  # the probe: the oldest held message
            self.assertEqual(self.endpoint.breaker_state, "closed")
            newcomer = self._send({"n": 9})
            self.assertIn("Held", newcomer._job_send())
            self._drain_all()
        self.assertEqual([r.json()["n"] for r in self.remote.received], [1, 2, 3, 9])

    def test_a_failed_probe_opens_the_circuit_again(self):
        messages, _outcomes = self._open_the_circuit()
        later = NOW + timedelta(seconds=61)
        with freeze_time(later):
            error = self.assertRetried(self.endpoint._job_deliver_held)
        self.assertEqual(error.seconds, 60)
        self.assertTrue(error.ignore_retry)
        self.assertRecordValues(
            self.endpoint,
            [{"breaker_state": "open", "breaker_date_opened": later}],
        )
        self.assertEqual(messages[2].state, "queued")
        self.assertTrue(messages[2].date_held)

    def test_no_message_is_sent_twice_while_draining(self):
        messages, _outcomes = self._open_the_circuit()
        for message in messages[:2]:
            message._job_send()
        self.remote.reset()
        self.remote.answer("/api", Answer(200))
        with freeze_time(NOW + timedelta(seconds=61)):
            self._drain_all()
            for message in messages:
                self.assertIn("Skipped", message._job_send())  # late jobs
            self._drain_all()
        self.assertEqual(len(self.remote.received), 3)

    def test_a_rejection_proves_the_remote_is_up(self):
        self.remote.answer("/api", Answer(500), Answer(400))
        self._fail(self._send())
        self.assertEqual(self.endpoint.breaker_failure_count, 1)
        self._send()._job_send()
        self.assertEqual(self.endpoint.breaker_failure_count, 0)

    def test_managers_reset_the_breaker_and_the_backlog_goes_out(self):
        self._open_the_circuit()
        with self.assertRaises(AccessError):
            self.endpoint.with_user(self.user).action_reset_breaker()
        self.endpoint.with_user(self.manager).action_reset_breaker()
        self.assertEqual(self.endpoint.breaker_state, "closed")
        self.assertFalse(self.endpoint.activity_ids)
        self.assertEqual(len(self._drain_jobs()), 1)

    def test_the_cron_resumes_held_deliveries_without_a_drain_job(self):
        self._open_the_circuit()
        self._drain_jobs().unlink()
        self.env["interop.endpoint"]._cron_drain_held()
        self.assertEqual(len(self._drain_jobs()), 1)

    def test_administrator_resumes_held_deliveries_manually(self):
        self._open_the_circuit()
        self._drain_jobs().unlink()
        self.assertRunsManually("interop_outbound.ir_cron_interop_outbound_drain")
        self.assertEqual(len(self._drain_jobs()), 1)
