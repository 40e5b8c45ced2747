# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import InteropMessageCase


@tagged("post_install", "-at_install")
class TestRetireWithPendingMessages(InteropMessageCase):
    """Retiring an endpoint whose messages still wait cancels them, with a reason,
    instead of leaving them queued for ever."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.approver = new_test_user(
            cls.env, login="retire_approver", groups="interop.group_interop_manager"
        )

    def _waiting(self, ref, state="queued"):
        message = self.env["interop.message"]._log_message(
            self.endpoint,
            self.event_type,
            self._payload(ref=ref) | {"event_id": f"w-{ref}"},
        )
        message._validate()
        if state in ("queued", "processing"):
            message._set_state("queued")
        if state == "processing":
            message._set_state("processing")
        return message

    def _wizard(self, user=None, **vals):
        action = self.env["interop.endpoint.retire"]._action_open(self.endpoint)
        Wizard = self.env[action["res_model"]].with_user(user or self.manager)
        return Wizard.with_context(**action["context"]).create(vals)

    def test_pending_messages_are_counted_and_named_in_the_refusal(self):
        self._waiting("Q-1")
        self._waiting("V-1", state="validated")
        Retire = self.env["interop.endpoint.retire"]
        self.assertTrue(Retire._needs_confirmation(self.endpoint))
        with self.assertRaisesRegex(UserError, "2 message"):
            Retire._check_retire_pending_messages(self.endpoint)
        # a client's context key is no confirmation
        forged = self.endpoint.with_context(interop_endpoint_retire=True)
        self.assertTrue(Retire._needs_confirmation(forged))
        self.assertEqual(self._wizard().pending_count, 2)

    def test_retiring_cancels_the_waiting_messages_with_the_reason(self):
        queued = self._waiting("Q-1") | self._waiting("Q-2")
        validated = self._waiting("V-1", state="validated")
        done = self._receive(self._payload(ref="D-1") | {"event_id": "d-1"})
        self.assertEqual(done.state, "done")
        wizard = self._wizard(reason="Replaced by the new billing platform")
        wizard.action_retire()
        # in use: retired once another approver approves, messages waiting until then
        self.assertEqual(self.endpoint.state, "active")
        self.assertEqual(set(queued.mapped("state")), {"queued"})
        self._approve_pending(self.endpoint, approver=self.approver)
        self.assertEqual(self.endpoint.state, "retired")
        self.assertTrue(self.endpoint.date_retired)
        self.assertEqual(set((queued | validated).mapped("state")), {"cancelled"})
        self.assertEqual(done.state, "done")
        self.assertFalse(
            self.env["interop.endpoint.retire"]._needs_confirmation(self.endpoint)
        )
        Audit = self.env["interop.audit.entry"]
        self.assertEqual(
            Audit.search_count(
                [
                    ("event", "=", "message_cancelled"),
                    ("res_model", "=", "interop.message"),
                    ("res_id", "in", (queued | validated).ids),
                ]
            ),
            3,
        )
        entry = Audit.search(
            [
                ("event", "=", "message_cancelled"),
                ("res_model", "=", "interop.endpoint"),
                ("res_id", "=", self.endpoint.id),
            ]
        )
        self.assertEqual(entry.user_id, self.approver)
        self.assertIn("Replaced by the new billing platform", entry.details)
        self.assertIn('"count": 3', entry.details)

    def test_a_reason_is_required(self):
        self._waiting("Q-1")
        with self.assertRaisesRegex(UserError, "Say why"):
            self._wizard(reason="   ").action_retire()
        self.assertEqual(self.endpoint.state, "active")

    def test_messages_being_processed_stop_the_retirement(self):
        queued = self._waiting("Q-1")
        self._waiting("P-1", state="processing")
        wizard = self._wizard(reason="Decommissioned")
        self.assertEqual(wizard.processing_count, 1)
        with self.assertRaisesRegex(UserError, "being processed"):
            wizard.action_retire()
        self.assertEqual(self.endpoint.state, "active")
        self.assertEqual(queued.state, "queued")

    def test_attack_user_and_auditor_retire_through_the_wizard(self):
        queued = self._waiting("Q-1")
        for user in (self.user, self.auditor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._wizard(user=user, reason="x").action_retire()
        self.assertEqual(self.endpoint.state, "active")
        self.assertEqual(queued.state, "queued")

    def test_attack_manager_of_another_company_retires_through_the_wizard(self):
        self._setup_other_company()
        queued = self._waiting("Q-1")
        wizard = (
            self.env["interop.endpoint.retire"]
            .with_user(self.other_manager)
            .create({"endpoint_ids": [(6, 0, self.endpoint.ids)], "reason": "Not mine"})
        )
        self.assertEqual(wizard.pending_count, 0)
        self.env.invalidate_all()  # the next RPC call: the wizard read afresh
        with self.assertRaisesRegex(UserError, "no endpoint of yours"):
            wizard.action_retire()
        self.assertEqual(self.endpoint.state, "active")
        self.assertEqual(queued.state, "queued")

    def test_attack_manager_retires_with_waiting_messages_by_write(self):
        queued = self._waiting("Q-1")
        endpoint = self.endpoint.with_user(self.manager).with_context(
            interop_endpoint_retire=True, interop_change_apply=True
        )
        with self.assertRaises(UserError):
            endpoint.write({"state": "retired"})
        self.assertEqual(
            endpoint.action_retire()["res_model"], "interop.endpoint.retire"
        )
        self.assertEqual(self.endpoint.state, "active")
        self.assertEqual(queued.state, "queued")
