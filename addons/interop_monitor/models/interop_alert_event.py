# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class InteropAlertEvent(models.Model):
    """One firing or recovery of an alert rule: the log of alerts, append-only."""

    _name = "interop.alert.event"
    _description = "Alert Firing or Recovery"
    _order = "date desc, id desc"

    rule_id = fields.Many2one(
        "interop.alert.rule", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        related="rule_id.company_id", store=True, readonly=True, index=True
    )
    kind = fields.Selection(
        [("fired", "Fired"), ("recovered", "Recovered")], required=True, readonly=True
    )
    date = fields.Datetime(required=True, readonly=True, index=True)
    value = fields.Float(string="Measured", readonly=True)
    threshold = fields.Float(readonly=True)
    exception_id = fields.Many2one("interop.exception", readonly=True)

    @api.model_create_multi
    @api.private
    def create(self, vals_list):
        return super().create(vals_list)

    @api.model
    def _log(self, rule, kind, value, exception):
        # sudo: the evaluation logs what happened, whoever runs the schedule
        return self.sudo().create(
            [
                {
                    "rule_id": rule.id,
                    "kind": kind,
                    "date": fields.Datetime.now(),
                    "value": value,
                    "threshold": rule.threshold,
                    "exception_id": exception.id,
                }
            ]
        )
