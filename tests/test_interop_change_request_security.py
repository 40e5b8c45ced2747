# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import InteropMessageCase


@tagged("post_install", "-at_install")
class TestChangeRequestForgery(InteropMessageCase):
    """A change request is a draft of whoever creates it and moves only through its
    buttons: nobody approves their own change by forging the author or the state."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.approver = new_test_user(
            cls.env, login="approver", groups="interop.group_interop_manager"
        )
        cls.client = {"lang": "en_US", "tz": "UTC", "interop_change_apply": True}

    def _vals(self, **overrides):
        return {
            "res_model": "interop.endpoint",
            "res_id": self.endpoint.id,
            "values_json": json.dumps({"base_url": "https://evil.example/api"}),
            "old_values_json": json.dumps({"base_url": self.endpoint.base_url}),
            "reason": "Faster",
            **overrides,
        }

    def _draft(self):
        """The manager's request, drafted the only way there is: editing the object."""
        self.endpoint.with_user(self.manager).with_context(
            interop_request_change=True
        ).write({"base_url": "https://evil.example/api"})
        request = self.env["interop.change.request"].search(
            [("res_model", "=", "interop.endpoint"), ("res_id", "=", self.endpoint.id)]
        )
        request.with_user(self.manager).reason = "Faster"
        return request.with_user(self.manager).with_context(**self.client)

    def _as_manager(self):
        return (
            self.env["interop.change.request"]
            .with_user(self.manager)
            .with_context(**self.client)
        )

    def test_attack_manager_approves_own_change_with_a_forged_author(self):
        Request = self._as_manager()
        with self.assertRaises(AccessError):
            Request.create(
                self._vals(author_id=self.approver.id, state="submitted")
            ).action_approve()
        with self.assertRaises(AccessError):
            Request.create(self._vals())
        request = self._draft()
        self.assertEqual(request.author_id, self.manager)
        with self.assertRaises(AccessError):
            request.write({"author_id": self.approver.id})
        request.action_submit()
        with self.assertRaisesRegex(AccessError, "another approver"):
            request.action_approve()
        self.assertEqual(self.endpoint.base_url, "https://scheduling.example/api")

    def test_attack_manager_forges_a_decision(self):
        request = self._draft()
        for vals in (
            {"state": "applied"},
            {"state": "submitted"},
            {"approver_id": self.approver.id, "date_decided": "2026-01-01"},
            {"decision_note": "Approved on the phone"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                request.write(vals)
        self.assertRecordValues(request, [{"state": "draft", "approver_id": False}])

    def test_attack_manager_changes_the_diff_after_submission(self):
        request = self._draft()
        request.write({"risk_notes": "None"})  # a draft's risk, edited
        request.action_submit()
        with self.assertRaises(AccessError):
            request.write(
                {"values_json": json.dumps({"base_url": "https://other.example"})}
            )
        with self.assertRaises(AccessError):
            request.write({"reason": "Another reason"})
        request.with_user(self.approver).action_approve()
        self.assertEqual(self.endpoint.base_url, "https://evil.example/api")

    def test_attack_manager_requests_a_change_of_anything_else(self):
        Request = self._as_manager()
        for vals in (
            {"values_json": json.dumps({"state": "retired"})},
            {"values_json": json.dumps({"date_activated": False})},
            {
                "res_model": "res.users",
                "res_id": self.manager.id,
                "values_json": json.dumps({"groups_id": [(4, 1)]}),
            },
            {"values_json": "[]"},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                Request.create(self._vals(**vals))
