# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import time
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from odoo.addons.interop.errors import MessageHeld

from ..models.interop_monitor_figure import Scope
from .common import T0, MonitorCase


@tagged("post_install", "-at_install")
class TestHeldByRule(MonitorCase):
    """Messages a rule holds (the core's MessageHeld), counted per rule."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # any module's rule is a record the core's MessageHeld carries; the monitor
        # reads its name only (it depends on no rule-owning module)
        cls.rule_a = cls.env.ref("interop.event_type_responsible_party_updated")
        cls.rule_b = cls.endpoint
        cls.Figure = cls.env["interop.monitor.figure"]

    def _hold(self, message, rule, release_at, at):
        with freeze_time(at):
            attempt = (
                self.env["interop.message.attempt"]
                .sudo()
                .create(
                    [
                        {
                            "message_id": message.id,
                            "number": len(message.attempt_ids) + 1,
                            "date_started": at,
                        }
                    ]
                )
            )
            message._hold_until(
                MessageHeld("Too early.", release_at=release_at, rule=rule),
                attempt,
                time.monotonic(),
            )

    def _held(self, received, rule, held_at, release_at):
        message = self._message(received, state="processing")
        self._hold(message, rule, release_at, held_at)
        return message

    def test_held_messages_per_rule_count_oldest_next_release(self):
        first = self._held(0, self.rule_a, T0, T0 + timedelta(hours=3))
        self._held(60, self.rule_a, T0 + timedelta(hours=1), T0 + timedelta(hours=2))
        self._held(120, self.rule_b, T0 + timedelta(hours=2), T0 + timedelta(days=1))
        # checked again and held again: held since the first time
        first._set_state("queued", date_release=False)
        first._set_state("processing")
        self._hold(first, self.rule_a, T0 + timedelta(hours=4), T0 + timedelta(hours=3))
        self.assertEqual(first.monitor_date_held, T0)
        now = T0 + timedelta(hours=3, minutes=30)
        with freeze_time(now):
            rows = {
                rule: (count, oldest, release)
                for rule, count, oldest, release in self.Figure._held_by_rule(
                    self.company
                )
            }
            self.assertEqual(
                rows[self.rule_a.display_name],
                (2, T0, T0 + timedelta(hours=2)),
            )
            self.assertEqual(
                rows[self.rule_b.display_name],
                (1, T0 + timedelta(hours=2), T0 + timedelta(days=1)),
            )
            # the endpoint's (the demo data holds messages of other endpoints)
            scope = Scope(self.company, self.endpoint, None, None, 15)
            self.assertEqual(self.Figure._value("held_count", scope), 3)
            # "held longer than X" for an alert rule: the first, 3 h 30 min
            self.assertAlmostEqual(self.Figure._value("held_age_minutes", scope), 210.0)
            action = self.Figure._action("held_count", scope)
            self.assertEqual(
                self.env["interop.message"].search_count(action["domain"]), 3
            )
            text = (
                self.env["interop.monitor.metrics"]._exposition(self.company).decode()
            )
        samples = {
            (sample.name, sample.labels.get("rule")): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name.startswith("interop_held_")
        }
        name_a = self.rule_a.display_name
        self.assertEqual(samples[("interop_held_messages", name_a)], 2)
        self.assertEqual(
            samples[("interop_held_oldest_age_seconds", name_a)], 3.5 * 3600
        )
        # the rule's next release was due 1 h 30 min ago
        self.assertEqual(
            samples[("interop_held_next_release_seconds", name_a)], -1.5 * 3600
        )
        self.assertEqual(
            samples[("interop_held_next_release_seconds", self.rule_b.display_name)],
            20.5 * 3600,
        )

    def test_attack_manager_rewrites_the_rule_a_message_is_held_by(self):
        message = self._held(0, self.rule_a, T0, T0 + timedelta(hours=3))
        for user in (self.manager, self.user):
            with self.assertRaises(AccessError):
                message.with_user(user).write(
                    {"monitor_hold_rule": "nothing", "monitor_date_held": T0}
                )
        self.assertEqual(message.monitor_hold_rule, self.rule_a.display_name)
