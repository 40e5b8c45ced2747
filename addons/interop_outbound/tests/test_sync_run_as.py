# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A sync runs as a dedicated user, on a model the suite declares syncable."""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import SecurityCase


@tagged("post_install", "-at_install")
class TestRunAs(SecurityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param(
            "interop.test_probe", "a-secret-parameter"
        )
        cls.probe_domain = repr(
            [("key", "=", "interop.test_probe"), ("value", "=like", "a%")]
        )
        cls.other_sync_user = new_test_user(
            cls.env,
            login="other_sync_user",
            groups="base.group_user,interop.group_interop_service",
        )
        cls.later = fields.Datetime.now() + timedelta(minutes=2)

    def _push_vals(self, model_xmlid, domain="[]", **vals):
        return {
            "name": "Extract",
            "endpoint_id": self.endpoint.id,
            "direction": "push",
            "resource_path": "/extract",
            "model_id": self.env.ref(model_xmlid).id,
            "domain": domain,
            **vals,
        }

    def _leaked(self):
        runs = self.env["interop.sync.run"].search(
            [("sync_id.model_id.model", "=", "ir.config_parameter")]
        )
        return runs.filtered("total_count")

    def test_attack_push_sync_run_as_admin_recovers_secret_parameters(self):
        Sync = self.as_client(self.env["interop.sync"], self.manager)
        sync = None

        def create():
            nonlocal sync
            sync = Sync.create(
                self._push_vals(
                    "base.model_ir_config_parameter",
                    self.probe_domain,
                    user_id=self.env.ref("base.user_admin").id,
                )
            )

        refused = self.attempt(create)
        if sync:
            with freeze_time(self.later):
                self.attempt(sync.action_run_now)
        self.assertFalse(self._leaked())
        self.assertIsInstance(refused, AccessError)

    def test_attack_manager_makes_an_administrator_the_run_as_user(self):
        sync = self.env["interop.sync"].create(
            self._push_vals("base.model_res_partner")
        )
        for user in (self.env.ref("base.user_admin"), self.admin, self.manager):
            with self.subTest(user=user.login):
                refused = self.attempt(
                    self.as_client(sync, self.manager).write, {"user_id": user.id}
                )
                self.assertIsInstance(refused, AccessError)
                self.assertEqual(sync.user_id, self.run_as)

    def test_attack_administrator_runs_a_sync_as_an_administrator(self):
        sync = self.env["interop.sync"].create(
            self._push_vals("base.model_res_partner")
        )
        root = self.env.ref("base.user_root")
        for user in (self.env.ref("base.user_admin"), self.admin, self.manager, root):
            with self.subTest(user=user.login):
                refused = self.attempt(
                    self.as_client(sync, self.admin).write, {"user_id": user.id}
                )
                self.assertIsInstance(refused, ValidationError)
                self.assertEqual(sync.user_id, self.run_as)
        # a dedicated user holding the service group is what an administrator sets
        self.as_client(sync, self.admin).write({"user_id": self.other_sync_user.id})
        self.assertEqual(sync.user_id, self.other_sync_user)

    def test_attack_administrator_syncs_a_forbidden_model(self):
        for model in (
            "base.model_ir_config_parameter",
            "base.model_res_users",
            "base.model_res_groups",
            "base.model_res_company",
            "interop_outbound.model_interop_credential",
        ):
            with self.subTest(model=model):
                refused = self.attempt(
                    self.as_client(self.env["interop.sync"], self.admin).create,
                    self._push_vals(model),
                )
                self.assertIsInstance(refused, ValidationError)

    def test_attack_a_run_as_promoted_to_administrator_stops_the_sync(self):
        sync = self.env["interop.sync"].create(
            self._push_vals("base.model_res_partner", user_id=self.other_sync_user.id)
        )
        self.other_sync_user.groups_id = [Command.link(self.ref("base.group_system"))]
        with freeze_time(self.later):
            run = sync._run()
        self.assertEqual(run.state, "failed")
        self.assertFalse(run.total_count)
        self.assertFalse(run.message_ids)

    def test_attack_domain_probes_a_field_the_run_as_user_cannot_read(self):
        # tracking values (old values of tracked fields) are for administrators
        domain = repr(
            [("message_ids.tracking_value_ids.old_value_char", "=like", "a%")]
        )
        refused = self.attempt(
            self.as_client(self.env["interop.sync"], self.manager).create,
            self._push_vals("base.model_res_partner", domain),
        )
        self.assertIsInstance(refused, ValidationError)
        self.assertFalse(
            self.env["interop.sync"].search([("domain", "=", domain)]),
        )

    def test_attack_push_sends_a_field_of_another_model(self):
        value = self.env.ref("base.field_ir_config_parameter__value")
        refused = self.attempt(
            self.as_client(self.env["interop.sync"], self.manager).create,
            self._push_vals(
                "base.model_res_partner", field_ids=[Command.set(value.ids)]
            ),
        )
        self.assertIsInstance(refused, ValidationError)

    def test_a_manager_creates_a_sync_with_the_default_run_as_user(self):
        sync = self.as_client(self.env["interop.sync"], self.manager).create(
            self._push_vals("base.model_res_partner", user_id=self.run_as.id)
        )
        self.assertEqual(sync.user_id, self.run_as)
        with freeze_time(self.later):
            run = sync._run()
        self.assertEqual(run.state, "done")

    def test_attack_run_as_of_a_scheduled_sync_changes_without_approval(self):
        other = new_test_user(
            self.env,
            login="dedicated_sync_user",
            groups="base.group_user,interop.group_interop_service",
        )
        sync = self.env["interop.sync"].create(
            {
                "name": "Nightly",
                "endpoint_id": self.endpoint.id,
                "direction": "pull",
                "resource_path": "/catalog",
            }
        )
        sync._interop_apply_write({"is_scheduled": True})
        refused = self.attempt(
            self.as_client(sync, self.admin).write, {"user_id": other.id}
        )
        self.assertIsInstance(refused, UserError)
        self.assertEqual(sync.user_id, self.run_as)
