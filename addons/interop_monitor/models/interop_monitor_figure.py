# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import namedtuple
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.interop.models.interop_message import HELD

from .interop_endpoint import SILENCE_MAX_DAYS

#: what a figure is measured on: a company, and optionally one endpoint, event type
#: or queue_job channel, over the last ``minutes``
Scope = namedtuple("Scope", "company endpoint event_type channel minutes")

#: message states not yet final: the Interop drains' queue
WAITING_STATES = ("received", "validated", "queued", "processing")
OPEN_EXCEPTION_STATES = ("open", "in_progress")
JOB_WAITING_STATES = ("wait_dependencies", "pending", "enqueued", "started")


class InteropMonitorFigure(models.AbstractModel):
    """The figures dashboards, alert rules and metrics are made of.

    One declared interface: a module owning a business object adds its figures by
    extending :meth:`_get_figures` (``super()`` first) with, for each code, a dict::

        {
            "name": "Visits completed, not invoiced",  # what the figure counts
            "kind": "business",        # or "technical"
            "unit": "visits",          # shown after the value
            "scopes": ("company",),    # among company, endpoint, event_type, channel
            "method": "_figure_...",   # on this model: f(scope) -> number
            "action": "_figure_..._action",  # optional: f(scope) -> the list behind
            "higher_is_worse": True,   # trend colour on the overview
        }

    Figure methods read with ``sudo`` and filter by ``scope.company`` themselves:
    alerts and the metrics run as no particular user. They must stay cheap (an
    index, the rollups): they run every minute for each alert rule.
    """

    _name = "interop.monitor.figure"
    _description = "Monitoring Figures"

    @api.model
    def _get_figures(self):
        return {
            "message_count": {
                "name": self.env._("Messages"),
                "kind": "technical",
                "unit": self.env._("messages"),
                "scopes": ("company", "endpoint", "event_type"),
                "method": "_figure_message_count",
                "action": "_action_rollups",
                "higher_is_worse": False,
            },
            "error_rate": {
                "name": self.env._("Error rate"),
                "kind": "technical",
                "unit": "%",
                "scopes": ("company", "endpoint", "event_type"),
                "method": "_figure_error_rate",
                "action": "_action_failed_messages",
                "higher_is_worse": True,
            },
            "rejection_rate": {
                "name": self.env._("Rejection rate"),
                "kind": "technical",
                "unit": "%",
                "scopes": ("company", "endpoint", "event_type"),
                "method": "_figure_rejection_rate",
                "action": "_action_rejected_messages",
                "higher_is_worse": True,
            },
            "latency_p95": {
                "name": self.env._("Latency p95 (worst minute)"),
                "kind": "technical",
                "unit": "s",
                "scopes": ("company", "endpoint", "event_type"),
                "method": "_figure_latency_p95",
                "action": "_action_rollups",
                "higher_is_worse": True,
            },
            "silence_minutes": {
                "name": self.env._("Minutes since the last message"),
                "kind": "technical",
                "unit": "min",
                "scopes": ("company", "endpoint", "event_type"),
                "method": "_figure_silence_minutes",
                "action": "_action_messages",
                "higher_is_worse": True,
            },
            "queue_depth": {
                "name": self.env._("Messages waiting"),
                "kind": "technical",
                "unit": self.env._("messages"),
                "scopes": ("company", "endpoint", "event_type"),
                "method": "_figure_queue_depth",
                "action": "_action_waiting_messages",
                "higher_is_worse": True,
            },
            "queue_age_minutes": {
                "name": self.env._("Oldest waiting message"),
                "kind": "technical",
                "unit": "min",
                "scopes": ("company", "endpoint", "event_type"),
                "method": "_figure_queue_age_minutes",
                "action": "_action_waiting_messages",
                "higher_is_worse": True,
            },
            "held_count": {
                "name": self.env._("Messages held"),
                "kind": "technical",
                "unit": self.env._("messages"),
                "scopes": ("company", "endpoint", "event_type"),
                "method": "_figure_held_count",
                "action": "_action_held_messages",
                "higher_is_worse": True,
            },
            "held_age_minutes": {
                "name": self.env._("Longest held message"),
                "kind": "technical",
                "unit": "min",
                "scopes": ("company", "endpoint", "event_type"),
                "method": "_figure_held_age_minutes",
                "action": "_action_held_messages",
                "higher_is_worse": True,
            },
            "job_queue_depth": {
                "name": self.env._("Jobs waiting"),
                "kind": "technical",
                "unit": self.env._("jobs"),
                "scopes": ("company", "channel"),
                "method": "_figure_job_queue_depth",
                "higher_is_worse": True,
            },
            "job_queue_age_minutes": {
                "name": self.env._("Oldest waiting job"),
                "kind": "technical",
                "unit": "min",
                "scopes": ("company", "channel"),
                "method": "_figure_job_queue_age_minutes",
                "higher_is_worse": True,
            },
            "dead_jobs": {
                "name": self.env._("Dead jobs"),
                "kind": "technical",
                "unit": self.env._("jobs"),
                "scopes": ("company", "channel"),
                "method": "_figure_dead_jobs",
                "higher_is_worse": True,
            },
            "open_exceptions": {
                "name": self.env._("Open exceptions"),
                "kind": "business",
                "unit": self.env._("exceptions"),
                "scopes": ("company", "endpoint", "event_type"),
                "method": "_figure_open_exceptions",
                "action": "_action_open_exceptions",
                "higher_is_worse": True,
            },
            "overdue_exceptions": {
                "name": self.env._("Exceptions past their SLA"),
                "kind": "business",
                "unit": self.env._("exceptions"),
                "scopes": ("company", "endpoint", "event_type"),
                "method": "_figure_overdue_exceptions",
                "action": "_action_overdue_exceptions",
                "higher_is_worse": True,
            },
            "master_data_conflicts": {
                "name": self.env._("Open master-data conflicts"),
                "kind": "business",
                "unit": self.env._("exceptions"),
                "scopes": ("company", "endpoint", "event_type"),
                "method": "_figure_master_data_conflicts",
                "action": "_action_master_data_conflicts",
                "higher_is_worse": True,
            },
        }

    @api.model
    def _selection(self):
        return [(code, spec["name"]) for code, spec in self._get_figures().items()]

    @api.model
    def _value(self, code, scope):
        """The value of figure ``code`` on ``scope`` (a :data:`Scope`)."""
        spec = self._get_figures()[code]
        return float(getattr(self, spec["method"])(scope) or 0.0)

    @api.model
    def _action(self, code, scope):
        """The list behind figure ``code``, or False when it has none."""
        spec = self._get_figures()[code]
        if not spec.get("action"):
            return False
        return getattr(self, spec["action"])(scope)

    # Scopes as domains

    @api.model
    def _scope_domain(self, scope, company_field="company_id"):
        domain = [(company_field, "=", scope.company.id)]
        if scope.endpoint:
            domain.append(("endpoint_id", "=", scope.endpoint.id))
        if scope.event_type:
            domain.append(("event_type_id", "=", scope.event_type.id))
        return domain

    @api.model
    def _since(self, scope):
        return fields.Datetime.now() - timedelta(minutes=scope.minutes or 15)

    # Traffic (the rollups)

    def _totals(self, scope):
        return self.env["interop.monitor.rollup"]._window_totals(
            scope.company, scope.minutes or 15, scope.endpoint, scope.event_type
        )

    def _figure_message_count(self, scope):
        return self._totals(scope)["message_count"]

    def _figure_error_rate(self, scope):
        totals = self._totals(scope)
        if not totals["message_count"]:
            return 0.0
        return 100.0 * totals["error_count"] / totals["message_count"]

    def _figure_rejection_rate(self, scope):
        totals = self._totals(scope)
        if not totals["message_count"]:
            return 0.0
        return 100.0 * totals["rejection_count"] / totals["message_count"]

    def _figure_latency_p95(self, scope):
        return self._totals(scope)["latency_p95_ms"] / 1000.0

    # The message log, through its indexes

    def _figure_silence_minutes(self, scope):
        """Minutes since the last message was received (the endpoint/date index);
        on an endpoint with working hours, only the minutes of its working hours
        count ("no message for an hour in working hours")."""
        if scope.endpoint and not scope.event_type:
            last = scope.endpoint._monitor_last_message_dates().get(scope.endpoint.id)
        else:
            last = (
                self.env["interop.message"]
                .sudo()
                .search(self._scope_domain(scope), order="date_received desc", limit=1)
                .date_received
            )
        if not last:
            return 0.0
        now = fields.Datetime.now()
        if scope.endpoint and scope.endpoint.cadence_calendar_id:
            since = max(last, now - timedelta(days=SILENCE_MAX_DAYS))
            return scope.endpoint._monitor_working_seconds(since, now) / 60.0
        return (now - last).total_seconds() / 60.0

    def _waiting_domain(self, scope):
        return self._scope_domain(scope) + [("state", "in", WAITING_STATES)]

    def _figure_queue_depth(self, scope):
        return (
            self.env["interop.message"].sudo().search_count(self._waiting_domain(scope))
        )

    def _figure_queue_age_minutes(self, scope):
        oldest = (
            self.env["interop.message"]
            .sudo()
            .search(self._waiting_domain(scope), order="date_received", limit=1)
            .date_received
        )
        if not oldest:
            return 0.0
        return (fields.Datetime.now() - oldest).total_seconds() / 60.0

    # Held messages (state held: a rule said too early; released at date_release)

    def _held_domain(self, scope):
        return self._scope_domain(scope) + [
            ("state", "=", HELD),
            ("date_release", "!=", False),
        ]

    def _figure_held_count(self, scope):
        return self.env["interop.message"].sudo().search_count(self._held_domain(scope))

    def _figure_held_age_minutes(self, scope):
        """Minutes the longest-held message has been held (since a rule first
        held it)."""
        oldest = (
            self.env["interop.message"]
            .sudo()
            ._read_group(self._held_domain(scope), [], ["monitor_date_held:min"])[0][0]
        )
        if not oldest:
            return 0.0
        return (fields.Datetime.now() - oldest).total_seconds() / 60.0

    @api.model
    def _held_by_rule(self, company):
        """[(rule name, count, held since (oldest), next release)] of ``company``'s
        held messages, one row per rule; through the held messages' release index
        (a held message always has a release time)."""
        return [
            (rule or self.env._("(no rule)"), count, oldest, release)
            for rule, count, oldest, release in self.env["interop.message"]
            .sudo()
            ._read_group(
                [("company_id", "=", company.id), ("state", "=", HELD)]
                + [("date_release", "!=", False)],
                ["monitor_hold_rule"],
                ["__count", "monitor_date_held:min", "date_release:min"],
            )
        ]

    # queue_job

    def _job_where(self, scope, states):
        where = [
            SQL("state IN %s", tuple(states)),
            SQL("(company_id = %s OR company_id IS NULL)", scope.company.id),
        ]
        if scope.channel:
            where.append(
                SQL(
                    "(channel = %s OR channel LIKE %s)",
                    scope.channel,
                    scope.channel + ".%",
                )
            )
        return SQL(" AND ").join(where)

    def _figure_job_queue_depth(self, scope):
        self.env["queue.job"].flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM queue_job WHERE %s",
                self._job_where(scope, JOB_WAITING_STATES),
            )
        )
        return self.env.cr.fetchone()[0]

    def _figure_job_queue_age_minutes(self, scope):
        self.env["queue.job"].flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT min(date_created) FROM queue_job WHERE %s",
                self._job_where(scope, JOB_WAITING_STATES),
            )
        )
        oldest = self.env.cr.fetchone()[0]
        if not oldest:
            return 0.0
        return (fields.Datetime.now() - oldest).total_seconds() / 60.0

    def _figure_dead_jobs(self, scope):
        self.env["queue.job"].flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM queue_job WHERE %s",
                self._job_where(scope, ("failed",)),
            )
        )
        return self.env.cr.fetchone()[0]

    # Exceptions

    def _open_exception_domain(self, scope):
        return self._scope_domain(scope) + [("state", "in", OPEN_EXCEPTION_STATES)]

    def _overdue_domain(self, scope):
        return self._open_exception_domain(scope) + [
            ("date_deadline", "<", fields.Datetime.now())
        ]

    def _conflict_domain(self, scope):
        return self._open_exception_domain(scope) + [
            ("category_id.code", "=", "system_of_record")
        ]

    def _figure_open_exceptions(self, scope):
        return (
            self.env["interop.exception"]
            .sudo()
            .search_count(self._open_exception_domain(scope))
        )

    def _figure_overdue_exceptions(self, scope):
        return (
            self.env["interop.exception"]
            .sudo()
            .search_count(self._overdue_domain(scope))
        )

    def _figure_master_data_conflicts(self, scope):
        return (
            self.env["interop.exception"]
            .sudo()
            .search_count(self._conflict_domain(scope))
        )

    # The lists behind the figures (opened as the user: their rules apply)

    @api.model
    def _list_action(self, name, model, domain, views="list,form"):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": views,
            "domain": domain,
            "context": {"create": False},
        }

    def _action_rollups(self, scope):
        return self._list_action(
            self.env._("Traffic"),
            "interop.monitor.rollup",
            self.env["interop.monitor.rollup"]._window_domain(
                scope.company, scope.minutes or 15, scope.endpoint, scope.event_type
            ),
            views="list,pivot,graph",
        )

    def _message_action(self, name, domain):
        return self._list_action(name, "interop.message", domain)

    def _action_messages(self, scope):
        return self._message_action(self.env._("Messages"), self._scope_domain(scope))

    def _action_failed_messages(self, scope):
        return self._message_action(
            self.env._("Failed Messages"),
            self._scope_domain(scope)
            + [("state", "=", "failed"), ("date_received", ">=", self._since(scope))],
        )

    def _action_rejected_messages(self, scope):
        return self._message_action(
            self.env._("Rejected Messages"),
            self._scope_domain(scope)
            + [("state", "=", "rejected"), ("date_received", ">=", self._since(scope))],
        )

    def _action_waiting_messages(self, scope):
        return self._message_action(
            self.env._("Waiting Messages"), self._waiting_domain(scope)
        )

    def _action_held_messages(self, scope):
        action = self._message_action(
            self.env._("Held Messages"), self._held_domain(scope)
        )
        action["context"] = dict(action["context"], group_by=["monitor_hold_rule"])
        return action

    def _exception_action(self, name, domain):
        return self._list_action(name, "interop.exception", domain)

    def _action_open_exceptions(self, scope):
        return self._exception_action(
            self.env._("Open Exceptions"), self._open_exception_domain(scope)
        )

    def _action_overdue_exceptions(self, scope):
        return self._exception_action(
            self.env._("Exceptions Past Their SLA"), self._overdue_domain(scope)
        )

    def _action_master_data_conflicts(self, scope):
        return self._exception_action(
            self.env._("Master-Data Conflicts"), self._conflict_domain(scope)
        )
