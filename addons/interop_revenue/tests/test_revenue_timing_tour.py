# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestRevenueTimingRuleActivation(HttpCase):
    """In Chromium, a timing rule a person wrote takes effect once approved."""

    def test_an_archived_timing_rule_is_put_in_effect_through_a_request(self):
        rule = self.env["interop.timing.rule"].create(
            {
                "name": "Completions within a day",
                "kind": "service_date_window",
                "action": "exception",
                "tolerance_hours": 24,
                "active": False,
            }
        )
        nina = self.env.ref("interop.user_integration_engineer")
        self.start_tour(
            f"/odoo/action-interop_revenue.interop_timing_rule_action/{rule.id}",
            "interop_rule_activation_tour",
            login=nina.login,
            timeout=120,
        )
        rule.invalidate_recordset()
        self.assertFalse(rule.active, "activated without approval")
        request = self.env["interop.change.request"].search(
            [("res_model", "=", rule._name), ("res_id", "=", rule.id)]
        )
        self.assertRecordValues(
            request,
            [
                {
                    "state": "submitted",
                    "author_id": nina.id,
                    "reason": "Reviewed with the data owners.",
                }
            ],
        )
        self.assertEqual(request._values(), {"active": True})
