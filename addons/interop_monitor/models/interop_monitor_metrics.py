# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from odoo import api, fields, models
from odoo.tools import SQL

from .interop_monitor_figure import JOB_WAITING_STATES, WAITING_STATES, Scope

#: the traffic gauges cover the last minutes
TRAFFIC_WINDOW_MINUTES = 15
#: the windows of the uptime figures: (label, minutes)
UPTIME_WINDOWS = (("24h", 24 * 60), ("7d", 7 * 24 * 60))


class _CompanyCollector:
    """A prometheus_client collector of one company's figures, read when scraped."""

    def __init__(self, metrics, company):
        self.metrics = metrics
        self.company = company

    def collect(self):
        return self.metrics._families(self.company)


class InteropMonitorMetrics(models.AbstractModel):
    """The figures of one company in Prometheus' text exposition format."""

    _name = "interop.monitor.metrics"
    _description = "Monitoring Metrics Exposition"

    @api.model
    def _exposition(self, company):
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_CompanyCollector(self.sudo(), company))
        return generate_latest(registry)

    @api.model
    def _families(self, company):
        # the endpoints and their cadence uptime serve two families: read once
        endpoints = (
            self.env["interop.endpoint"]
            .sudo()
            .search([("company_id", "=", company.id), ("state", "!=", "retired")])
        )
        cadence = {
            window: endpoints._monitor_cadence_uptime(minutes)
            for window, minutes in UPTIME_WINDOWS
        }
        families = []
        families += self._traffic_families(company)
        families += self._queue_families(company)
        families += self._job_families(company)
        families += self._endpoint_families(endpoints, cadence)
        families += self._exception_families(company)
        families += self._alert_families(company)
        families += self._figure_families(company)
        families += self._availability_families(endpoints, cadence)
        return families

    def _traffic_families(self, company):
        labels = ["endpoint", "event_type", "direction"]
        window = f"{TRAFFIC_WINDOW_MINUTES}m"
        gauges = {
            "message_count": GaugeMetricFamily(
                "interop_messages_" + window,
                f"Messages received in the last {TRAFFIC_WINDOW_MINUTES} minutes",
                labels=labels,
            ),
            "error_count": GaugeMetricFamily(
                "interop_message_errors_" + window,
                "Failed messages among them",
                labels=labels,
            ),
            "rejection_count": GaugeMetricFamily(
                "interop_message_rejections_" + window,
                "Rejected messages among them (contract)",
                labels=labels,
            ),
            "payload_bytes": GaugeMetricFamily(
                "interop_message_bytes_" + window,
                "Payload bytes of those messages",
                labels=labels,
            ),
            "latency_p95_ms": GaugeMetricFamily(
                "interop_message_latency_p95_seconds",
                "Received-to-done p95 of the worst minute of the window",
                labels=labels,
            ),
            "latency_max_ms": GaugeMetricFamily(
                "interop_message_latency_max_seconds",
                "Received-to-done maximum over the window",
                labels=labels,
            ),
        }
        Rollup = self.env["interop.monitor.rollup"].sudo()
        groups = Rollup._read_group(
            Rollup._window_domain(company, TRAFFIC_WINDOW_MINUTES),
            ["endpoint_id", "event_type_id", "direction"],
            [
                "message_count:sum",
                "error_count:sum",
                "rejection_count:sum",
                "payload_bytes:sum",
                "latency_p95_ms:max",
                "latency_max_ms:max",
            ],
        )
        for endpoint, event_type, direction, *values in groups:
            label_values = [endpoint.code, event_type.code or "", direction]
            for (key, gauge), value in zip(gauges.items(), values, strict=True):
                value = value or 0
                if key.endswith("_ms"):
                    value = value / 1000.0
                gauge.add_metric(label_values, value)
        return list(gauges.values())

    def _queue_families(self, company):
        depth = GaugeMetricFamily(
            "interop_queue_messages",
            "Messages not yet final, per endpoint, event type and state",
            labels=["endpoint", "event_type", "state"],
        )
        age = GaugeMetricFamily(
            "interop_queue_oldest_age_seconds",
            "Age of the oldest message not yet final",
            labels=["endpoint", "event_type"],
        )
        groups = (
            self.env["interop.message"]
            .sudo()
            ._read_group(
                [("company_id", "=", company.id), ("state", "in", WAITING_STATES)],
                ["endpoint_id", "event_type_id", "state"],
                ["__count", "date_received:min"],
            )
        )
        now = fields.Datetime.now()
        oldest = {}
        for endpoint, event_type, state, count, first in groups:
            depth.add_metric([endpoint.code, event_type.code or "", state], count)
            key = (endpoint.code, event_type.code or "")
            oldest[key] = min(first, oldest.get(key, first))
        for key, first in oldest.items():
            age.add_metric(list(key), (now - first).total_seconds())
        families = [depth, age] + self._held_families(company, now)
        Message = self.env["interop.message"]
        if "date_held" in Message._fields:
            held = GaugeMetricFamily(
                "interop_queue_held_messages",
                "Outbound messages held by an open circuit breaker",
                labels=["endpoint"],
            )
            for endpoint, count in Message.sudo()._read_group(
                [
                    ("company_id", "=", company.id),
                    ("state", "in", WAITING_STATES),
                    ("date_held", "!=", False),
                ],
                ["endpoint_id"],
                ["__count"],
            ):
                held.add_metric([endpoint.code], count)
            families.append(held)
        return families

    def _held_families(self, company, now):
        count = GaugeMetricFamily(
            "interop_held_messages",
            "Messages held by a rule (too early), per rule",
            labels=["rule"],
        )
        age = GaugeMetricFamily(
            "interop_held_oldest_age_seconds",
            "Seconds the longest-held message of the rule has been held",
            labels=["rule"],
        )
        release = GaugeMetricFamily(
            "interop_held_next_release_seconds",
            "Seconds until the rule's next held message is released (negative: "
            "overdue)",
            labels=["rule"],
        )
        Figure = self.env["interop.monitor.figure"]
        for rule, held, oldest, next_release in Figure._held_by_rule(company):
            count.add_metric([rule], held)
            if oldest:
                age.add_metric([rule], (now - oldest).total_seconds())
            release.add_metric([rule], (next_release - now).total_seconds())
        return [count, age, release]

    def _job_families(self, company):
        jobs = GaugeMetricFamily(
            "interop_jobs",
            "queue_job jobs waiting or dead, per channel and state",
            labels=["channel", "state"],
        )
        age = GaugeMetricFamily(
            "interop_job_oldest_age_seconds",
            "Age of the oldest waiting job, per channel",
            labels=["channel"],
        )
        self.env["queue.job"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT channel, state, count(*), min(date_created)
                  FROM queue_job
                 WHERE state IN %s AND (company_id = %s OR company_id IS NULL)
                 GROUP BY channel, state
                """,
                (*JOB_WAITING_STATES, "failed"),
                company.id,
            )
        )
        now = fields.Datetime.now()
        oldest = {}
        for channel, state, count, first in self.env.cr.fetchall():
            jobs.add_metric([channel or "", state], count)
            if state != "failed" and first:
                oldest[channel] = min(first, oldest.get(channel, first))
        for channel, first in oldest.items():
            age.add_metric([channel or ""], (now - first).total_seconds())
        return [jobs, age]

    def _endpoint_families(self, endpoints, cadence):
        """``endpoints``: the company's, not retired; ``cadence``: their cadence
        uptime per window (:meth:`_families`)."""
        active = GaugeMetricFamily(
            "interop_endpoint_active",
            "1 when the endpoint is active",
            labels=["endpoint", "direction"],
        )
        silence = GaugeMetricFamily(
            "interop_endpoint_last_message_age_seconds",
            "Seconds since the endpoint's last message",
            labels=["endpoint"],
        )
        uptime = GaugeMetricFamily(
            "interop_endpoint_uptime_ratio",
            "Share of the window the endpoint was up: its health checks when it "
            "has some, else its expected cadence when it has one, else the minutes "
            "with traffic in which a message went through",
            labels=["endpoint", "window"],
        )
        last = endpoints._monitor_last_message_dates()
        now = fields.Datetime.now()
        for endpoint in endpoints:
            active.add_metric(
                [endpoint.code, endpoint.direction],
                1 if endpoint.state == "active" else 0,
            )
            if last.get(endpoint.id):
                silence.add_metric(
                    [endpoint.code], (now - last[endpoint.id]).total_seconds()
                )
        for window, minutes in UPTIME_WINDOWS:
            ratios = endpoints._monitor_uptime(minutes, cadence=cadence[window])
            for endpoint_id, ratio in ratios.items():
                uptime.add_metric(
                    [endpoints.browse(endpoint_id).code, window], ratio / 100.0
                )
        families = [active, silence, uptime]
        if "breaker_state" in endpoints._fields:
            breaker = GaugeMetricFamily(
                "interop_endpoint_breaker_open",
                "1 when the endpoint's circuit breaker is open",
                labels=["endpoint"],
            )
            for endpoint in endpoints:
                breaker.add_metric(
                    [endpoint.code], 1 if endpoint.breaker_state == "open" else 0
                )
            families.append(breaker)
        return families

    def _availability_families(self, endpoints, cadence):
        """Inbound endpoints against their cadence; the time each outbound
        endpoint's breaker spent in each state (24 h and 7 d). ``endpoints`` and
        ``cadence`` as for :meth:`_endpoint_families`."""
        cadence_ratio = GaugeMetricFamily(
            "interop_endpoint_cadence_ratio",
            "Share of the expected intervals (the endpoint's cadence, within its "
            "working hours) in which at least one message arrived",
            labels=["endpoint", "window"],
        )
        breaker = GaugeMetricFamily(
            "interop_endpoint_breaker_seconds",
            "Seconds the endpoint's circuit breaker spent in each state over the "
            "window",
            labels=["endpoint", "state", "window"],
        )
        for window, minutes in UPTIME_WINDOWS:
            for endpoint_id, ratio in cadence[window].items():
                code = endpoints.browse(endpoint_id).code
                cadence_ratio.add_metric([code, window], ratio / 100.0)
            for endpoint_id, times in endpoints._monitor_breaker_seconds(
                minutes
            ).items():
                code = endpoints.browse(endpoint_id).code
                for state, seconds in times.items():
                    breaker.add_metric([code, state, window], seconds)
        return [cadence_ratio, breaker]

    def _exception_families(self, company):
        family = GaugeMetricFamily(
            "interop_exceptions_open",
            "Open exceptions per category",
            labels=["category"],
        )
        overdue = GaugeMetricFamily(
            "interop_exceptions_overdue",
            "Open exceptions past their SLA per category",
            labels=["category"],
        )
        Exception_ = self.env["interop.exception"].sudo()
        base = [
            ("company_id", "=", company.id),
            ("state", "in", ("open", "in_progress")),
        ]
        for category, count in Exception_._read_group(
            base, ["category_id"], ["__count"]
        ):
            family.add_metric([category.code], count)
        for category, count in Exception_._read_group(
            base + [("date_deadline", "<", fields.Datetime.now())],
            ["category_id"],
            ["__count"],
        ):
            overdue.add_metric([category.code], count)
        return [family, overdue]

    def _alert_families(self, company):
        family = GaugeMetricFamily(
            "interop_alert_firing",
            "1 while the alert rule fires",
            labels=["rule"],
        )
        for rule in (
            self.env["interop.alert.rule"]
            .sudo()
            .search([("company_id", "=", company.id)])
        ):
            family.add_metric([rule.name], 1 if rule.state == "firing" else 0)
        return [family]

    def _figure_families(self, company):
        family = GaugeMetricFamily(
            "interop_business_figure",
            "Business figures of the operations overview",
            labels=["figure"],
        )
        Figure = self.env["interop.monitor.figure"]
        scope = Scope(company, None, None, None, 24 * 60)
        for code, spec in Figure._get_figures().items():
            if spec["kind"] == "business":
                family.add_metric([code], Figure._value(code, scope))
        return [family]
