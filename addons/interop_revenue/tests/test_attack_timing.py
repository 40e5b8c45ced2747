# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

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

    def test_attack_manager_unlinks_held_messages_from_their_rule(self):
        """Archived once its archiving is approved, a rule that held messages is
        not deleted: deleting it emptied "Held By Rule" on every message it held,
        rewriting the message log."""
        message = self._complete_in("V-UNLINK", 30)
        self.assertEqual(message.timing_rule_id, self.window_rule)
        self.window_rule._interop_apply_write({"active": False})
        with self.assertRaises(UserError):
            self.window_rule.with_user(self.manager).with_context(
                active_test=False, interop_change_apply=True
            ).unlink()
        self.env.invalidate_all()
        self.assertEqual(message.timing_rule_id, self.window_rule)
        # a rule that never held a message (a mistake, archived) is deleted
        unused = self.window_rule.copy({"name": "Never used", "active": False})
        unused.with_user(self.manager).unlink()
        self.assertFalse(unused.exists())

    def test_attack_manager_puts_a_rule_in_effect_without_approval(self):
        """A new rule, or an archived one restored, holds or fails completions as
        surely as an edit of a rule in effect: its activation is approved."""
        billing = self.env.ref("interop_revenue.timing_rule_bill_after_service")
        self.assertFalse(billing.active)
        Rule = self.env["interop.timing.rule"].with_user(self.manager)
        vals = {
            "name": "Fail them all",
            "kind": "service_date_window",
            "action": "exception",
        }
        with self.assertRaisesRegex(UserError, "starts archived"):
            Rule.create({**vals, "active": True})
        rule = Rule.create(vals)
        self.assertFalse(rule.active)
        for record in (rule, billing.with_user(self.manager)):
            with self.assertRaisesRegex(UserError, "change request"):
                record.action_unarchive()
            with self.assertRaisesRegex(UserError, "change request"):
                record.with_context(interop_change_apply=True).write({"active": True})
        self.assertFalse(rule.active or billing.active)
        action = billing.with_user(self.manager).action_request_activation()
        self.assertEqual(action["res_model"], "interop.change.request")
        self.assertFalse(billing.active)
        approver = new_test_user(
            self.env, login="timing_approver", groups="interop.group_interop_manager"
        )
        self._approve_pending(billing, approver=approver)
        self.assertTrue(billing.active)

    def test_attack_manager_creates_a_rule_that_fails_every_completion(self):
        """A tolerance of a billion hours reaches past year 9999: every completion
        of the company failed on an unexpected error instead of being checked."""
        with self.assertRaises(ValidationError):
            self.env["interop.timing.rule"].with_user(self.manager).create(
                {
                    "name": "Far future",
                    "kind": "service_date_window",
                    "action": "exception",
                    "tolerance_hours": 1e9,
                }
            )
