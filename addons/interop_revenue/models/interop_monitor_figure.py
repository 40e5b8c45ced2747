# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class InteropMonitorFigure(models.AbstractModel):
    """The revenue cycle's figures on the operations overview, in alert rules and
    in the metrics."""

    _inherit = "interop.monitor.figure"

    @api.model
    def _get_figures(self):
        figures = super()._get_figures()
        figures["visits_not_invoiced"] = {
            "name": self.env._("Visits completed, not invoiced past the delay"),
            "kind": "business",
            "unit": self.env._("visits"),
            "scopes": ("company", "endpoint"),
            "method": "_figure_visits_not_invoiced",
            "action": "_action_visits_not_invoiced",
            "higher_is_worse": True,
        }
        figures["payments_not_posted"] = {
            "name": self.env._("Captured payments not posted"),
            "kind": "business",
            "unit": self.env._("payments"),
            "scopes": ("company", "endpoint"),
            "method": "_figure_payments_not_posted",
            "action": "_action_payments_not_posted",
            "higher_is_worse": True,
        }
        return figures

    def _revenue_scope_domain(self, scope):
        domain = [("company_id", "=", scope.company.id)]
        if scope.endpoint:
            domain.append(("endpoint_id", "=", scope.endpoint.id))
        return domain

    def _visits_not_invoiced_domain(self, scope):
        # the stuck visits: still open past interop_revenue.stuck_hours
        return self._revenue_scope_domain(scope) + [("is_stuck", "=", True)]

    def _payments_not_posted_domain(self, scope):
        return self._revenue_scope_domain(scope) + [
            ("status", "=", "captured"),
            ("account_payment_id", "=", False),
        ]

    def _figure_visits_not_invoiced(self, scope):
        return (
            self.env["interop.visit"]
            .sudo()
            .search_count(self._visits_not_invoiced_domain(scope))
        )

    def _figure_payments_not_posted(self, scope):
        return (
            self.env["interop.visit.payment"]
            .sudo()
            .search_count(self._payments_not_posted_domain(scope))
        )

    def _action_visits_not_invoiced(self, scope):
        return self._list_action(
            self.env._("Visits Not Invoiced"),
            "interop.visit",
            self._visits_not_invoiced_domain(scope),
        )

    def _action_payments_not_posted(self, scope):
        # the account field is read by billing users only: the list filters on a
        # domain computed here, by ids
        payments = (
            self.env["interop.visit.payment"]
            .sudo()
            .search(self._payments_not_posted_domain(scope))
        )
        return self._list_action(
            self.env._("Captured Payments Not Posted"),
            "interop.visit.payment",
            [("id", "in", payments.ids)],
        )
