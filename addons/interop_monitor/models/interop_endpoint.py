# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from odoo.addons.interop.models.interop_message import HELD

#: the tile's figures cover the last hour
TILE_MINUTES = 60
#: the tile's sparkline: messages per hour over the last day
SPARKLINE_HOURS = 24
#: the silence of an endpoint with working hours counts at most this far back
SILENCE_MAX_DAYS = 90


class InteropEndpoint(models.Model):
    _name = "interop.endpoint"
    _inherit = ["interop.endpoint", "interop.endpoint.availability"]

    health_check_path = fields.Char(
        tracking=True,
        help="Outbound endpoints: a path under the base URL (e.g. /health) that Odoo "
        "calls with GET on a schedule; any 2xx answer is healthy. No check when "
        "empty (availability is then read from the deliveries).",
    )
    health_check_interval = fields.Integer(
        string="Check Every (min)", default=5, tracking=True
    )
    health_check_failures = fields.Integer(
        string="Alert After (failed checks)",
        default=3,
        tracking=True,
        help="Failed checks in a row before the technical owner is alerted.",
    )
    cadence_minutes = fields.Integer(
        string="Expect a Message Every (min)",
        tracking=True,
        help="Inbound: the endpoint is available in an interval of that many minutes "
        "(aligned to the clock) in which at least one message arrived; its uptime "
        "is the share of such intervals, within its working hours. 0: no cadence "
        "(uptime from its traffic).",
    )
    cadence_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        tracking=True,
        check_company=True,
        help="When messages are expected (its public holidays left out): the "
        "cadence and the alert rules on the endpoint's silence count only these "
        "hours. Always when empty.",
    )
    health_check_ids = fields.One2many(
        "interop.monitor.health.check",
        "endpoint_id",
        string="Health Check Log",
        readonly=True,
    )
    monitor_check_state = fields.Selection(
        [("up", "Up"), ("down", "Down")],
        string="Health Check",
        compute="_compute_monitor_check",
    )
    monitor_date_last_check = fields.Datetime(
        string="Last Check", compute="_compute_monitor_check"
    )
    monitor_sparkline = fields.Json(
        string="Traffic (24 h)",
        compute="_compute_monitor_sparkline",
        help="Messages per hour over the last 24 hours, and the failed ones.",
    )

    def _get_interop_governed_fields(self):
        # what Odoo calls on a running endpoint, and when its owner is woken
        return super()._get_interop_governed_fields() + (
            "health_check_path",
            "health_check_interval",
            "health_check_failures",
            "cadence_minutes",
            "cadence_calendar_id",
        )

    @api.constrains("cadence_minutes")
    def _check_cadence_minutes(self):
        for endpoint in self:
            if not 0 <= endpoint.cadence_minutes <= 7 * 24 * 60:
                raise ValidationError(
                    self.env._(
                        "The cadence of %(endpoint)s is a number of minutes between "
                        "1 and a week (0: none).",
                        endpoint=endpoint.display_name,
                    )
                )

    def _compute_monitor_check(self):
        ids = [endpoint.id for endpoint in self if endpoint.id]
        last = {}
        if ids:
            self.env["interop.monitor.health.check"].flush_model()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT DISTINCT ON (endpoint_id) endpoint_id, date, ok
                      FROM interop_monitor_health_check
                     WHERE endpoint_id = ANY(%s)
                     ORDER BY endpoint_id, date DESC, id DESC
                    """,
                    ids,
                )
            )
            last = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for endpoint in self:
            date, ok = last.get(endpoint.id, (False, None))
            endpoint.monitor_date_last_check = date
            endpoint.monitor_check_state = (
                False if ok is None else ("up" if ok else "down")
            )

    def _compute_monitor_sparkline(self):
        """Per hour of the last 24: messages and failed ones, oldest first (the
        tile's sparkline), from the rollups."""
        ids = [endpoint.id for endpoint in self if endpoint.id]
        now = fields.Datetime.now().replace(minute=0, second=0, microsecond=0)
        start = now - timedelta(hours=SPARKLINE_HOURS - 1)
        series = {}
        if ids:
            self.env["interop.monitor.rollup"].flush_model()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT endpoint_id, date_trunc('hour', bucket),
                           sum(message_count), sum(error_count)
                      FROM interop_monitor_rollup
                     WHERE endpoint_id = ANY(%s) AND bucket >= %s
                     GROUP BY 1, 2
                    """,
                    ids,
                    start,
                )
            )
            for endpoint_id, hour, count, errors in self.env.cr.fetchall():
                index = int((hour - start).total_seconds() // 3600)
                if 0 <= index < SPARKLINE_HOURS:
                    values = series.setdefault(
                        endpoint_id,
                        {
                            "counts": [0] * SPARKLINE_HOURS,
                            "errors": [0] * SPARKLINE_HOURS,
                        },
                    )
                    values["counts"][index] = int(count or 0)
                    values["errors"][index] = int(errors or 0)
        empty = {"counts": [0] * SPARKLINE_HOURS, "errors": [0] * SPARKLINE_HOURS}
        for endpoint in self:
            endpoint.monitor_sparkline = series.get(endpoint.id, empty)

    monitor_message_count = fields.Integer(
        string="Messages (1 h)", compute="_compute_monitor_tile"
    )
    monitor_error_rate = fields.Float(
        string="Error Rate (1 h, %)", compute="_compute_monitor_tile", digits=(16, 1)
    )
    monitor_p95_seconds = fields.Float(
        string="p95 (1 h, s)",
        compute="_compute_monitor_tile",
        digits=(16, 1),
        help="Received to done, the worst minute of the last hour.",
    )
    monitor_date_last_success = fields.Datetime(
        string="Last Success",
        compute="_compute_monitor_tile",
        help="The minute of the last message received that went through.",
    )
    monitor_date_last_message = fields.Datetime(
        string="Last Message", compute="_compute_monitor_tile"
    )
    monitor_uptime_24h = fields.Float(
        string="Uptime 24 h (%)",
        compute="_compute_monitor_tile",
        digits=(16, 1),
        help="With health checks: the share of the last 24 h its checks said "
        "healthy (a gap of more than two check intervals is left out). With an "
        "expected cadence (inbound): the share of the intervals of its working "
        "hours in which a message arrived. Else: the share of the minutes with "
        "traffic in which at least one message went through (100 without "
        "traffic).",
    )
    monitor_uptime_7d = fields.Float(
        string="Uptime 7 d (%)",
        compute="_compute_monitor_uptime_7d",
        digits=(16, 1),
        help="Read only where shown (the list): a week of rollups is the heaviest "
        "figure of the tile.",
    )
    monitor_breaker = fields.Char(
        string="Breaker", compute="_compute_monitor_tile", help="Outbound only."
    )
    monitor_breaker_time_24h = fields.Char(
        string="Breaker (24 h)",
        compute="_compute_monitor_breaker_time_24h",
        help="Outbound: the time its circuit breaker spent closed, open and "
        "half-open over the last 24 hours (from the breaker history).",
    )
    monitor_breaker_time_7d = fields.Char(
        string="Breaker (7 d)",
        compute="_compute_monitor_breaker_time_7d",
        help="Outbound: the time its circuit breaker spent in each state over the "
        "last 7 days.",
    )
    monitor_held_count = fields.Integer(
        string="Held by Rules",
        compute="_compute_monitor_held",
        help="Messages a rule (e.g. a timing rule) holds until their release time.",
    )
    monitor_held_html = fields.Html(
        string="Held by Rule",
        compute="_compute_monitor_held",
        help="Per rule: the messages it holds, since when the oldest waits and "
        "when the next one is released.",
    )
    monitor_health = fields.Selection(
        [("ok", "Healthy"), ("warning", "Degraded"), ("danger", "Failing")],
        string="Health",
        compute="_compute_monitor_tile",
    )

    def _compute_monitor_tile(self):
        """Read from the rollups (a few rows per endpoint and minute), and the last
        message through the endpoint/date index: never a scan of the log."""
        Rollup = self.env["interop.monitor.rollup"].sudo()
        since = fields.Datetime.now() - timedelta(minutes=TILE_MINUTES)
        ids = [endpoint.id for endpoint in self if endpoint.id]
        totals = {
            endpoint.id: (count, errors, p95)
            for endpoint, count, errors, p95 in Rollup._read_group(
                [("endpoint_id", "in", ids), ("bucket", ">=", since)],
                ["endpoint_id"],
                ["message_count:sum", "error_count:sum", "latency_p95_ms:max"],
            )
        }
        success = Rollup._last_success(ids)
        last = self._monitor_last_message_dates()
        uptime_24h = self._monitor_uptime(24 * 60)
        has_breaker = "breaker_state" in self._fields
        for endpoint in self:
            count, errors, p95 = totals.get(endpoint.id, (0, 0, 0))
            rate = 100.0 * errors / count if count else 0.0
            breaker = endpoint.breaker_state if has_breaker else False
            endpoint.monitor_message_count = count
            endpoint.monitor_error_rate = rate
            endpoint.monitor_p95_seconds = (p95 or 0) / 1000.0
            endpoint.monitor_date_last_success = success.get(endpoint.id, False)
            endpoint.monitor_date_last_message = last.get(endpoint.id, False)
            endpoint.monitor_uptime_24h = uptime_24h.get(endpoint.id, 100.0)
            endpoint.monitor_breaker = (
                dict(
                    endpoint._fields["breaker_state"]._description_selection(self.env)
                ).get(breaker)
                if breaker
                else False
            )
            down = endpoint.monitor_check_state == "down"
            if breaker == "open" or rate >= 50 or down:
                endpoint.monitor_health = "danger"
            elif breaker == "half_open" or rate >= 5:
                endpoint.monitor_health = "warning"
            else:
                endpoint.monitor_health = "ok"

    # Drill-down from the tile

    def action_view_monitor_held(self):
        """The messages rules hold on this endpoint, grouped by rule."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Held Messages of %(name)s", name=self.name),
            "res_model": "interop.message",
            "view_mode": "list,form",
            "domain": [
                ("endpoint_id", "=", self.id),
                ("state", "=", HELD),
                ("date_release", "!=", False),
            ],
            "context": {"create": False, "group_by": ["monitor_hold_rule"]},
        }

    def action_view_monitor_rollups(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Traffic of %(name)s", name=self.name),
            "res_model": "interop.monitor.rollup",
            "view_mode": "graph,pivot,list",
            "domain": [("endpoint_id", "=", self.id)],
            "context": {"create": False},
        }
