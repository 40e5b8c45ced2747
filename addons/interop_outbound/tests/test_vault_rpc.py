# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What each role reaches of the vault, the syncs and the attempts over RPC."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import SecurityCase


@tagged("post_install", "-at_install")
class TestVaultOverRpc(SecurityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_other_company()
        cls.other_endpoint = cls.env["interop.endpoint"].create(
            cls._endpoint_vals(
                code="west-endpoint",
                name="West",
                company_id=cls.other_company.id,
                business_owner_id=cls.other_manager.id,
                technical_owner_id=cls.other_manager.id,
            )
        )
        cls.other_key = cls.env["interop.credential"].create(
            {
                "name": "West key",
                "kind": "api_key",
                "endpoint_id": cls.other_endpoint.id,
            }
        )
        cls.other_key._set_secret("west-secret")
        cls.service_user = new_test_user(
            cls.env,
            login="outbound_service",
            groups="base.group_user,interop.group_interop_service",
        )

    def test_attack_manager_sets_a_secret_on_another_company_credential(self):
        Wizard = self.as_client(self.env["interop.credential.set"], self.manager)

        def set_secret():
            wizard = Wizard.create(
                {"credential_id": self.other_key.id, "secret": "attacker-secret"}
            )
            wizard.action_apply()

        self.assertIsInstance(self.attempt(set_secret), AccessError)
        self.assertEqual(self.other_key._get_secret(), "west-secret")

    def test_attack_roles_read_the_ciphertext(self):
        for user in (self.manager, self.auditor, self.phi_user):
            credential = self.as_client(self.victim_key, user)
            Credential = self.as_client(self.env["interop.credential"], user)
            for fname in ("secret_enc", "access_token_enc"):
                with self.subTest(user=user.login, field=fname):
                    self.assertIsInstance(
                        self.attempt(credential.read, [fname]), AccessError
                    )
                    self.assertIsInstance(
                        self.attempt(Credential.search_read, [], [fname]), AccessError
                    )
                    # refused: no export right, or no access to the field
                    self.assertIsInstance(
                        self.attempt(credential.export_data, [fname]),
                        (AccessError, UserError),
                    )
                    self.assertIsInstance(
                        self.attempt(Credential.read_group, [], [fname], [fname]),
                        AccessError,
                    )

    def test_attack_users_and_service_users_reach_the_vault(self):
        for user in (self.user, self.service_user, self.run_as):
            for model in ("interop.credential", "interop.credential.set"):
                with self.subTest(user=user.login, model=model):
                    Model = self.as_client(self.env[model], user)
                    self.assertIsInstance(
                        self.attempt(Model.search_read, [], ["name"]), AccessError
                    )

    def test_attack_roles_write_syncs_runs_and_attempts(self):
        message = self.endpoint._send(None, {"ping": 1})
        message._job_send()
        attempt = message.attempt_ids
        sync = self.env["interop.sync"].create(
            {
                "name": "Catalog",
                "endpoint_id": self.endpoint.id,
                "direction": "pull",
                "resource_path": "/catalog",
            }
        )
        run = sync._run()
        for user in (self.user, self.manager, self.auditor, self.phi_user):
            with self.subTest(user=user.login):
                self.assertIsInstance(
                    self.attempt(self.as_client(run, user).write, {"read_count": 0}),
                    AccessError,
                )
                self.assertIsInstance(
                    self.attempt(self.as_client(run, user).unlink), AccessError
                )
                self.assertIsInstance(
                    self.attempt(
                        self.as_client(attempt, user).write, {"http_status": 200}
                    ),
                    AccessError,
                )
                self.assertIsInstance(
                    self.attempt(self.as_client(attempt, user).unlink), AccessError
                )
        for user in (self.user, self.auditor, self.service_user):
            with self.subTest(user=user.login):
                self.assertIsInstance(
                    self.attempt(self.as_client(sync, user).write, {"chunk_size": 1}),
                    AccessError,
                )
