# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import time
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import freeze_time, new_test_user, tagged

from odoo.addons.interop.errors import MessageHeld

from .common import T0, MonitorCase

#: T0 is a Monday, 10:00 UTC
MONDAY = T0.replace(hour=0)
FRIDAY_BEFORE = MONDAY - timedelta(days=3)


def _metric(text, name, **labels):
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(
                sample.labels.get(k) == v for k, v in labels.items()
            ):
                return sample.value
    return None


class AvailabilityCase(MonitorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # office hours in UTC, Monday to Friday, 8:00 to 17:00
        cls.office = cls.env["resource.calendar"].create(
            {
                "name": "Scheduling office hours (UTC)",
                "tz": "UTC",
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": f"Day {day}",
                            "dayofweek": str(day),
                            "hour_from": 8,
                            "hour_to": 17,
                            "day_period": "morning",
                        }
                    )
                    for day in range(5)
                ],
            }
        )

    def _uptime_24h(self, now):
        with freeze_time(now):
            self.Rollup._rollup_everything()
            endpoint = self.endpoint.with_user(self.user)
            endpoint.invalidate_recordset()
            return endpoint.monitor_uptime_24h

    def _metrics(self, now):
        with freeze_time(now):
            self.Rollup._rollup_everything()
            return (
                self.env["interop.monitor.metrics"]._exposition(self.company).decode()
            )


