# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The gateway's security settings and credentials, as each role reaches them
through RPC: any values, any context."""

import json

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.interop_api_key import hash_key
from .common import GatewayCase

#: what a client may put in the context of an RPC call
CLIENT_CONTEXTS = (
    {},
    {"interop_change_apply": True},
    {"interop_change_apply": "1", "interop_gateway_setting_secret": True},
)


@tagged("post_install", "-at_install")
class TestGatewaySettingsGoverned(GatewayCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint._interop_apply_write({"gateway_require_signature": True})

    def _requests(self):
        return self.env["interop.change.request"].search(
            [("res_model", "=", "interop.endpoint"), ("res_id", "=", self.endpoint.id)]
        )

    def test_attack_manager_turns_off_signature_on_an_active_endpoint(self):
        endpoint = self.endpoint.with_user(self.manager)
        for context in CLIENT_CONTEXTS:
            with self.subTest(context=context), self.assertRaises(UserError):
                endpoint.with_context(**context).write(
                    {"gateway_require_signature": False}
                )
        self.endpoint.invalidate_recordset()
        self.assertTrue(self.endpoint.gateway_require_signature)
        # and the gateway still refuses an unsigned request
        body = json.dumps(self._payload()).encode()
        self.assertProblem(self._post(body=body), 401)

    def test_attack_manager_loosens_the_limits_of_an_active_endpoint(self):
        endpoint = self.endpoint.with_user(self.manager)
        before = endpoint._interop_snapshot()
        for vals in (
            {"gateway_rate_limit": 0},
            {"gateway_max_body_bytes": 16 * 1024 * 1024},
            {"gateway_max_json_depth": 100},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                endpoint.with_context(interop_change_apply=True).write(vals)
        self.endpoint.invalidate_recordset()
        self.assertEqual(self.endpoint._interop_snapshot(), before)

    def test_form_edit_of_a_gateway_setting_becomes_a_change_request(self):
        endpoint = self.endpoint.with_user(self.manager).with_context(
            interop_request_change=True
        )
        endpoint.write({"gateway_require_signature": False, "gateway_rate_limit": 5})
        self.endpoint.invalidate_recordset()
        self.assertTrue(self.endpoint.gateway_require_signature)
        self.assertEqual(self.endpoint.gateway_rate_limit, 600)
        request = self._requests()
        self.assertEqual(len(request), 1)
        self.assertEqual(
            json.loads(request.values_json),
            {"gateway_rate_limit": 5, "gateway_require_signature": False},
        )

    def test_approved_change_applies_at_once_in_the_gateway(self):
        self.endpoint.with_context(interop_request_change=True).write(
            {"gateway_require_signature": False}
        )
        request = self._requests()
        request.reason = "The partner moves to mutual TLS."
        request.action_submit()
        approver = self.manager
        request.with_user(approver).action_approve()
        self.assertFalse(self.endpoint.gateway_require_signature)
        body = json.dumps(self._payload()).encode()
        self.assertEqual(self._post(body=body).status_code, 202)

    def test_draft_endpoint_settings_change_directly(self):
        draft = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="draft-endpoint", name="Draft")
        )
        draft.with_user(self.manager).write(
            {"gateway_require_signature": True, "gateway_max_json_depth": 8}
        )
        self.assertRecordValues(
            draft, [{"gateway_require_signature": True, "gateway_max_json_depth": 8}]
        )

    def test_attack_manager_forges_who_set_the_signing_secret(self):
        endpoint = self.endpoint.with_user(self.manager)
        for context in CLIENT_CONTEXTS:
            with self.subTest(context=context), self.assertRaises(UserError):
                endpoint.with_context(**context).write(
                    {
                        "gateway_hmac_secret_user_id": self.auditor.id,
                        "gateway_hmac_secret_date": "2020-01-01 00:00:00",
                    }
                )
        self.assertEqual(
            self.endpoint.gateway_hmac_secret_user_id, self.env.user, "set in setUp"
        )

    def test_attack_manager_creates_an_endpoint_with_a_forged_secret_record(self):
        Endpoint = self.env["interop.endpoint"].with_user(self.manager)
        with self.assertRaises(UserError):
            Endpoint.create(
                self._endpoint_vals(
                    code="forged-endpoint",
                    gateway_hmac_secret_user_id=self.auditor.id,
                    gateway_hmac_secret_date="2020-01-01 00:00:00",
                )
            )
        self.assertFalse(
            self.env["interop.endpoint"].search([("code", "=", "forged-endpoint")])
        )

    def test_manager_of_another_company_cannot_set_this_endpoints_secret(self):
        self._setup_other_company()
        wizard = (
            self.env["interop.gateway.secret.set"]
            .with_user(self.other_manager)
            .create({"endpoint_id": self.endpoint.id, "secret": "attacker-secret-0001"})
        )
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            wizard.action_apply()
        self.assertEqual(
            self.endpoint._get_gateway_secret(), "test-signing-secret-0001"
        )


@tagged("post_install", "-at_install")
class TestApiKeyRpc(GatewayCase):
    """What a Manager reaches of API keys over RPC."""

    def test_attack_manager_forges_revocation_and_use_of_a_key(self):
        api_key = self.api_key.with_user(self.manager)
        for context in CLIENT_CONTEXTS:
            for vals in (
                {"state": "revoked"},  # revoked without its audit entry
                {"date_revoked": fields.Datetime.now()},
                {"revoked_by_id": self.auditor.id},
                {"date_last_used": "2020-01-01 00:00:00"},
            ):
                with (
                    self.subTest(context=context, vals=vals),
                    self.assertRaises(UserError),
                ):
                    api_key.with_context(**context).write(vals)
        self.assertRecordValues(
            self.api_key,
            [{"state": "active", "date_revoked": False, "revoked_by_id": False}],
        )

    def test_attack_manager_forges_a_key_through_the_endpoint(self):
        # create() is private over RPC, but an endpoint's one2many creates keys too:
        # a key of the Manager's choosing, without its audit entry
        forged = "iop_forged01" + "0" * 24
        endpoint = self.endpoint.with_user(self.manager)
        for context in CLIENT_CONTEXTS:
            with self.subTest(context=context), self.assertRaises(UserError):
                endpoint.with_context(**context).write(
                    {
                        "gateway_api_key_ids": [
                            Command.create(
                                {
                                    "name": "Forged",
                                    "prefix": "forged01",
                                    "key_hash": hash_key(forged),
                                }
                            )
                        ]
                    }
                )
        self.assertEqual(self.endpoint.gateway_api_key_ids, self.api_key)
        self.assertIsNone(self.env["interop.api.key"]._authenticate(forged))
        with self.assertRaises(UserError):
            self.api_key.with_user(self.manager).copy({"prefix": "copied01"})

    def test_manager_still_renames_rescopes_and_revokes_a_key(self):
        api_key = self.api_key.with_user(self.manager)
        api_key.write({"name": "Renamed", "event_type_ids": [(6, 0, [])]})
        api_key.action_revoke()
        self.assertRecordValues(
            self.api_key,
            [{"name": "Renamed", "state": "revoked", "revoked_by_id": self.manager.id}],
        )

    def test_manager_of_another_company_cannot_generate_a_key_here(self):
        self._setup_other_company()
        wizard = (
            self.env["interop.api.key.generate"]
            .with_user(self.other_manager)
            .create({"endpoint_id": self.endpoint.id, "name": "Backdoor"})
        )
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            wizard.action_generate()
        self.assertEqual(self.endpoint.gateway_api_key_ids, self.api_key)

    def test_manager_of_another_company_cannot_read_keys_or_hashes(self):
        self._setup_other_company()
        Key = self.env["interop.api.key"].with_user(self.other_manager)
        self.assertFalse(Key.search([("endpoint_id", "=", self.endpoint.id)]))
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            Key.browse(self.api_key.id).read(["name", "prefix"])
        with self.assertRaises(AccessError):
            Key.search([("key_hash", "like", "pbkdf2%")])
        with self.assertRaises(AccessError):
            self.api_key.with_user(self.manager).read(["key_hash"])
