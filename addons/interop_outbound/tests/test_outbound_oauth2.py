# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import Answer, OutboundCase

NOW = datetime(2026, 7, 1, 12, 0, 0)
TOKEN_PATH = "/oauth/token"


def token(value, expires_in=3600):
    return Answer(200, {"access_token": value, "expires_in": expires_in})


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestOAuth2ClientCredentials(OutboundCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.oauth = cls.env["interop.credential"].create(
            {
                "name": "CareSlot OAuth2",
                "kind": "oauth2_client_credentials",
                "endpoint_id": cls.endpoint.id,
                "client_id": "odoo-client",
                "token_url": cls.remote.url + TOKEN_PATH,
                "scope": "invoices:write",
            }
        )
        cls.oauth._set_secret("client-secret-1")
        cls.endpoint._interop_apply_write({"outbound_credential_id": cls.oauth.id})

    def _deliver(self):
        message = self._send()
        message._job_send()
        return message

    def _bearers(self):
        return [r.headers.get("Authorization") for r in self.remote.requests_to("/api")]

    def test_a_token_is_fetched_cached_encrypted_and_used(self):
        self.remote.answer(TOKEN_PATH, token("tok-1"))
        message = self._deliver()
        self.assertEqual(message.state, "done")
        (grant,) = self.remote.requests_to(TOKEN_PATH)
        self.assertEqual(
            parse_qs(grant.body.decode()),
            {"grant_type": ["client_credentials"], "scope": ["invoices:write"]},
        )
        basic = base64.b64encode(b"odoo-client:client-secret-1").decode()
        self.assertEqual(grant.headers["Authorization"], f"Basic {basic}")
        self.assertEqual(self._bearers(), ["Bearer tok-1"])
        self.assertEqual(self.oauth.date_token_expiry, NOW + timedelta(hours=1))
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT access_token_enc FROM interop_credential WHERE id = %s",
            [self.oauth.id],
        )
        self.assertNotIn("tok-1", self.env.cr.fetchone()[0])

    def test_the_cached_token_is_reused_until_shortly_before_expiry(self):
        self.remote.answer(TOKEN_PATH, token("tok-1"), token("tok-2"))
        self._deliver()
        with freeze_time(NOW + timedelta(minutes=50)):
            self._deliver()
        # within the refresh margin of its expiry: a new token first
        with freeze_time(NOW + timedelta(minutes=59, seconds=30)):
            self._deliver()
        self.assertEqual(len(self.remote.requests_to(TOKEN_PATH)), 2)
        self.assertEqual(
            self._bearers(), ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
        )

    def test_a_refused_refresh_raises_an_exception_for_the_technical_owner(self):
        self.remote.answer(TOKEN_PATH, Answer(401, {"error": "invalid_client"}))
        message = self._deliver()
        self.assertEqual(message.state, "failed")
        self.assertRecordValues(
            message.exception_ids,
            [{"category_code": "technical", "user_id": self.manager.id}],
        )
        self.assertIn("refused the credentials", message.exception_ids.name)
        self.assertIn(self.oauth.name, message.exception_ids.name)
        self.assertFalse(self.remote.requests_to("/api"))

    def test_a_malformed_token_answer_is_a_refresh_failure(self):
        self.remote.answer(TOKEN_PATH, Answer(200, "{not json"))
        message = self._deliver()
        self.assertIn("without a usable access token", message.last_error)
        self.assertEqual(message.exception_ids.user_id, self.manager)

    def test_a_token_revoked_early_is_replaced_once(self):
        self.remote.answer(TOKEN_PATH, token("tok-1"), token("tok-2"))
        self.remote.answer("/api", Answer(401), Answer(200))
        message = self._deliver()
        self.assertEqual(message.state, "done")
        self.assertEqual(self._bearers(), ["Bearer tok-1", "Bearer tok-2"])

    def test_cross_node_token_renewed_by_another_node_is_fetched_again(self):
        # the remote refused tok-1 to a job of this node while another node's job,
        # refused too, already obtained and cached tok-2: this one uses tok-2 (one
        # grant per refusal, not one per job of every node)
        self.remote.answer(TOKEN_PATH, token("tok-1"), token("tok-3"))
        refused = self.oauth._get_auth().token
        self.oauth._cache_access_token("tok-2", NOW + timedelta(hours=1))
        renewed = self.oauth._get_auth(renew=True, refused_token=refused)
        self.assertEqual((refused, renewed.token), ("tok-1", "tok-2"))
        self.assertEqual(len(self.remote.requests_to(TOKEN_PATH)), 1)
        # tok-2 refused in turn: a new grant
        renewed = self.oauth._get_auth(renew=True, refused_token="tok-2")
        self.assertEqual(renewed.token, "tok-3")
        self.assertEqual(len(self.remote.requests_to(TOKEN_PATH)), 2)

    def test_managers_test_the_credential_with_a_button(self):
        self.remote.answer(TOKEN_PATH, token("tok-1"), Answer(500))
        action = self.oauth.with_user(self.manager).action_fetch_token()
        self.assertEqual(action["params"]["type"], "success")
        with self.assertRaisesRegex(UserError, "HTTP 500"):
            self.oauth.with_user(self.manager).action_fetch_token()
