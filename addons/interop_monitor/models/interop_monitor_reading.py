# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from .interop_monitor_figure import Scope

#: readings are kept this long (the trend needs last week's)
KEEP_DAYS = 35
#: the figures over a period are read over the last day
READING_MINUTES = 24 * 60


class InteropMonitorReading(models.Model):
    """A figure of a company as read at one time: the operations overview shows the
    latest reading of each figure beside the one of a week before."""

    _name = "interop.monitor.reading"
    _description = "Monitoring Figure Reading"
    _order = "kind, sequence, id"

    figure = fields.Selection(
        selection="_selection_figure", required=True, readonly=True
    )
    name = fields.Char(required=True, readonly=True)
    kind = fields.Selection(
        [("business", "Business"), ("technical", "Technical")],
        required=True,
        readonly=True,
    )
    sequence = fields.Integer(readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True, index=True)
    value = fields.Float(readonly=True, digits=(16, 1))
    unit = fields.Char(readonly=True)
    value_last_week = fields.Float(
        string="A Week Before", readonly=True, digits=(16, 1)
    )
    has_last_week = fields.Boolean(readonly=True)
    trend = fields.Selection(
        [("better", "Better"), ("same", "Unchanged"), ("worse", "Worse")],
        readonly=True,
        help="Against the reading of a week before.",
    )
    is_latest = fields.Boolean(readonly=True, index=True)

    @api.model
    def _selection_figure(self):
        return self.env["interop.monitor.figure"]._selection()

    @api.model_create_multi
    @api.private
    def create(self, vals_list):
        return super().create(vals_list)

    @api.model
    def _cron_record(self):
        """Read every figure of every company once; the last reading of each
        becomes the latest."""
        readings = self.sudo()
        Figure = self.env["interop.monitor.figure"]
        figures = Figure._get_figures()
        now = fields.Datetime.now()
        week_before = now - timedelta(days=7)
        companies = self.env["res.company"].search([("active", "=", True)])
        readings.search([("is_latest", "=", True)]).write({"is_latest": False})
        vals_list = []
        for company in companies:
            scope = Scope(company, None, None, None, READING_MINUTES)
            for sequence, (code, spec) in enumerate(figures.items()):
                value = Figure._value(code, scope)
                before = readings.search(
                    [
                        ("company_id", "=", company.id),
                        ("figure", "=", code),
                        ("date", "<=", week_before),
                    ],
                    order="date desc",
                    limit=1,
                )
                trend = "same"
                if before and value != before.value:
                    worse = (value > before.value) == spec.get("higher_is_worse", True)
                    trend = "worse" if worse else "better"
                vals_list.append(
                    {
                        "figure": code,
                        "name": spec["name"],
                        "kind": spec["kind"],
                        "sequence": sequence,
                        "company_id": company.id,
                        "date": now,
                        "value": value,
                        "unit": spec.get("unit"),
                        "value_last_week": before.value if before else 0.0,
                        "has_last_week": bool(before),
                        "trend": trend,
                        "is_latest": True,
                    }
                )
        readings.create(vals_list)
        readings.search(
            [("date", "<", now - timedelta(days=KEEP_DAYS)), ("is_latest", "=", False)]
        ).unlink()

    def action_open_list(self):
        """The list behind the figure, opened with the reader's own rights."""
        self.ensure_one()
        scope = Scope(self.company_id, None, None, None, READING_MINUTES)
        action = self.env["interop.monitor.figure"]._action(self.figure, scope)
        if not action:
            raise UserError(self.env._("This figure has no list behind it."))
        return action
