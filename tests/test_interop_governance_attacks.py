# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Attacks on change control and on service users, made as the roles would over RPC:
``with_user`` a Manager, any values, any context a client can send."""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import InteropCase

#: what a client puts into execute_kw's context to try to unlock change control
CLIENT_CONTEXT = {"interop_change_apply": True, "interop_change_workflow": True}


@tagged("post_install", "-at_install")
class TestChangeControlAttacks(InteropCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.approver = new_test_user(
            cls.env, login="interop_approver", groups="interop.group_interop_manager"
        )
        cls.endpoint._activate()
        cls.Request = cls.env["interop.change.request"]

    def _as_manager(self, record):
        return record.with_user(self.manager).with_context(**CLIENT_CONTEXT)

    def _requests(self, record=None):
        record = record or self.endpoint
        return self.Request.search(
            [("res_model", "=", record._name), ("res_id", "=", record.id)]
        )

    def test_attack_client_context_key_applies_governed_change(self):
        versions = self.env["interop.config.version"].search_count([])
        with self.assertRaisesRegex(UserError, "approved change request"):
            self._as_manager(self.endpoint).write(
                {"base_url": "https://attacker.example/api"}
            )
        self.assertEqual(self.endpoint.base_url, "https://scheduling.example/api")
        self.assertEqual(self.env["interop.config.version"].search_count([]), versions)

    def test_attack_suspend_edit_reactivate_skips_approval(self):
        endpoint = self._as_manager(self.endpoint)
        endpoint.action_suspend()
        with self.assertRaisesRegex(UserError, "approved change request"):
            endpoint.base_url = "https://attacker.example/api"
        # the form's way: the edit becomes a draft request, nothing changes
        endpoint.with_context(interop_request_change=True).write(
            {"base_url": "https://attacker.example/api"}
        )
        endpoint.action_activate()
        self.assertRecordValues(
            self.endpoint,
            [{"state": "active", "base_url": "https://scheduling.example/api"}],
        )
        self.assertEqual(self._requests().mapped("state"), ["draft"])

    def test_attack_retire_without_approval(self):
        endpoint = self._as_manager(self.endpoint)
        with self.assertRaisesRegex(UserError, "only through an approved change"):
            endpoint.write({"state": "retired"})
        action = endpoint.action_retire()
        self.assertEqual(action["params"]["next"]["res_model"], self.Request._name)
        self.assertEqual(self.endpoint.state, "active")
        request = self._requests()
        self.assertRecordValues(
            request, [{"state": "draft", "author_id": self.manager.id}]
        )
        # the author cannot approve it; another approver can
        request.with_user(self.manager).reason = "Contract ended"
        request.with_user(self.manager).action_submit()
        with self.assertRaises(AccessError):
            request.with_user(self.manager).action_approve()
        request.with_user(self.approver).action_approve()
        self.assertEqual(self.endpoint.state, "retired")
        self.assertTrue(self.endpoint.date_retired)

    def test_attack_production_activation_without_approval(self):
        draft = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="new-prod")
        )
        endpoint = self._as_manager(draft)
        with self.assertRaisesRegex(UserError, "only through an approved change"):
            endpoint.write({"state": "active"})
        endpoint.action_activate()
        endpoint.action_activate()  # pressed twice: still one request
        self.assertEqual(draft.state, "draft")
        self.assertEqual(len(self._requests(draft)), 1)
        self._approve_pending(draft, approver=self.approver)
        self.assertEqual(draft.state, "active")
        self.assertTrue(draft.service_user_id)

    def test_attack_manager_forges_change_request(self):
        with self.assertRaises(AccessError):
            self.Request.with_user(self.manager).with_context(**CLIENT_CONTEXT).create(
                {
                    "res_model": "interop.endpoint",
                    "res_id": self.endpoint.id,
                    "values_json": '{"base_url": "https://attacker.example"}',
                    "author_id": self.approver.id,
                }
            )
        self._as_manager(self.endpoint).with_context(interop_request_change=True).write(
            {"base_url": "https://v2.scheduling.example/api"}
        )
        request = self._requests().with_user(self.manager)
        forged = {
            "author_id": self.approver.id,
            "values_json": '{"base_url": "https://attacker.example"}',
            "state": "applied",
            "approver_id": self.approver.id,
        }
        for fname, value in forged.items():
            with self.subTest(field=fname), self.assertRaises(AccessError):
                request.with_context(**CLIENT_CONTEXT).write({fname: value})
        request.reason = "New API version"
        request.action_submit()
        with self.assertRaises(AccessError):
            request.reason = "Edited after submission"
        # tampered with below the ORM after submission: approval refuses it
        self.env.cr.execute(
            "UPDATE interop_change_request SET values_json = %s WHERE id = %s",
            ('{"base_url": "https://attacker.example/api"}', request.id),
        )
        request.invalidate_recordset()
        with self.assertRaisesRegex(UserError, "no longer what was submitted"):
            request.with_user(self.approver).action_approve()
        self.assertEqual(self.endpoint.base_url, "https://scheduling.example/api")

    def test_attack_other_manager_submits_a_draft_they_did_not_write(self):
        self._as_manager(self.endpoint).with_context(interop_request_change=True).write(
            {"base_url": "https://v2.scheduling.example/api"}
        )
        request = self._requests().with_user(self.approver)
        with self.assertRaises(AccessError):
            request.reason = "Approver rewrites the why"
        with self.assertRaises(AccessError):
            request.action_submit()

    def test_attack_manager_rewrites_lifecycle_dates(self):
        endpoint = self._as_manager(self.endpoint)
        for fname in ("date_activated", "date_retired"):
            with self.subTest(field=fname), self.assertRaises(UserError):
                endpoint.write({fname: False, "code": "renamed"})
        self.assertTrue(self.endpoint.date_activated)
        self.assertEqual(self.endpoint.code, "test-scheduling")


@tagged("post_install", "-at_install")
class TestServiceUserAttacks(InteropCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.settings_admin = new_test_user(
            cls.env,
            login="interop_settings_admin",
            groups="base.group_system,interop.group_interop_manager",
        )
        cls.service = new_test_user(
            cls.env,
            login="interop_spare_service",
            groups="base.group_user,interop.group_interop_service",
        )

    def test_attack_manager_makes_admin_the_service_user(self):
        Endpoint = self.env["interop.endpoint"].with_user(self.manager)
        with self.assertRaises(AccessError):
            Endpoint.create(
                self._endpoint_vals(code="escalate", service_user_id=self.admin.id)
            )
        draft = Endpoint.create(self._endpoint_vals(code="escalate"))
        for user in (self.admin, self.service, self.manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                draft.write({"service_user_id": user.id})
        self.assertFalse(draft.service_user_id)

    @mute_logger("odoo.models")
    def test_attack_administrator_chooses_a_privileged_service_user(self):
        draft = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="escalate")
        )
        draft = draft.with_user(self.settings_admin)
        for user in (self.admin, self.manager, self.settings_admin, self.auditor):
            with self.subTest(user=user.login), self.assertRaises(ValidationError):
                draft.service_user_id = user
        draft.service_user_id = self.service
        self.assertEqual(draft.service_user_id, self.service)

    def test_attack_two_endpoints_share_one_service_user(self):
        self.endpoint._activate()
        other = self.env["interop.endpoint"].create(self._endpoint_vals(code="other"))
        with self.assertRaisesRegex(ValidationError, "another endpoint's messages"):
            other.with_user(
                self.settings_admin
            ).service_user_id = self.endpoint.service_user_id

    def test_service_user_is_governed_on_an_active_endpoint(self):
        self.endpoint._activate()
        with self.assertRaisesRegex(UserError, "approved change request"):
            self.endpoint.with_user(self.settings_admin).service_user_id = self.service

    def test_activation_creates_a_dedicated_service_user(self):
        self.endpoint.environment = "staging"
        self.endpoint.with_user(self.manager).action_activate()
        user = self.endpoint.service_user_id
        self.assertIn(self.env.ref("interop.group_interop_service"), user.groups_id)
        for xmlid in ("base.group_system", "interop.group_interop_user"):
            self.assertNotIn(self.env.ref(xmlid), user.groups_id)
        self.assertEqual(self.endpoint.state, "active")
