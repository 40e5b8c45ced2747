# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged

from odoo.addons.queue_job.exception import RetryableJobError

from .common import Answer, OutboundCase

NOW = datetime(2026, 5, 4, 9, 0, 0)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestBreakerHistory(OutboundCase):
    """Every change of the circuit breaker is logged (from, to, when), by the
    breaker itself; nobody writes that log through RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint._interop_apply_write(
            {"breaker_threshold": 2, "breaker_cooldown": 60}
        )
        cls.phi_only = new_test_user(
            cls.env, login="breaker_phi_only", groups="interop.group_interop_phi"
        )
        cls.Transition = cls.env["interop.breaker.transition"]

    def _history(self):
        return [
            (t.state_from, t.state_to, t.date)
            for t in self.Transition.search(
                [("endpoint_id", "=", self.endpoint.id)], order="date, id"
            )
        ]

    def _fail(self, message):
        try:
            return message._job_send()
        except RetryableJobError as error:
            return error

    def _drain(self):
        """The job delivering the held messages, its oldest one as the probe."""
        try:
            return self.endpoint._job_deliver_held()
        except RetryableJobError as error:
            return error

    def _open_the_circuit(self):
        """Two calls of the real remote answer 500: the second opens the circuit."""
        self.remote.answer("/api", Answer(500))
        messages = self._send({"n": 1}) | self._send({"n": 2})
        for message in messages:
            self._fail(message)
        return messages

    def _roles(self):
        return {
            "user": self.user,
            "manager": self.manager,
            "auditor": self.auditor,
            "phi": self.phi_only,
            "service": self.endpoint.service_user_id,
        }

    def test_failing_calls_log_the_circuit_opening(self):
        self._open_the_circuit()
        self.assertEqual(self.endpoint.breaker_state, "open")
        self.assertEqual(self._history(), [("closed", "open", NOW)])

    def test_a_failure_below_the_threshold_logs_nothing(self):
        self.remote.answer("/api", Answer(500))
        self._fail(self._send({"n": 1}))
        self.assertEqual(self.endpoint.breaker_failure_count, 1)
        self.assertEqual(self._history(), [])

    def test_the_probe_and_the_closing_are_logged(self):
        self._open_the_circuit()
        self.remote.reset()
        self.remote.answer("/api", Answer(200))
        later = NOW + timedelta(seconds=61)
        with freeze_time(later):
            self._drain()
        self.assertEqual(self.endpoint.breaker_state, "closed")
        self.assertEqual(
            self._history(),
            [
                ("closed", "open", NOW),
                ("open", "half_open", later),
                ("half_open", "closed", later),
            ],
        )

    def test_a_failed_probe_logs_the_circuit_reopening(self):
        self._open_the_circuit()
        later = NOW + timedelta(seconds=61)
        with freeze_time(later):
            self._drain()
        self.assertEqual(self.endpoint.breaker_state, "open")
        self.assertEqual(
            self._history(),
            [
                ("closed", "open", NOW),
                ("open", "half_open", later),
                ("half_open", "open", later),
            ],
        )

    def test_reset_breaker_is_logged(self):
        self._open_the_circuit()
        later = NOW + timedelta(minutes=5)
        with freeze_time(later):
            self.endpoint.with_user(self.manager).action_reset_breaker()
        self.assertEqual(
            self._history(), [("closed", "open", NOW), ("open", "closed", later)]
        )

    def test_users_and_auditors_read_the_history(self):
        self._open_the_circuit()
        for user in (self.user, self.auditor):
            with self.subTest(user=user.login):
                history = self.Transition.with_user(user).search(
                    [("endpoint_id", "=", self.endpoint.id)]
                )
                self.assertEqual(history.mapped("state_to"), ["open"])

    # Attacks: the history is the breaker's own; no role writes it

    def test_attack_every_role_forges_a_breaker_transition(self):
        for role, user in self._roles().items():
            with self.subTest(role=role), self.assertRaises(AccessError):
                self.Transition.with_user(user).create(
                    [
                        {
                            "endpoint_id": self.endpoint.id,
                            "state_from": "open",
                            "state_to": "closed",
                            "date": NOW,
                        }
                    ]
                )
        self.assertEqual(self._history(), [])

    def test_attack_every_role_rewrites_a_breaker_transition(self):
        self._open_the_circuit()
        transition = self.Transition.search([("endpoint_id", "=", self.endpoint.id)])
        for role, user in self._roles().items():
            with self.subTest(role=role), self.assertRaises(AccessError):
                transition.with_user(user).write(
                    {"state_to": "closed", "date": NOW - timedelta(days=1)}
                )
        self.assertEqual(self._history(), [("closed", "open", NOW)])

    def test_attack_every_role_deletes_a_breaker_transition(self):
        self._open_the_circuit()
        transition = self.Transition.search([("endpoint_id", "=", self.endpoint.id)])
        for role, user in self._roles().items():
            with self.subTest(role=role), self.assertRaises(AccessError):
                transition.with_user(user).unlink()
        self.assertEqual(self._history(), [("closed", "open", NOW)])
