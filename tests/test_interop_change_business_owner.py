# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import InteropMessageCase

ACTIVITY_TYPE = "interop.mail_act_interop_change_review"


@tagged("post_install", "-at_install")
class TestBusinessOwnerApproves(InteropMessageCase):
    """The business owner of an endpoint sees its changes and, when the governance
    settings name them, approves them: never their own, never someone else's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the endpoint's business owner is cls.user, an Interop user
        cls.other_user = new_test_user(
            cls.env, login="not_the_owner", groups="interop.group_interop_user"
        )
        cls.client = {"lang": "en_US", "tz": "UTC", "interop_change_apply": True}

    def _submitted(self, author=None):
        author = author or self.manager
        self.endpoint.with_user(author).with_context(interop_request_change=True).write(
            {"base_url": "https://scheduling.example/api/v2"}
        )
        request = self.env["interop.change.request"].search(
            [
                ("res_model", "=", "interop.endpoint"),
                ("res_id", "=", self.endpoint.id),
                ("state", "=", "draft"),
            ]
        )
        request.with_user(author).reason = "New API version"
        request.with_user(author).action_submit()
        return request

    def _name_business_owners_approvers(self):
        self.env["ir.config_parameter"].set_param(
            "interop.change_business_owner_approves", "True"
        )

    def test_business_owner_sees_their_endpoints_changes_and_gets_an_activity(self):
        request = self._submitted()
        Request = self.env["interop.change.request"].with_user(self.user)
        self.assertEqual(
            Request.search([("business_owner_id", "=", self.user.id)]), request
        )
        self.assertFalse(
            Request.search([("business_owner_id", "=", self.other_user.id)])
        )
        activity = request.activity_ids.filtered(lambda a: a.user_id == self.user)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.activity_type_id, self.env.ref(ACTIVITY_TYPE))
        # told, not asked: approving is not theirs while the settings do not say so
        self.assertFalse(request.with_user(self.user).can_decide)

    def test_business_owner_approves_when_the_settings_name_them(self):
        self._name_business_owners_approvers()
        request = self._submitted()
        self.assertTrue(request.with_user(self.user).can_decide)
        request.with_user(self.user).with_context(**self.client).action_approve()
        self.assertRecordValues(
            request, [{"state": "applied", "approver_id": self.user.id}]
        )
        self.assertEqual(self.endpoint.base_url, "https://scheduling.example/api/v2")

    def test_attack_business_owner_approves_when_the_settings_do_not_name_them(self):
        request = self._submitted()
        with self.assertRaises(AccessError):
            request.with_user(self.user).with_context(**self.client).action_approve()
        self.assertEqual(request.state, "submitted")
        self.assertEqual(self.endpoint.base_url, "https://scheduling.example/api")

    def test_attack_user_not_named_approves_another_owners_endpoint_change(self):
        self._name_business_owners_approvers()
        request = self._submitted()
        for method in ("action_approve", "action_reject"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(
                    request.with_user(self.other_user).with_context(**self.client),
                    method,
                )()
        self.assertEqual(request.state, "submitted")

    def test_attack_business_owner_approves_their_own_change(self):
        self._name_business_owners_approvers()
        # the business owner is a manager who drafts a change to their endpoint
        self.endpoint._interop_apply_write({"business_owner_id": self.manager.id})
        request = self._submitted(author=self.manager)
        with self.assertRaisesRegex(AccessError, "another approver"):
            request.with_user(self.manager).with_context(**self.client).action_approve()
        self.assertEqual(request.state, "submitted")
