# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What an active endpoint's calls depend on changes through change requests."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SecurityCase


@tagged("post_install", "-at_install")
class TestGovernedOutboundSettings(SecurityCase):
    def test_attack_manager_loosens_timeouts_and_breaker_of_an_active_endpoint(self):
        before = self.endpoint.read(
            [
                "outbound_timeout",
                "outbound_max_attempts",
                "breaker_threshold",
                "breaker_cooldown",
            ]
        )[0]
        changes = {
            "outbound_timeout": 3600,
            "outbound_max_attempts": 500,
            "breaker_threshold": 100000,
            "breaker_cooldown": 1,
        }
        endpoint = self.as_client(self.endpoint, self.manager)
        for fname, value in changes.items():
            with self.subTest(field=fname):
                refused = self.attempt(endpoint.write, {fname: value})
                self.assertIsInstance(refused, UserError)
        endpoint.with_context(interop_request_change=True).write(changes)
        self.assertEqual(self.endpoint.read(list(before))[0], before)
        requests = self.env["interop.change.request"].search(
            [("res_model", "=", "interop.endpoint"), ("res_id", "=", self.endpoint.id)]
        )
        self.assertEqual(requests._values(), changes)

    def test_attack_manager_swaps_the_credential_of_an_active_endpoint(self):
        endpoint = self.as_client(self.endpoint, self.manager)
        refused = self.attempt(
            endpoint.write, {"outbound_credential_id": self.victim_key.id}
        )
        self.assertIsInstance(refused, UserError)
        self.assertEqual(self.endpoint.outbound_credential_id, self.credential)

    def test_users_read_the_versions_of_an_endpoint_with_a_credential(self):
        self.endpoint._interop_apply_write({"retention_days": 20})
        version = self.env["interop.config.version"]._record_version(self.endpoint)
        self.endpoint._interop_apply_write({"retention_days": 25})
        # an Interop User reads what the version would restore
        self.assertIn("20", version.with_user(self.user).diff_html)
