# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Onboarding a partner system in Chromium, as the README tells it: Nina registers
it, issues its key, sets its secret and requests its activation; another approver
approves it."""

from odoo.http import root
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestEndpointOnboardingTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Read every manifest now, in this thread (see interop's TestOperatorScreens).
        cls.statics = root.statics

    def test_nina_onboards_an_endpoint_another_approver_activates_it(self):
        nina = self.env.ref("interop.user_integration_engineer")
        admin = self.env.ref("base.user_admin")
        self.start_tour(
            "/odoo/action-interop.interop_endpoint_action/new",
            "interop_endpoint_onboarding_tour",
            login="integration",
            timeout=180,
        )
        endpoint = self.env["interop.endpoint"].search([("code", "=", "northwind-lab")])
        self.assertRecordValues(
            endpoint,
            [
                {
                    "name": "Northwind Lab Results",
                    "state": "draft",
                    "environment": "production",
                    "technical_owner_id": nina.id,
                    "gateway_hmac_secret_user_id": nina.id,
                }
            ],
        )
        key = endpoint.gateway_api_key_ids
        self.assertRecordValues(
            key, [{"name": "Northwind production", "state": "active"}]
        )
        self.assertTrue(key.sudo().key_hash)
        request = self.env["interop.change.request"].search(
            [("res_model", "=", "interop.endpoint"), ("res_id", "=", endpoint.id)]
        )
        self.assertRecordValues(request, [{"state": "submitted", "author_id": nina.id}])

        self.start_tour(
            f"/odoo/action-interop.interop_change_request_action/{request.id}",
            "interop_change_request_approval_tour",
            login="admin",
            timeout=120,
        )
        endpoint.invalidate_recordset()
        request.invalidate_recordset()
        self.assertEqual(endpoint.state, "active")
        self.assertRecordValues(
            request, [{"state": "applied", "approver_id": admin.id}]
        )
        self.assertTrue(request.version_id, "the approved change is a version")
        self.assertTrue(
            self.env["interop.audit.entry"].search_count(
                [
                    ("res_model", "=", "interop.endpoint"),
                    ("res_id", "=", endpoint.id),
                    ("event", "=", "endpoint_state"),
                    ("user_id", "=", admin.id),
                ]
            ),
            "the activation is in the audit trail",
        )
