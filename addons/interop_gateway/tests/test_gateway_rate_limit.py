# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import freeze_time, tagged

from .common import GatewayCase


@tagged("post_install", "-at_install")
class TestGatewayRateLimit(GatewayCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint._interop_apply_write({"gateway_rate_limit": 2})

    def _send(self, n):
        return self._post(self._payload(ref=f"P-{n}"))

    @freeze_time("2026-11-25 10:00:10")
    def test_requests_over_the_limit_are_429_until_the_next_minute(self):
        self.assertEqual([self._send(n).status_code for n in range(2)], [202, 202])
        response = self._send(3)
        problem = self.assertProblem(response, 429)
        self.assertEqual(response.headers["Retry-After"], "50")
        self.assertEqual(problem["type"], "urn:interop:problem:rate-limited")
        self.assertEqual(len(self._messages()), 2)
        with freeze_time("2026-11-25 10:01:00"):
            self.assertEqual(self._send(4).status_code, 202)

    @freeze_time("2026-11-25 10:00:59")
    def test_retry_after_is_at_least_one_second(self):
        self._send(1)
        self._send(2)
        self.assertEqual(self._send(3).headers["Retry-After"], "1")

    @freeze_time("2026-11-25 10:00:10")
    def test_the_limit_holds_across_workers(self):
        # another worker already counted two requests of this minute
        self.env.cr.execute(
            "INSERT INTO interop_gateway_rate VALUES (%s, %s, 2)",
            [self.endpoint.id, 1795600800],
        )
        self.assertProblem(self._send(1), 429)

    @freeze_time("2026-11-25 10:00:10")
    def test_zero_means_no_limit(self):
        self.endpoint._interop_apply_write({"gateway_rate_limit": 0})
        statuses = {self._send(n).status_code for n in range(4)}
        self.assertEqual(statuses, {202})
