# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import uuid
from urllib.parse import urlsplit

from odoo.tests import tagged

from . import bad_input
from .common import SECRET, GatewayCase


@tagged("post_install", "-at_install")
class TestGatewayBadInput(GatewayCase):
    """Every request of the bad-input corpus gets its documented status, the one
    the drills check against a real prefork server (bench/drills.py)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the corpus checks missing, bad and stale signatures
        cls.endpoint._interop_apply_write({"gateway_require_signature": True})

    def _target(self):
        def payload(text=None):
            return self._payload(ref=text or f"P-{uuid.uuid4().hex[:8]}")

        return bad_input.Target(
            key=self.key,
            secret=SECRET,
            endpoint_code=self.endpoint.code,
            event_code=self.event_type.code,
            payload=payload,
            invalid=lambda: self._payload(name=""),
            max_body=self.endpoint.gateway_max_body_bytes,
        )

    def _send(self, *names):
        url = urlsplit(self.base_url())
        entries = [e for e in bad_input.CORPUS if not names or e.name in names]
        return bad_input.run(url.hostname, url.port, self._target(), entries)

    def test_every_bad_request_gets_its_documented_status(self):
        for entry, status, wrong in self._send():
            with self.subTest(entry=entry.name):
                self.assertFalse(wrong, f"{entry.name}: answered {status}")

    def test_deep_nesting_is_refused_not_an_error(self):
        # deeper than the endpoint accepts: 422 before parsing (it was a 400 from
        # the parser's recursion limit)
        (_entry, status, wrong), *_rest = self._send("100,000 nested arrays")
        self.assertEqual((status, wrong), (422, ""))

    def test_text_postgresql_cannot_store_is_refused(self):
        results = self._send(
            "escaped lone high surrogate", "escaped lone low surrogate", "escaped NUL"
        )
        self.assertEqual([status for _e, status, _w in results], [400, 400, 400])
        self.assertFalse(self._messages())

    def test_surrogate_pair_and_right_to_left_text_are_taken(self):
        response = self._post(
            self._payload(ref="P-\U0001f600-\u202e\u05e9"), signed=True
        )
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(self._messages().business_key, "P-\U0001f600-\u202e\u05e9")

    def test_duplicate_member_names_are_refused(self):
        body = json.dumps(self._payload())[:-1] + ', "event_id": "evt-other"}'
        problem = self.assertProblem(self._post(body=body.encode(), signed=True), 400)
        self.assertEqual(
            problem["detail"], "The body repeats a member name in an object."
        )

    def test_utf16_body_is_refused(self):
        body = json.dumps(self._payload()).encode("utf-16")
        self.assertProblem(self._post(body=body, signed=True), 400)
