# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields
from odoo.tests import freeze_time, tagged

from odoo.addons.interop_monitor.models.interop_monitor_figure import Scope

from .common import RevenueCase


@tagged("post_install", "-at_install")
class TestRevenueFigures(RevenueCase):
    def _value(self, code):
        scope = Scope(self.company, self.scheduling, None, None, 60)
        return self.env["interop.monitor.figure"]._value(code, scope)

    def test_visit_not_invoiced_past_the_delay_is_counted(self):
        self._complete(codes=("99999",))  # an unmapped service: not billed
        self.assertEqual(self._value("visits_not_invoiced"), 0)
        with freeze_time(fields.Datetime.now() + timedelta(hours=25)):
            self.assertEqual(self._value("visits_not_invoiced"), 1)
            scope = Scope(self.company, self.scheduling, None, None, 60)
            action = self.env["interop.monitor.figure"]._action(
                "visits_not_invoiced", scope
            )
            visits = self.env["interop.visit"].search(action["domain"])
            self.assertEqual(visits, self._visit())

    def test_alert_rule_fires_on_the_billing_backlog(self):
        self._complete(codes=("99999",))
        rule = self.env["interop.alert.rule"].create(
            {
                "name": "Billing backlog",
                "figure": "visits_not_invoiced",
                "endpoint_id": self.scheduling.id,
                "operator": ">",
                "threshold": 0,
                "user_id": self.revenue_owner.id,
            }
        )
        self.assertFalse(rule._evaluate())
        with freeze_time(fields.Datetime.now() + timedelta(hours=25)):
            self.assertTrue(rule._evaluate())
        self.assertEqual(rule.exception_id.user_id, self.revenue_owner)
        self.assertEqual(rule.exception_id.category_id.code, "alert")
