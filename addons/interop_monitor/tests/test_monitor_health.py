# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged

from odoo.addons.interop_outbound.tests.common import (
    Answer,
    OutboundCase,
    RemoteServer,
    unused_port,
)

HEALTH = "/api/health"


@tagged("post_install", "-at_install")
class TestHealthCheck(OutboundCase):
    """An outbound endpoint of a real server on 127.0.0.1, checked on schedule."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint._interop_apply_write(
            {
                "health_check_path": "/health",
                "health_check_interval": 5,
                "health_check_failures": 3,
            }
        )
        cls.manager.partner_id.email = "engineer@example.com"
        cls.Check = cls.env["interop.monitor.health.check"]
        cls.t0 = fields.Datetime.now().replace(microsecond=0)

    def _check_at(self, minutes):
        with freeze_time(self.t0 + timedelta(minutes=minutes)):
            return self.Check._check(self.endpoint)

    def _alerts(self):
        return self.env["interop.exception"].search(
            [
                ("category_id.code", "=", "alert"),
                ("endpoint_id", "=", self.endpoint.id),
            ]
        )

    def _alert_mails(self):
        return self.env["mail.mail"].search(
            [
                ("model", "=", "interop.exception"),
                ("res_id", "in", self._alerts().ids),
                # the alert email, not the activity's assignment notice
                ("subject", "=like", "Interop alert:%"),
            ]
        )

    def test_healthy_answer_is_logged_up(self):
        self.remote.answer(HEALTH, Answer(200))
        check = self._check_at(0)
        self.assertRecordValues(check, [{"ok": True, "status_code": 200}])
        self.assertEqual(len(self.remote.requests_to(HEALTH)), 1)
        self.assertEqual(self.remote.requests_to(HEALTH)[0].method, "GET")
        self.endpoint.invalidate_recordset()
        self.assertEqual(self.endpoint.monitor_check_state, "up")
        self.assertFalse(self._alerts())

    def test_failing_checks_alert_the_technical_owner_once_then_resolve(self):
        self.remote.answer(HEALTH, Answer(503))
        self._check_at(0)
        self._check_at(5)
        self.assertFalse(self._alerts(), "two failures: not yet")
        check = self._check_at(10)
        alert = self._alerts()
        self.assertRecordValues(
            alert, [{"state": "open", "user_id": self.manager.id, "severity": "high"}]
        )
        self.assertEqual(check.exception_id, alert)
        self.assertEqual(len(alert.activity_ids), 1)
        mails = self._alert_mails()
        self.assertEqual(len(mails), 1)
        self.assertEqual(mails.recipient_ids, self.manager.partner_id)
        self.assertIn(self.endpoint.name, mails.subject)
        # still down every five minutes: the same alert, no second email
        for minutes in (15, 20, 25):
            self._check_at(minutes)
        self.assertEqual(self._alerts(), alert)
        self.assertEqual(len(alert.activity_ids), 1)
        self.assertEqual(len(self._alert_mails()), 1)
        self.endpoint.invalidate_recordset()
        self.assertEqual(self.endpoint.monitor_check_state, "down")
        self.assertEqual(self.endpoint.monitor_health, "danger")
        # back up: the alert resolves itself
        self.remote.reset()
        self.remote.answer(HEALTH, Answer(200))
        self._check_at(30)
        self.assertEqual(alert.state, "resolved")
        self.assertFalse(alert.activity_ids)

    def test_flapping_endpoint_sends_one_email_an_hour(self):
        self.remote.answer(HEALTH, Answer(500))
        for minutes in (0, 1, 2):
            self._check_at(minutes)
        first = self._alerts()
        self.remote.reset()
        self.remote.answer(HEALTH, Answer(200))
        self._check_at(3)
        self.remote.reset()
        self.remote.answer(HEALTH, Answer(500))
        for minutes in (4, 5, 6):
            self._check_at(minutes)
        second = self._alerts() - first
        self.assertEqual(len(second), 1, "a new outage, a new alert")
        self.assertEqual(len(self._alert_mails()), 1, "within the hour: no email")
        self.remote.reset()
        self.remote.answer(HEALTH, Answer(200))
        self._check_at(70)
        self.remote.reset()
        self.remote.answer(HEALTH, Answer(500))
        for minutes in (71, 72, 73):
            self._check_at(minutes)
        self.assertEqual(len(self._alerts()), 3)
        self.assertEqual(len(self._alert_mails()), 2, "an hour later: emailed")

    def test_connection_refused_is_a_failure_in_words(self):
        self.endpoint._interop_apply_write(
            {"base_url": f"http://127.0.0.1:{unused_port()}/api"}
        )
        check = self._check_at(0)
        self.assertRecordValues(
            check,
            [
                {
                    "ok": False,
                    "status_code": 0,
                    "reason": "The connection to the endpoint failed.",
                }
            ],
        )

    def test_cron_checks_endpoints_when_due_only(self):
        self.remote.answer(HEALTH, Answer(200))
        with freeze_time(self.t0):
            self.Check._cron_check()
        with freeze_time(self.t0 + timedelta(minutes=2)):
            self.Check._cron_check()
        self.assertEqual(len(self.remote.requests_to(HEALTH)), 1)
        with freeze_time(self.t0 + timedelta(minutes=5)):
            self.Check._cron_check()
        self.assertEqual(len(self.remote.requests_to(HEALTH)), 2)
        # a suspended endpoint is not called
        self.endpoint._interop_apply_write({"state": "suspended"})
        with freeze_time(self.t0 + timedelta(minutes=20)):
            self.Check._cron_check()
        self.assertEqual(len(self.remote.requests_to(HEALTH)), 2)

    # Attacks

    def test_attack_manager_repoints_health_check_past_change_control(self):
        for vals in (
            {"health_check_path": "/admin/reset"},
            {"health_check_interval": 100000},
            {"health_check_failures": 100000},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                self.endpoint.with_user(self.manager).with_context(
                    interop_change_apply=True
                ).write(vals)
        self.assertEqual(self.endpoint.health_check_path, "/health")

    def test_attack_health_check_path_points_odoo_at_another_host(self):
        attacker = RemoteServer().start()
        self.addCleanup(attacker.stop)
        host = attacker.url.split("://", 1)[1]
        for path in (f"//{host}/steal", f"@{host}/steal", f"/../../{host}/steal"):
            self.endpoint._interop_apply_write({"health_check_path": path})
            self._check_at(0)
        self.assertFalse(attacker.received, "no call left the endpoint's host")
        self.assertEqual(len(self.remote.received), 3)

    def test_attack_roles_forge_a_healthy_check(self):
        for user in (self.user, self.manager, self.auditor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.Check.with_user(user).create(
                    {
                        "endpoint_id": self.endpoint.id,
                        "date": fields.Datetime.now(),
                        "ok": True,
                    }
                )
        self.remote.answer(HEALTH, Answer(503))
        check = self._check_at(0)
        with self.assertRaises(AccessError):
            check.with_user(self.manager).write({"ok": True})


@tagged("post_install", "-at_install")
class TestHealthCheckUptime(OutboundCase):
    """Uptime of an outbound endpoint, hand-computed from a known run of checks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint._interop_apply_write(
            {
                "health_check_path": "/health",
                "health_check_interval": 5,
                "health_check_failures": 3,
            }
        )
        cls.Check = cls.env["interop.monitor.health.check"]
        cls.t0 = fields.Datetime.now().replace(microsecond=0)

    def _check_at(self, minutes, status):
        self.remote.reset()
        self.remote.answer(HEALTH, Answer(status))
        with freeze_time(self.t0 + timedelta(minutes=minutes)):
            return self.Check._check(self.endpoint)

    def _run_of_checks(self):
        # two days ago: one failed check (10 min down: in the week, not the day)
        self._check_at(-2 * 24 * 60, 503)
        # up 0-10, down 10-25 (the check at 15 holds two intervals, to 25), no
        # check from 25 to 40 (a gap: nobody's time), up again 40-50
        for minutes, status in ((0, 200), (5, 200), (10, 503), (15, 503)):
            self._check_at(minutes, status)
        for minutes in (40, 45):
            self._check_at(minutes, 200)

    def test_uptime_from_checks_with_a_gap_and_a_recovery(self):
        self._run_of_checks()
        with freeze_time(self.t0 + timedelta(minutes=50)):
            self.endpoint.invalidate_recordset()
            # day: up 20 min of 35 known; week: up 20 of 45
            self.assertAlmostEqual(self.endpoint.monitor_uptime_24h, 2000 / 35, 1)
            self.assertAlmostEqual(self.endpoint.monitor_uptime_7d, 2000 / 45, 1)
            samples = {
                (sample.labels["window"]): sample.value
                for family in text_string_to_metric_families(
                    self.env["interop.monitor.metrics"]
                    ._exposition(self.endpoint.company_id)
                    .decode()
                )
                for sample in family.samples
                if sample.name == "interop_endpoint_uptime_ratio"
                and sample.labels["endpoint"] == self.endpoint.code
            }
        self.assertAlmostEqual(samples["24h"], 20 / 35, 3)
        self.assertAlmostEqual(samples["7d"], 20 / 45, 3)

    def test_uptime_while_down_counts_until_now(self):
        self._check_at(0, 200)
        self._check_at(5, 503)
        with freeze_time(self.t0 + timedelta(minutes=8)):
            self.endpoint.invalidate_recordset()
            # up 5 min, down the 3 since the failed check
            self.assertAlmostEqual(self.endpoint.monitor_uptime_24h, 62.5, 1)
