# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.tests import tagged

from .common import GatewayCase

# endpoint, rate counter, event type, idempotency lookup, message insert and states,
# job lookup and insert; once a minute, the key's last use
QUERY_BUDGET = 14


@tagged("post_install", "-at_install")
class TestGatewayService(GatewayCase):
    """The gateway's service, called as the controller calls it."""

    def _accept(self, payload, key=None):
        body = json.dumps(payload).encode()
        headers = {
            "Authorization": f"Bearer {key or self.key}",
            "Content-Type": "application/json",
        }
        return self.env["interop.gateway"]._accept(
            self.endpoint.code,
            self.event_type.code,
            headers,
            lambda _size: body,
            len(body),
        )

    def test_accepted_request_costs_a_bounded_number_of_queries(self):
        self._accept(self._payload(ref="P-1"))  # warm caches: key, schema, job config
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=QUERY_BUDGET):
            answer = self._accept(self._payload(ref="P-2"))
        self.assertEqual(answer.status, 202)

    def test_headers_are_read_whatever_their_case(self):
        body = json.dumps(self._payload()).encode()
        answer = self.env["interop.gateway"]._accept(
            self.endpoint.code,
            self.event_type.code,
            {"authorization": f"bearer {self.key}", "CONTENT-TYPE": "application/json"},
            lambda _size: body,
        )
        self.assertEqual(answer.status, 202)
