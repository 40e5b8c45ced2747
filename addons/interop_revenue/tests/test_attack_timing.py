# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RevenueCase


@tagged("post_install", "-at_install")
class TestAttackTiming(RevenueCase):
    """Timing rules and held messages, attacked over RPC by each role."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.window_rule = cls.env.ref("interop_revenue.timing_rule_service_date_window")
        cls.window_rule._interop_apply_write({"action": "hold"})
        # the window rule alone holds an early completion (the billing rule would
        # hold it too, at the next step)
        cls.env.ref(
            "interop_revenue.timing_rule_bill_after_service"
        )._interop_apply_write({"active": False})

    def _complete_in(self, visit, days):
        payload = self._completed_payload(visit)
        day = fields.Date.to_string(fields.Date.today() + timedelta(days=days))
        payload["visit"]["completed_at"] = f"{day}T09:30:00Z"
        for line in payload["lines"]:
            line["date"] = day
        return self.scheduling._receive_event("service.completed", payload)

    def test_attack_manager_moves_an_active_rule_off_its_step(self):
        """The step a rule is checked at is its kind's: written directly, the rule
        would never be checked again (as if archived), without any approval."""
        rule = self.window_rule.with_user(self.manager)
        client = rule.with_context(lang="en_US", tz="UTC", uid=self.manager.id)
        for context in ({}, {"interop_request_change": True}):
            with self.subTest(context=context), self.assertRaises(UserError):
                client.with_context(**context).write({"step": "intake"})
        self.env.invalidate_all()
        self.assertEqual(self.window_rule.step, "completion")
        message = self._complete_in("V-STEP", 30)
        self.assertEqual(message.state, "held")
        self.assertEqual(message.timing_rule_id, self.window_rule)
