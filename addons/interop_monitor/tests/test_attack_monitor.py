# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .common import T0, MonitorCase


@tagged("post_install", "-at_install")
class TestAttackMonitor(MonitorCase):
    """Alert rules and their log, attacked over RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = cls.env["interop.alert.rule"].create(
            {
                "name": "Test attack error rate",
                "figure": "error_rate",
                "endpoint_id": cls.endpoint.id,
                "operator": ">",
                "threshold": 5,
                "window_minutes": 15,
                "user_id": cls.user.id,
            }
        )

    def _fire(self):
        for i in range(9):
            self._message(i, 1)
        self._message(30, 1, state="failed")
        with freeze_time(T0 + timedelta(minutes=5)):
            self.Rollup._rollup_batch()
            self.rule._evaluate()
        self.assertEqual(self.rule.state, "firing")

    def test_attack_manager_erases_the_alert_log_by_deleting_the_rule(self):
        """Archived once its archiving is approved, a rule that fired keeps its
        firing log: deleting the rule would delete the log with it."""
        self._fire()
        events = self.rule.event_ids
        self.assertTrue(events)
        self.rule._interop_apply_write({"active": False})
        with self.assertRaises(UserError):
            self.rule.with_user(self.manager).with_context(
                active_test=False, interop_change_apply=True
            ).unlink()
        self.assertTrue(events.exists())
        # a rule that never fired (a mistake, archived) is deleted
        quiet = self.rule.copy({"name": "Never fired"})
        quiet._interop_apply_write({"active": False})
        quiet.with_user(self.manager).unlink()
        self.assertFalse(quiet.exists())

    def test_attack_manager_creates_a_rule_whose_window_breaks_every_evaluation(self):
        """A window of 2**31 - 1 minutes (4,000 years) reaches before year 1: the
        rule's every evaluation failed, an ERROR in the log each minute."""
        with self.assertRaises(ValidationError):
            self.env["interop.alert.rule"].with_user(self.manager).create(
                {
                    "name": "Forever",
                    "figure": "message_count",
                    "threshold": 1,
                    "window_minutes": 2**31 - 1,
                    "user_id": self.manager.id,
                }
            )
        with self.assertRaises(ValidationError):
            self.rule._interop_apply_write({"window_minutes": 2**31 - 1})
