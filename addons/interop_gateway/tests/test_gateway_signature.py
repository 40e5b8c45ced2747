# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import time

from odoo.tests import tagged

from ..models.interop_endpoint import _SETTING_SECRET, SETTING_SECRET_KEY
from .common import GatewayCase, inbound_path, sign


@tagged("post_install", "-at_install")
class TestGatewaySignature(GatewayCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint._interop_apply_write({"gateway_require_signature": True})
        cls.body = json.dumps(cls._payload()).encode()
        cls.path = inbound_path(cls.endpoint.code, cls.event_type.code)

    def _post_signed(self, body=None, **sign_kwargs):
        headers = sign(self.body, self.path, **sign_kwargs)
        return self._post(body=body or self.body, headers=headers)

    def test_signed_request_is_accepted(self):
        self.assertEqual(self._post_signed().status_code, 202)

    def test_missing_signature_is_401(self):
        self.assertProblem(self._post(body=self.body), 401)
        self.assertFalse(self._messages())

    def test_missing_timestamp_is_401(self):
        headers = sign(self.body, self.path)
        del headers["X-Interop-Timestamp"]
        self.assertProblem(self._post(body=self.body, headers=headers), 401)

    def test_signature_with_another_secret_is_401(self):
        self.assertProblem(self._post_signed(secret="another-secret-0001"), 401)

    def test_tampered_body_is_401(self):
        tampered = self.body.replace(b"Jane Roe", b"Jane Rox")
        self.assertProblem(self._post_signed(body=tampered), 401)
        self.assertFalse(self._messages())

    def test_stale_timestamp_is_401(self):
        stale = int(time.time()) - 301
        self.assertProblem(self._post_signed(timestamp=stale), 401)

    def test_timestamp_within_the_tolerance_is_accepted(self):
        recent = int(time.time()) - 240
        self.assertEqual(self._post_signed(timestamp=recent).status_code, 202)

    def test_future_timestamp_beyond_the_tolerance_is_401(self):
        # well beyond: the request takes time, and int() drops up to a second
        future = int(time.time()) + 310
        self.assertProblem(self._post_signed(timestamp=future), 401)

    def test_signature_in_another_scheme_is_401(self):
        headers = sign(self.body, self.path)
        headers["X-Interop-Signature"] = headers["X-Interop-Signature"].replace(
            "sha256=", "sha1="
        )
        self.assertProblem(self._post(body=self.body, headers=headers), 401)

    def test_required_signature_without_a_secret_is_401(self):
        self.endpoint.sudo().with_context(
            **{SETTING_SECRET_KEY: _SETTING_SECRET}
        ).gateway_hmac_secret_enc = False
        self.assertProblem(self._post_signed(), 401)

    def test_replaced_secret_applies_at_once(self):
        self.endpoint._set_gateway_secret("the-next-secret-0002")
        self.assertProblem(self._post_signed(), 401)
        response = self._post_signed(secret="the-next-secret-0002")
        self.assertEqual(response.status_code, 202)

    def test_signature_is_ignored_when_not_required(self):
        self.endpoint._interop_apply_write({"gateway_require_signature": False})
        self.assertEqual(self._post(body=self.body).status_code, 202)
