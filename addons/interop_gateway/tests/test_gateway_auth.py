# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import GatewayCase


@tagged("post_install", "-at_install")
class TestGatewayCredentials(GatewayCase):
    def _refusal(self, **kwargs):
        response = self._post(**kwargs)
        problem = self.assertProblem(response, 401)
        self.assertEqual(response.headers["WWW-Authenticate"], 'Bearer realm="interop"')
        return problem

    def test_missing_key_is_401(self):
        self._refusal(key=False)
        self.assertFalse(self._messages())

    def test_unknown_key_is_401(self):
        self._refusal(key=self.key[:-4] + "0000")

    def test_key_in_another_scheme_is_401(self):
        self._refusal(key=False, headers={"Authorization": f"Basic {self.key}"})

    def test_expired_key_is_refused(self):
        self.assertEqual(self._post().status_code, 202)
        self.api_key.date_expiry = fields.Datetime.now() - timedelta(minutes=1)
        self._refusal(payload=self._payload(ref="P-2"))

    def test_key_expiring_later_is_accepted(self):
        self.api_key.date_expiry = fields.Datetime.now() + timedelta(minutes=5)
        self.assertEqual(self._post().status_code, 202)

    def test_revoked_key_is_refused_at_once(self):
        self.assertEqual(self._post().status_code, 202)  # the key is now cached
        self.api_key.action_revoke()
        self._refusal(payload=self._payload(ref="P-2"))

    def test_every_refusal_reads_the_same(self):
        _expired, expired_key = self.env["interop.api.key"]._generate(
            self.endpoint, "Expired", date_expiry=fields.Datetime.now()
        )
        revoked, revoked_key = self.env["interop.api.key"]._generate(
            self.endpoint, "Revoked"
        )
        revoked.action_revoke()
        self.endpoint._interop_apply_write({"gateway_require_signature": True})
        bodies = [
            self._refusal(key=False),
            self._refusal(key="iop_nonsense"),
            self._refusal(key=self.key[:-4] + "0000"),
            self._refusal(key=expired_key),
            self._refusal(key=revoked_key),
            self._refusal(),  # valid key, no signature
        ]
        self.assertEqual([body == bodies[0] for body in bodies], [True] * 6, bodies)
        self.assertNotIn("message_id", bodies[0])

    def test_other_endpoints_url_is_404_with_this_key(self):
        other = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="other-endpoint", name="Other")
        )
        other._activate()
        self.assertProblem(self._post(endpoint_code="other-endpoint"), 404)

    def test_key_of_another_endpoint_is_404_here(self):
        other = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="other-endpoint", name="Other")
        )
        other._activate()
        _other_key, plaintext = self.env["interop.api.key"]._generate(other, "Other")
        self.assertProblem(self._post(key=plaintext), 404)

    def test_two_active_keys_work_during_a_rotation(self):
        _new, new_key = self.env["interop.api.key"]._generate(self.endpoint, "Next")
        self.assertEqual(self._post(key=new_key).status_code, 202)
        payload = self._payload(ref="P-2")
        self.assertEqual(self._post(payload, key=self.key).status_code, 202)

    def test_use_of_a_key_is_recorded(self):
        api_key, plaintext = self.env["interop.api.key"]._generate(
            self.endpoint, "Fresh"
        )
        self.assertFalse(api_key.date_last_used)
        self._post(key=plaintext)
        api_key.invalidate_recordset(["date_last_used"])
        self.assertTrue(api_key.date_last_used)


@tagged("post_install", "-at_install")
class TestGatewayScopes(GatewayCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_event = cls.event_type.copy({"code": "test.visit.completed"})

    def test_key_limited_to_other_event_types_is_403(self):
        _scoped, key = self.env["interop.api.key"]._generate(
            self.endpoint, "Visits only", event_types=self.other_event
        )
        problem = self.assertProblem(self._post(key=key), 403)
        self.assertIn("may not send", problem["detail"])
        self.assertFalse(self._messages())

    def test_key_limited_to_the_event_type_is_accepted(self):
        _scoped, key = self.env["interop.api.key"]._generate(
            self.endpoint, "Contacts only", event_types=self.event_type
        )
        self.assertEqual(self._post(key=key).status_code, 202)

    def test_scope_covers_every_version_of_the_event_type(self):
        _scoped, key = self.env["interop.api.key"]._generate(
            self.endpoint, "Contacts only", event_types=self.event_type
        )
        self.event_type.copy({"version": 2})
        self.assertEqual(self._post(key=key).status_code, 202)
        self.assertEqual(self._messages().event_version, 2)

    def test_key_without_scope_sends_every_event_type(self):
        payload = self._payload()
        response = self._post(payload, event="test.visit.completed")
        self.assertEqual(response.status_code, 202)


@tagged("post_install", "-at_install")
class TestGatewayOdooAuthentication(GatewayCase):
    """Partner systems are not Odoo users: the gateway's routes take no Odoo
    authentication and run as the public user, without a query to find it."""

    def test_inbound_runs_as_public_user_found_without_a_query(self):
        self.assertEqual(self._post(self._payload(ref="P-1")).status_code, 202)
        with self.assertLogs("odoo.sql_db", "DEBUG") as logged:
            response = self._post(self._payload(ref="P-2"))
        self.assertEqual(response.status_code, 202, response.text)
        # auth="public" checks the public user in the database on every request
        user_queries = [line for line in logged.output if '"res_users"' in line]
        self.assertEqual(user_queries, [], "\n".join(logged.output))
        message = self._messages().filtered(lambda m: m.business_key == "P-2")
        # stored as the endpoint's service user, as before
        self.assertEqual(message.create_uid, self.endpoint.service_user_id)
        self.assertNotIn("Set-Cookie", response.headers)

    def test_status_and_document_answer_without_odoo_session(self):
        posted = self._post(self._payload(ref="P-3")).json()
        status = self._get(f"/interop/v1/messages/{posted['message_id']}", key=self.key)
        self.assertEqual(status.status_code, 200, status.text)
        self.assertEqual(status.json()["message_id"], posted["message_id"])
        document = self._get("/interop/v1/openapi.json", key=self.key)
        self.assertEqual(document.status_code, 200, document.text)
        self.assertIn("paths", document.json())
        self.assertNotIn("Set-Cookie", status.headers)
