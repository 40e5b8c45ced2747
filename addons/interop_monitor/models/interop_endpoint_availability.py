# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import math
from datetime import UTC, timedelta

from markupsafe import Markup

from odoo import fields, models
from odoo.tools import SQL, format_datetime

from odoo.addons.interop.models.interop_message import HELD

BREAKER_STATES = ("closed", "open", "half_open")


class InteropEndpointAvailability(models.AbstractModel):
    """How available an endpoint was, for its health tile, form and metrics: the
    time its circuit breaker spent in each state, the messages timing rules hold,
    its uptime from the health checks, its traffic and its expected cadence in
    working hours. Inherited by ``interop.endpoint``."""

    _name = "interop.endpoint.availability"
    _description = "Endpoint Availability"

    def _compute_monitor_breaker_time_24h(self):
        self._monitor_set_breaker_time("monitor_breaker_time_24h", 24 * 60)

    def _compute_monitor_breaker_time_7d(self):
        self._monitor_set_breaker_time("monitor_breaker_time_7d", 7 * 24 * 60)

    def _monitor_set_breaker_time(self, fname, minutes):
        seconds = self._monitor_breaker_seconds(minutes)
        labels = dict(
            self._fields["breaker_state"]._description_selection(self.env)
            if "breaker_state" in self._fields
            else []
        )
        for endpoint in self:
            times = seconds.get(endpoint.id)
            endpoint[fname] = (
                " · ".join(
                    f"{labels.get(state, state)} {self._monitor_duration(times[state])}"
                    for state in BREAKER_STATES
                    if times[state] >= 1 or state == "closed"
                )
                if times
                else False
            )

    def _monitor_duration(self, seconds):
        """A duration in words a tile can show: 2 d 3 h, 4 h 12 min, 35 min."""
        minutes = round(seconds / 60)
        if seconds and not minutes:
            return self.env._("< 1 min")
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        if days:
            return self.env._("%(days)s d %(hours)s h", days=days, hours=hours)
        if hours:
            return self.env._("%(hours)s h %(min)s min", hours=hours, min=minutes)
        return self.env._("%(min)s min", min=minutes)

    def _monitor_breaker_seconds(self, minutes):
        """{endpoint id: {state: seconds}}: the time the circuit breaker of each
        outbound endpoint spent in each state over the last ``minutes``.

        From the breaker history (``interop.breaker.transition``, on its
        endpoint/date index): the state at the start of the window is the last
        transition's before it (else the first one's in it, else the current
        state); each transition ends the time of the state it leaves."""
        if "breaker_state" not in self._fields:
            return {}
        endpoints = self.filtered(
            lambda e: e.id and e.direction in ("outbound", "both")
        )
        if not endpoints:
            return {}
        now = fields.Datetime.now()
        start = now - timedelta(minutes=minutes)
        self.env["interop.breaker.transition"].flush_model()
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT e.id, t.state_to
                  FROM unnest(%(ids)s) AS e(id)
                  JOIN LATERAL (
                       SELECT state_to FROM interop_breaker_transition
                        WHERE endpoint_id = e.id AND date <= %(start)s
                        ORDER BY date DESC, id DESC
                        LIMIT 1
                  ) t ON true
                """,
                ids=endpoints.ids,
                start=start,
            )
        )
        before = dict(cr.fetchall())
        cr.execute(
            SQL(
                """
                SELECT endpoint_id, state_from, state_to, date
                  FROM interop_breaker_transition
                 WHERE endpoint_id = ANY(%(ids)s)
                   AND date > %(start)s AND date <= %(now)s
                 ORDER BY endpoint_id, date, id
                """,
                ids=endpoints.ids,
                start=start,
                now=now,
            )
        )
        moves = {}
        for endpoint_id, state_from, state_to, date in cr.fetchall():
            moves.setdefault(endpoint_id, []).append((state_from, state_to, date))
        result = {}
        for endpoint in endpoints:
            steps = moves.get(endpoint.id, [])
            state = before.get(endpoint.id) or (
                steps[0][0] if steps else endpoint.breaker_state
            )
            times = dict.fromkeys(BREAKER_STATES, 0.0)
            since = start
            for _state_from, state_to, date in steps:
                if state in times:
                    times[state] += (date - since).total_seconds()
                state, since = state_to, date
            if state in times:
                times[state] += (now - since).total_seconds()
            result[endpoint.id] = times
        return result

    def _compute_monitor_held(self):
        """Per endpoint and rule, the messages rules hold (the held messages'
        index: a held message always has a release time)."""
        ids = [endpoint.id for endpoint in self if endpoint.id]
        rows = {}
        if ids:
            for endpoint, rule, count, oldest, release in (
                self.env["interop.message"]
                .sudo()
                ._read_group(
                    [
                        ("endpoint_id", "in", ids),
                        ("state", "=", HELD),
                        ("date_release", "!=", False),
                    ],
                    ["endpoint_id", "monitor_hold_rule"],
                    ["__count", "monitor_date_held:min", "date_release:min"],
                    order="endpoint_id, monitor_hold_rule",
                )
            ):
                rows.setdefault(endpoint.id, []).append(
                    (rule or self.env._("(no rule)"), count, oldest, release)
                )
        for endpoint in self:
            held = rows.get(endpoint.id, [])
            endpoint.monitor_held_count = sum(row[1] for row in held)
            endpoint.monitor_held_html = (
                Markup("<ul class='list-unstyled mb-0'>%s</ul>")
                % Markup("").join(endpoint._monitor_held_line(*row) for row in held)
                if held
                else False
            )

    def _monitor_held_line(self, rule, count, oldest, release):
        # Markup's % escapes the rule's name and the dates
        return Markup("<li><b>%s</b>: %s</li>") % (
            rule,
            self.env._(
                "%(count)s held since %(oldest)s, next release %(release)s",
                count=count,
                oldest=format_datetime(self.env, oldest, dt_format="short")
                if oldest
                else "?",
                release=format_datetime(self.env, release, dt_format="short"),
            ),
        )

    def _compute_monitor_uptime_7d(self):
        uptime = self._monitor_uptime(7 * 24 * 60)
        for endpoint in self:
            endpoint.monitor_uptime_7d = uptime.get(endpoint.id, 100.0)

    def _monitor_last_message_dates(self):
        """{endpoint id: date of its last message}, one index probe each."""
        ids = [endpoint.id for endpoint in self if endpoint.id]
        if not ids:
            return {}
        self.env["interop.message"].flush_model(["endpoint_id", "date_received"])
        # One statement, one probe of the (endpoint_id, date_received) index per
        # endpoint: the subquery's order is the index's, the endpoint its condition
        # (ordered by the date alone, an earlier version let the planner walk the
        # date index of the whole log for an endpoint without messages).
        self.env.cr.execute(
            SQL(
                """
                SELECT e.id,
                       (SELECT m.date_received FROM interop_message m
                         WHERE m.endpoint_id = e.id
                         ORDER BY m.endpoint_id DESC, m.date_received DESC
                         LIMIT 1)
                  FROM unnest(%s::int[]) AS e(id)
                """,
                ids,
            )
        )
        return {
            endpoint_id: date for endpoint_id, date in self.env.cr.fetchall() if date
        }

    def _monitor_uptime(self, minutes, cadence=None):
        """{endpoint id: uptime % over the last ``minutes``}.

        An endpoint with health checks in the window: the share of the time its
        checks said healthy (:meth:`_monitor_check_uptime`). One receiving with a
        cadence: the share of its expected intervals with a message
        (:meth:`_monitor_cadence_uptime`, or ``cadence`` when the caller has it
        already). Any other: the share of its minutes with traffic in which at
        least one message went through. Endpoints with none are left out."""
        traffic = self._monitor_traffic_uptime(minutes)
        if cadence is None:
            cadence = self._monitor_cadence_uptime(minutes)
        traffic.update(cadence)
        traffic.update(self._monitor_check_uptime(minutes))
        return traffic

    def _monitor_working_spans(self, start, end):
        """[(start, end)] in epoch seconds: the endpoint's working time between two
        naive UTC datetimes (its calendar's hours, its public holidays left out;
        all of it without a calendar), merged and in order."""
        self.ensure_one()
        start_utc = start.replace(tzinfo=UTC)
        end_utc = end.replace(tzinfo=UTC)
        calendar = self.cadence_calendar_id
        if not calendar:
            return [(start_utc.timestamp(), end_utc.timestamp())]
        spans = []
        intervals = calendar.sudo()._work_intervals_batch(start_utc, end_utc)[False]
        for begin, stop, _meta in intervals:
            begin, stop = begin.timestamp(), stop.timestamp()
            if spans and begin <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], stop))
            else:
                spans.append((begin, stop))
        return spans

    def _monitor_working_seconds(self, start, end):
        """Seconds of working time of the endpoint between two UTC datetimes."""
        return sum(
            stop - begin for begin, stop in self._monitor_working_spans(start, end)
        )

    def _monitor_expected_slots(self, start, end):
        """The intervals of its cadence (numbered from the epoch: aligned to the
        clock) the endpoint was expected to send in: inside ``start`` - ``end``
        and its activation, wholly inside its working time, over."""
        self.ensure_one()
        size = self.cadence_minutes * 60
        if self.date_activated:
            start = max(start, self.date_activated)
        if size <= 0 or start >= end:
            return set()
        slots = set()
        for begin, stop in self._monitor_working_spans(start, end):
            slots.update(range(math.ceil(begin / size), math.floor(stop / size)))
        return slots

    def _monitor_cadence_uptime(self, minutes):
        """{endpoint id: % of the expected intervals with a message}, for the
        endpoints receiving with a cadence: each interval of ``cadence_minutes``
        of their working time over the last ``minutes`` in which at least one
        message arrived, from the rollups (a minute row counts its messages);
        100 when no interval was expected (a week-end)."""
        endpoints = self.filtered(
            lambda e: e.id and e.cadence_minutes > 0 and e.direction != "outbound"
        )
        if not endpoints:
            return {}
        now = fields.Datetime.now()
        start = now - timedelta(minutes=minutes)
        self.env["interop.monitor.rollup"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT r.endpoint_id,
                       floor(EXTRACT(EPOCH FROM r.bucket)
                             / (e.cadence_minutes * 60))::bigint
                  FROM interop_monitor_rollup r
                  JOIN interop_endpoint e ON e.id = r.endpoint_id
                 WHERE r.endpoint_id = ANY(%s) AND r.direction = 'inbound'
                   AND r.granularity = 'minute'
                   AND r.bucket >= %s AND r.bucket < %s AND r.message_count > 0
                 GROUP BY 1, 2
                """,
                endpoints.ids,
                start,
                now,
            )
        )
        seen = {}
        for endpoint_id, slot in self.env.cr.fetchall():
            seen.setdefault(endpoint_id, set()).add(slot)
        result = {}
        for endpoint in endpoints:
            expected = endpoint._monitor_expected_slots(start, now)
            result[endpoint.id] = (
                100.0 * len(expected & seen.get(endpoint.id, set())) / len(expected)
                if expected
                else 100.0
            )
        return result

    def _monitor_check_uptime(self, minutes):
        """{endpoint id: % of the last ``minutes`` its health checks said up}.

        Each check's outcome holds until the next check, for at most two of the
        endpoint's check intervals: a longer gap (the check did not run) is time
        nobody knows about, left out of both sides of the ratio. Read from the
        check log (one row per check, on the endpoint/date index), never from the
        message log."""
        ids = [endpoint.id for endpoint in self if endpoint.id]
        if not ids:
            return {}
        now = fields.Datetime.now()
        self.env["interop.monitor.health.check"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH checks AS (
                    SELECT c.endpoint_id, COALESCE(c.ok, false) AS ok, c.date,
                           lead(c.date) OVER (PARTITION BY c.endpoint_id
                                              ORDER BY c.date, c.id) AS next_date,
                           make_interval(
                               mins => 2 * GREATEST(e.health_check_interval, 1)
                           ) AS hold
                      FROM interop_monitor_health_check c
                      JOIN interop_endpoint e ON e.id = c.endpoint_id
                     WHERE c.endpoint_id = ANY(%(ids)s)
                       AND c.date <= %(now)s
                       AND c.date >= %(start)s - make_interval(
                           mins => 2 * GREATEST(e.health_check_interval, 1))
                ), spans AS (
                    SELECT endpoint_id, ok,
                           GREATEST(0, EXTRACT(EPOCH FROM
                               LEAST(COALESCE(next_date, %(now)s), date + hold,
                                     %(now)s)
                               - GREATEST(date, %(start)s))) AS seconds
                      FROM checks
                )
                SELECT endpoint_id,
                       100.0 * COALESCE(sum(seconds) FILTER (WHERE ok), 0)
                       / sum(seconds)
                  FROM spans
                 GROUP BY endpoint_id
                HAVING sum(seconds) > 0
                """,
                ids=ids,
                now=now,
                start=now - timedelta(minutes=minutes),
            )
        )
        return {
            endpoint_id: float(ratio) for endpoint_id, ratio in self.env.cr.fetchall()
        }

    def _monitor_traffic_uptime(self, minutes):
        """{endpoint id: % of its minutes with traffic (last ``minutes``) in which
        at least one message went through}; endpoints without traffic are left
        out."""
        ids = [endpoint.id for endpoint in self if endpoint.id]
        if not ids:
            return {}
        # per endpoint and hour, not per minute: a week is some 170 rows each
        counts = self.env["interop.monitor.rollup"]._uptime_minutes(
            ids, fields.Datetime.now() - timedelta(minutes=minutes)
        )
        return {endpoint_id: row[2] for endpoint_id, row in counts.items()}