@tagged("post_install", "-at_install")
class TestInboundCadence(AvailabilityCase):
    """An inbound endpoint expected to send at least one message an hour."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a live endpoint: its configuration is change-controlled
        cls.endpoint._activate()

    def test_cadence_met_is_fully_available(self):
        self.endpoint._interop_apply_write({"cadence_minutes": 60})
        for hour in range(24):
            self._message(T0 + timedelta(hours=hour, minutes=5), 1)
        now = T0 + timedelta(hours=24, minutes=10)
        self.assertEqual(self._uptime_24h(now), 100.0)
        self.assertEqual(
            _metric(
                self._metrics(now),
                "interop_endpoint_cadence_ratio",
                endpoint=self.endpoint.code,
                window="24h",
            ),
            1.0,
        )

    def test_a_gap_inside_working_hours_counts_as_down(self):
        self.endpoint._interop_apply_write(
            {"cadence_minutes": 60, "cadence_calendar_id": self.office.id}
        )
        # Monday 8:05 to 16:05, but nothing at 12:xx and 13:xx
        for hour in (8, 9, 10, 11, 14, 15, 16):
            self._message(MONDAY + timedelta(hours=hour, minutes=5), 1)
        now = MONDAY + timedelta(hours=17, minutes=30)
        # nine office hours expected (8:00 to 17:00), seven with a message
        # (shown to a tenth of a percent)
        self.assertEqual(self._uptime_24h(now), round(100.0 * 7 / 9, 1))
        self.assertAlmostEqual(
            _metric(
                self._metrics(now),
                "interop_endpoint_uptime_ratio",
                endpoint=self.endpoint.code,
                window="24h",
            ),
            7 / 9,
            places=3,
        )

    def test_a_gap_outside_working_hours_does_not_count(self):
        self.endpoint._interop_apply_write(
            {"cadence_minutes": 60, "cadence_calendar_id": self.office.id}
        )
        # every office hour of Monday and Tuesday morning; silent all night
        for hour in range(8, 17):
            self._message(MONDAY + timedelta(hours=hour, minutes=5), 1)
        for hour in (8, 9):
            self._message(MONDAY + timedelta(days=1, hours=hour, minutes=5), 1)
        now = MONDAY + timedelta(days=1, hours=10, minutes=30)
        self.assertEqual(self._uptime_24h(now), 100.0)
        # the same night, with no working hours, is a gap
        self.endpoint._interop_apply_write({"cadence_calendar_id": False})
        self.assertLess(self._uptime_24h(now), 100.0)

    def test_nothing_expected_yet_is_available(self):
        # a week-end: no office hour in the last 24 hours
        self.endpoint._interop_apply_write(
            {"cadence_minutes": 60, "cadence_calendar_id": self.office.id}
        )
        self.assertEqual(self._uptime_24h(MONDAY - timedelta(hours=1)), 100.0)

    def test_silence_alert_counts_only_working_hours(self):
        self.endpoint._interop_apply_write({"cadence_calendar_id": self.office.id})
        rule = self.env["interop.alert.rule"].create(
            {
                "name": "Scheduling silent for an office hour",
                "figure": "silence_minutes",
                "endpoint_id": self.endpoint.id,
                "operator": ">",
                "threshold": 60,
                "window_minutes": 60,
                "user_id": self.user.id,
            }
        )
        self._message(FRIDAY_BEFORE + timedelta(hours=16, minutes=30), 1)
        # Friday 18:00: 90 minutes of silence, 30 of them in office hours
        with freeze_time(FRIDAY_BEFORE + timedelta(hours=18)):
            self.assertFalse(rule._evaluate())
            self.assertAlmostEqual(rule.last_value, 30.0)
        # Monday 8:20: 50 office minutes; 8:31: 61
        with freeze_time(MONDAY + timedelta(hours=8, minutes=20)):
            self.assertFalse(rule._evaluate())
        with freeze_time(MONDAY + timedelta(hours=8, minutes=31)):
            self.assertTrue(rule._evaluate())
            self.assertAlmostEqual(rule.last_value, 61.0)

    # Attacks: the cadence and working hours are governed like the endpoint

    def _assert_refused(self, user, vals):
        """``user`` writes ``vals`` with whatever context a client may send: refused,
        no change request drafted, the endpoint as it was."""
        before = self.endpoint.read(list(vals))[0]
        for context in (
            {},
            {"interop_change_apply": True},
            {"interop_request_change": True},
        ):
            # an AccessError (the ACL) is a UserError too
            with self.subTest(context=context), self.assertRaises(UserError):
                self.endpoint.with_user(user).with_context(**context).write(vals)
        self.assertEqual(self.endpoint.read(list(vals))[0], before)
        self.assertFalse(
            self.env["interop.change.request"].search(
                [
                    ("res_model", "=", "interop.endpoint"),
                    ("res_id", "=", self.endpoint.id),
                ]
            )
        )

    def test_attack_user_sets_the_cadence_over_rpc(self):
        self.endpoint._interop_apply_write({"cadence_minutes": 60})
        self._assert_refused(self.user, {"cadence_minutes": 10080})
        self._assert_refused(self.user, {"cadence_calendar_id": self.office.id})

    def test_attack_auditor_sets_the_working_hours_over_rpc(self):
        self.endpoint._interop_apply_write({"cadence_minutes": 60})
        self._assert_refused(self.auditor, {"cadence_calendar_id": self.office.id})
        self._assert_refused(self.auditor, {"cadence_minutes": 0})

    def test_attack_manager_changes_the_cadence_past_change_control(self):
        self.endpoint._interop_apply_write({"cadence_minutes": 60})
        with self.assertRaises(UserError):
            self.endpoint.with_user(self.manager).with_context(
                interop_change_apply=True
            ).write({"cadence_minutes": 10080})
        self.assertEqual(self.endpoint.cadence_minutes, 60)

    def test_attack_manager_narrows_working_hours_past_change_control(self):
        # fewer working hours: fewer gaps counted, alerts asleep
        self.endpoint._interop_apply_write({"cadence_minutes": 60})
        with self.assertRaises(UserError):
            self.endpoint.with_user(self.manager).write(
                {"cadence_calendar_id": self.office.id}
            )
        self.assertFalse(self.endpoint.cadence_calendar_id)

    def test_manager_cadence_edit_becomes_a_change_request(self):
        self.endpoint.with_user(self.manager).with_context(
            interop_request_change=True
        ).write({"cadence_minutes": 30, "cadence_calendar_id": self.office.id})
        self.assertEqual(self.endpoint.cadence_minutes, 0)
        approver = new_test_user(
            self.env, login="cadence_approver", groups="interop.group_interop_manager"
        )
        self._approve_pending(self.endpoint, approver=approver)
        self.assertRecordValues(
            self.endpoint,
            [{"cadence_minutes": 30, "cadence_calendar_id": self.office.id}],
        )


@tagged("post_install", "-at_install")
class TestBreakerTimeInState(AvailabilityCase):
    """The time an outbound endpoint's breaker spent closed, open, half-open."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Transition = cls.env["interop.breaker.transition"]

    def _move(self, at, state_from, state_to):
        self.Transition._record(self.endpoint.id, state_from, state_to, at)

    def _outage(self):
        """Open at T0+2h, a failed probe at 2h10, a good one at 2h20, closed at
        2h21."""
        self._move(T0 + timedelta(hours=2), "closed", "open")
        self._move(T0 + timedelta(hours=2, minutes=10), "open", "half_open")
        self._move(T0 + timedelta(hours=2, minutes=10, seconds=30), "half_open", "open")
        self._move(T0 + timedelta(hours=2, minutes=20), "open", "half_open")
        self._move(T0 + timedelta(hours=2, minutes=21), "half_open", "closed")

    def test_time_in_each_state_over_24_hours(self):
        self._outage()
        now = T0 + timedelta(hours=24)
        with freeze_time(now):
            seconds = self.endpoint._monitor_breaker_seconds(24 * 60)
            self.endpoint.invalidate_recordset()
            shown = self.endpoint.with_user(self.user).monitor_breaker_time_24h
        self.assertEqual(
            seconds[self.endpoint.id],
            {"closed": 85140.0, "open": 1170.0, "half_open": 90.0},
        )
        self.assertEqual(shown, "Closed 23 h 39 min · Open 20 min · Half-Open 2 min")
        text = self._metrics(now)
        for state, value in (("closed", 85140), ("open", 1170), ("half_open", 90)):
            self.assertEqual(
                _metric(
                    text,
                    "interop_endpoint_breaker_seconds",
                    endpoint=self.endpoint.code,
                    state=state,
                    window="24h",
                ),
                value,
            )

    def test_the_window_starts_in_the_state_left_before_it(self):
        self._move(T0 - timedelta(hours=2), "closed", "open")
        self._move(T0 + timedelta(hours=1), "open", "closed")
        with freeze_time(T0 + timedelta(hours=24)):
            seconds = self.endpoint._monitor_breaker_seconds(24 * 60)
        self.assertEqual(
            seconds[self.endpoint.id],
            {"closed": 82800.0, "open": 3600.0, "half_open": 0.0},
        )

    def test_no_history_is_the_current_state_all_along(self):
        with freeze_time(T0):
            seconds = self.endpoint._monitor_breaker_seconds(7 * 24 * 60)
        self.assertEqual(
            seconds[self.endpoint.id],
            {"closed": 7 * 86400.0, "open": 0.0, "half_open": 0.0},
        )

    def test_history_older_than_the_retention_is_pruned(self):
        self._move(T0 - timedelta(days=40), "closed", "open")
        self._move(T0 - timedelta(days=30), "open", "closed")
        with freeze_time(T0):
            self.Rollup._cron_prune()
        self.assertEqual(
            self.Transition.search([("endpoint_id", "=", self.endpoint.id)]).mapped(
                "date"
            ),
            [T0 - timedelta(days=30)],
        )


