# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import T0, MonitorCase


@tagged("post_install", "-at_install")
class TestAlertRule(MonitorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = cls.env["interop.alert.rule"].create(
            {
                "name": "Test scheduling error rate",
                "figure": "error_rate",
                "endpoint_id": cls.endpoint.id,
                "operator": ">",
                "threshold": 5,
                "window_minutes": 15,
                "user_id": cls.user.id,
            }
        )

    def _traffic(self, start_minute, done, failed):
        for i in range(done):
            self._message(start_minute * 60 + i, 1)
        for i in range(failed):
            self._message(start_minute * 60 + 30 + i, 1, state="failed")

    def _evaluate_at(self, minutes):
        with freeze_time(T0 + timedelta(minutes=minutes)):
            self.Rollup._rollup_batch()
            return self.rule._evaluate()

    def _kinds(self, rule):
        return rule.event_ids.sorted(lambda e: (e.date, e.id)).mapped("kind")

    def _alert_exceptions(self):
        return self.env["interop.exception"].search(
            [("category_id.code", "=", "alert"), ("endpoint_id", "=", self.endpoint.id)]
        )

    def test_firing_opens_one_exception_with_one_activity_for_the_owner(self):
        self._traffic(0, done=9, failed=1)  # 10 %
        self.assertTrue(self._evaluate_at(5))
        exception = self._alert_exceptions()
        self.assertRecordValues(
            exception,
            [
                {
                    "state": "open",
                    "user_id": self.user.id,
                    "company_id": self.endpoint.company_id.id,
                    "severity": "high",
                }
            ],
        )
        self.assertEqual(len(exception.activity_ids), 1)
        self.assertEqual(exception.activity_ids.user_id, self.user)
        self.assertRecordValues(
            self.rule,
            [{"state": "firing", "last_value": 10.0, "exception_id": exception.id}],
        )
        self.assertRecordValues(
            self.rule.event_ids, [{"kind": "fired", "value": 10.0, "threshold": 5.0}]
        )

    def test_firing_again_while_firing_adds_nothing(self):
        self._traffic(0, done=9, failed=1)
        self._evaluate_at(5)
        self._traffic(6, done=5, failed=5)  # worse still
        self.assertTrue(self._evaluate_at(8))
        self.assertTrue(self._evaluate_at(9))
        exception = self._alert_exceptions()
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.occurrence_count, 1)
        self.assertEqual(len(exception.activity_ids), 1)
        self.assertEqual(self._kinds(self.rule), ["fired"])
        self.assertAlmostEqual(self.rule.last_value, 6 / 20 * 100)

    def test_recovery_resolves_the_exception_and_rearms_the_rule(self):
        self._traffic(0, done=9, failed=1)
        self._evaluate_at(5)
        first = self._alert_exceptions()
        # the failures leave the 15-minute window, the traffic goes through
        self._traffic(20, done=10, failed=0)
        self.assertFalse(self._evaluate_at(22))
        self.assertRecordValues(first, [{"state": "resolved"}])
        self.assertFalse(first.activity_ids, "the owner's activity is done")
        self.assertRecordValues(self.rule, [{"state": "ok", "last_value": 0.0}])
        self.assertEqual(self._kinds(self.rule), ["fired", "recovered"])
        # failing again: a new exception, a new activity
        self._traffic(30, done=1, failed=1)
        self.assertTrue(self._evaluate_at(32))
        second = self._alert_exceptions() - first
        self.assertEqual(len(second), 1)
        self.assertEqual(len(second.activity_ids), 1)
        self.assertEqual(self.rule.exception_id, second)
        self.assertEqual(self._kinds(self.rule), ["fired", "recovered", "fired"])

    def test_exception_closed_by_hand_while_firing_fires_again(self):
        self._traffic(0, done=9, failed=1)
        self._evaluate_at(5)
        first = self._alert_exceptions()
        first.with_user(self.user).action_resolve()
        self._evaluate_at(6)
        self.assertEqual(len(self._alert_exceptions()), 2)
        self.assertEqual(self.rule.exception_id.state, "open")

    def _alert_mails(self):
        return self.env["mail.mail"].search(
            [
                ("model", "=", "interop.exception"),
                ("res_id", "in", self._alert_exceptions().ids),
                # the alert email, not the activity's assignment notice
                ("subject", "=like", "Interop alert:%"),
            ]
        )

    def test_firing_emails_the_owner_once_not_every_minute(self):
        self.user.partner_id.email = "owner@example.com"
        self.rule._interop_apply_write({"notify_email": True})
        self._traffic(0, done=9, failed=1)
        self._evaluate_at(5)
        mails = self._alert_mails()
        self.assertEqual(len(mails), 1)
        self.assertEqual(mails.recipient_ids, self.user.partner_id)
        self.assertIn(self.rule.name, mails.subject)
        self.assertEqual(self.rule.date_emailed, T0 + timedelta(minutes=5))
        # firing on, minute after minute: no second email
        for minute in (6, 7, 8):
            self.assertTrue(self._evaluate_at(minute))
        self.assertEqual(len(self._alert_mails()), 1)
        # recovers, fires again twenty minutes later: a new exception, no email
        # within the hour
        self._traffic(20, done=10, failed=0)
        self.assertFalse(self._evaluate_at(22))
        self._traffic(30, done=1, failed=1)
        self.assertTrue(self._evaluate_at(32))
        self.assertEqual(len(self._alert_exceptions()), 2)
        self.assertEqual(len(self._alert_mails()), 1)
        # and again past the hour: emailed
        self._traffic(80, done=10, failed=0)
        self.assertFalse(self._evaluate_at(82))
        self._traffic(90, done=1, failed=1)
        self.assertTrue(self._evaluate_at(92))
        self.assertEqual(len(self._alert_mails()), 2)

    def test_rule_without_email_sends_none(self):
        self.user.partner_id.email = "owner@example.com"
        self._traffic(0, done=9, failed=1)
        self._evaluate_at(5)
        self.assertTrue(self._alert_exceptions())
        self.assertFalse(self._alert_mails())
        self.assertFalse(self.rule.date_emailed)

    def test_silence_of_an_endpoint_fires_after_its_cadence(self):
        rule = self.env["interop.alert.rule"].create(
            {
                "name": "Test scheduling silent",
                "figure": "silence_minutes",
                "endpoint_id": self.endpoint.id,
                "operator": ">",
                "threshold": 60,
                "window_minutes": 60,
                "user_id": self.user.id,
            }
        )
        self._message(0, 1)
        with freeze_time(T0 + timedelta(minutes=59)):
            self.assertFalse(rule._evaluate())
        with freeze_time(T0 + timedelta(minutes=61)):
            self.assertTrue(rule._evaluate())
        self._message(T0 + timedelta(minutes=62), 1)
        with freeze_time(T0 + timedelta(minutes=63)):
            self.assertFalse(rule._evaluate())
        self.assertEqual(self._kinds(rule), ["fired", "recovered"])

    def test_a_figure_not_measured_per_endpoint_refuses_one(self):
        with self.assertRaises(UserError):
            self.env["interop.alert.rule"].create(
                {
                    "name": "Jobs of an endpoint",
                    "figure": "job_queue_depth",
                    "endpoint_id": self.endpoint.id,
                    "threshold": 10,
                    "user_id": self.user.id,
                }
            )

    # Attacks

    def test_attack_user_edits_an_alert_rule_over_rpc(self):
        for vals in (
            {"threshold": 500},
            {"active": False},
            {"user_id": self.user.id},
            {"notify_email": True},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                self.rule.with_user(self.user).with_context(
                    interop_change_apply=True
                ).write(vals)

    def test_attack_manager_raises_threshold_past_change_control(self):
        with self.assertRaises(UserError):
            self.rule.with_user(self.manager).with_context(
                interop_change_apply=True
            ).write({"threshold": 500})
        self.assertEqual(self.rule.threshold, 5)

    def test_attack_manager_silences_alert_emails_past_change_control(self):
        self.rule._interop_apply_write({"notify_email": True})
        with self.assertRaises(UserError):
            self.rule.with_user(self.manager).with_context(
                interop_change_apply=True
            ).write({"notify_email": False})
        self.assertTrue(self.rule.notify_email)

    def test_attack_manager_archives_a_firing_rule_past_change_control(self):
        with self.assertRaises(UserError):
            self.rule.with_user(self.manager).write({"active": False})
        self.assertTrue(self.rule.active)

    def test_manager_edit_becomes_a_change_request(self):
        self.rule.with_user(self.manager).with_context(
            interop_request_change=True
        ).write({"threshold": 20})
        self.assertEqual(self.rule.threshold, 5)
        approver = new_test_user(
            self.env, login="alert_approver", groups="interop.group_interop_manager"
        )
        self._approve_pending(self.rule, approver=approver)
        self.assertEqual(self.rule.threshold, 20)

    def test_attack_manager_silences_a_firing_alert_by_writing_its_state(self):
        self._traffic(0, done=9, failed=1)
        self._evaluate_at(5)
        for vals in (
            {"state": "ok"},
            {"exception_id": False},
            {"last_value": 0},
            {"date_emailed": "2099-01-01 00:00:00"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                self.rule.with_user(self.manager).with_context(
                    interop_alert_evaluating=True
                ).write(vals)
        self.assertEqual(self.rule.state, "firing")

    def test_attack_manager_forges_an_alert_log_entry(self):
        with self.assertRaises(AccessError):
            self.env["interop.alert.event"].with_user(self.manager).create(
                {"rule_id": self.rule.id, "kind": "recovered", "date": T0}
            )
        self._traffic(0, done=9, failed=1)
        self._evaluate_at(5)
        with self.assertRaises(AccessError):
            self.rule.event_ids.with_user(self.manager).write({"kind": "recovered"})

    def test_attack_manager_creates_a_firing_rule_to_resolve_an_exception(self):
        target = self.env["interop.exception"].search(
            [("state", "in", ("open", "in_progress"))], limit=1
        )
        self.assertTrue(target, "the demo data has open exceptions")
        with self.assertRaises(AccessError):
            self.env["interop.alert.rule"].with_user(self.manager).create(
                {
                    "name": "Resolver",
                    "figure": "message_count",
                    "threshold": 1000000,
                    "user_id": self.manager.id,
                    "state": "firing",
                    "exception_id": target.id,
                }
            )
        self.assertIn(target.state, ("open", "in_progress"))