@tagged("post_install", "-at_install")
class TestHeldOnTheTile(AvailabilityCase):
    """The messages rules hold, per rule, on the endpoint's health tile."""

    def _held(self, received, rule, held_at, release_at):
        message = self._message(received, state="processing")
        with freeze_time(held_at):
            attempt = (
                self.env["interop.message.attempt"]
                .sudo()
                .create(
                    [{"message_id": message.id, "number": 1, "date_started": held_at}]
                )
            )
            message._hold_until(
                MessageHeld("Too early.", release_at=release_at, rule=rule),
                attempt,
                time.monotonic(),
            )
        return message

    def test_held_messages_per_rule_show_on_the_tile_with_a_link(self):
        rule_a = self.env.ref("interop.event_type_responsible_party_updated")
        rule_b = self.endpoint
        first = self._held(0, rule_a, T0, T0 + timedelta(hours=3))
        second = self._held(
            60, rule_a, T0 + timedelta(hours=1), T0 + timedelta(hours=2)
        )
        third = self._held(120, rule_b, T0, T0 + timedelta(days=1))
        endpoint = self.endpoint.with_user(self.user)
        endpoint.invalidate_recordset()
        self.assertEqual(endpoint.monitor_held_count, 3)
        html = str(endpoint.monitor_held_html)
        self.assertIn(f"<b>{rule_a.display_name}</b>: 2 held since", html)
        self.assertIn(f"<b>{rule_b.display_name}</b>: 1 held since", html)
        action = endpoint.action_view_monitor_held()
        self.assertEqual(
            self.env["interop.message"].with_user(self.user).search(action["domain"]),
            first | second | third,
        )
        self.assertEqual(action["context"]["group_by"], ["monitor_hold_rule"])

    def test_a_rule_name_is_escaped_on_the_tile(self):
        rule = self.env["res.partner"].create({"name": "<img src=x onerror=alert(1)>"})
        self._held(0, rule, T0, T0 + timedelta(hours=1))
        self.endpoint.invalidate_recordset()
        html = str(self.endpoint.monitor_held_html)
        self.assertNotIn("<img", html)
        self.assertIn("&lt;img", html)
