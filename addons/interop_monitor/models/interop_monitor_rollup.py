# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, create_index, create_unique_index, index_exists
from odoo.tools.sql import table_exists

from .interop_monitor_rollup_retention import UPTIME_HOUR_TABLE

#: messages read from the log per batch (one transaction each): a minute of 500
#: messages/s, so that a batch recounts its minutes once (bench/README.md: 1.1 % of
#: a core at that rate, 6 % with batches of 5,000 recounting each minute 6-7 times)
DEFAULT_BATCH_SIZE = 30000
#: seconds the rollup stays behind the clock, so that a message finished by a
#: transaction still open when the batch runs is counted by a later batch
DEFAULT_LAG_SECONDS = 60
CURSOR_XMLID = "interop_monitor.interop_monitor_cursor_rollup"
#: (endpoint, granularity, minute) with the counts the uptime reads
UPTIME_INDEX = "interop_monitor_rollup_endpoint_bucket_idx"


class InteropMonitorRollup(models.Model):
    """The traffic of one endpoint, event type and direction in one minute.

    Counted from the message log by :meth:`_rollup_batch`: each batch takes the
    messages finished since the watermark and counts again, from the log, every
    minute they were received in. A message finishing late (a retry, a replay, a
    slow partner) recounts its minute, however old; counting a minute again gives
    the same row, so a batch that fails half-way is simply run again.
    """

    _name = "interop.monitor.rollup"
    _inherit = ["interop.monitor.rollup.retention"]
    _description = "Message Traffic per Minute"
    _order = "bucket desc, endpoint_id, event_type_id"

    bucket = fields.Datetime(string="Minute", required=True, readonly=True)
    granularity = fields.Selection(
        [("minute", "Minute"), ("hour", "Hour")],
        required=True,
        default="minute",
        readonly=True,
        help="Minute rows older than the retention of minutes are summed into one "
        "row per hour (p50, p95 and maximum: the worst minute of the hour).",
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    endpoint_id = fields.Many2one(
        "interop.endpoint", required=True, readonly=True, ondelete="cascade"
    )
    event_type_id = fields.Many2one(
        "interop.event.type", readonly=True, ondelete="cascade"
    )
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound")],
        required=True,
        readonly=True,
    )
    message_count = fields.Integer(string="Messages", readonly=True)
    done_count = fields.Integer(string="Done", readonly=True)
    error_count = fields.Integer(string="Failed", readonly=True)
    rejection_count = fields.Integer(string="Rejected", readonly=True)
    latency_p50_ms = fields.Integer(
        string="Latency p50 (ms)",
        readonly=True,
        aggregator="max",
        help="Received to done, of the messages done: the median.",
    )
    latency_p95_ms = fields.Integer(
        string="Latency p95 (ms)",
        readonly=True,
        aggregator="max",
        help="Received to done: 95 % of the messages done were at most this fast "
        "(nearest rank). Summed over minutes, the worst minute.",
    )
    latency_max_ms = fields.Integer(
        string="Latency max (ms)", readonly=True, aggregator="max"
    )
    payload_bytes = fields.Integer(string="Bytes", readonly=True)

    def init(self):
        # the upsert's conflict target: one row per minute (or hour) and series
        self.env.cr.execute("DROP INDEX IF EXISTS interop_monitor_rollup_series_uniq")
        create_unique_index(
            self.env.cr,
            "interop_monitor_rollup_series_granularity_uniq",
            self._table,
            [
                "endpoint_id",
                "direction",
                "granularity",
                "bucket",
                "COALESCE(event_type_id, 0)",
            ],
        )
        # dashboards, alerts and the metrics read a company's last minutes
        create_index(
            self.env.cr,
            "interop_monitor_rollup_company_bucket_idx",
            self._table,
            ["company_id", "bucket"],
        )
        # the uptime from the traffic (tiles, health list, metrics) reads a day or a
        # week of minutes of some endpoints: an index-only scan in (endpoint,
        # minute) order, instead of every company's week through the index above
        # or the whole table (bench/README.md, "Monitoring at 10 million messages")
        self._init_uptime_hours()
        if not index_exists(self.env.cr, UPTIME_INDEX):
            self.env.cr.execute(
                SQL(
                    "CREATE INDEX %s ON %s (endpoint_id, granularity, bucket)"
                    " INCLUDE (done_count, error_count)",
                    SQL.identifier(UPTIME_INDEX),
                    SQL.identifier(self._table),
                )
            )

    def _init_uptime_hours(self):
        """The uptime counts per endpoint and hour (no model: written and read
        only by the methods of this one), filled from the minute rows when
        created."""
        cr = self.env.cr
        if table_exists(cr, UPTIME_HOUR_TABLE):
            return
        cr.execute(
            SQL(
                """
                CREATE TABLE %(table)s (
                    endpoint_id integer NOT NULL
                        REFERENCES interop_endpoint (id) ON DELETE CASCADE,
                    hour timestamp without time zone NOT NULL,
                    minute_count integer NOT NULL,
                    up_count integer NOT NULL,
                    PRIMARY KEY (endpoint_id, hour)
                )
                """,
                table=SQL.identifier(UPTIME_HOUR_TABLE),
            )
        )
        cr.execute(
            "SELECT DISTINCT endpoint_id, date_trunc('hour', bucket)"
            "  FROM interop_monitor_rollup WHERE granularity = 'minute'"
        )
        self._refresh_uptime_hours(set(cr.fetchall()))

    @api.depends("bucket", "endpoint_id", "event_type_id")
    def _compute_display_name(self):
        for rollup in self:
            rollup.display_name = " · ".join(
                filter(
                    None,
                    [
                        rollup.endpoint_id.name,
                        rollup.event_type_id.code,
                        fields.Datetime.to_string(rollup.bucket),
                    ],
                )
            )

    # Rolling up

    @api.model
    def _cron_rollup(self, batch_size=None):
        """One batch per call: Odoo's scheduler commits it and calls again while
        messages remain (``_notify_progress``)."""
        done, remaining = self._rollup_batch(batch_size=batch_size)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _rollup_everything(self):
        """Roll up the whole log now, to the last second (demo data, a new
        database): in batches, in this transaction."""
        while self._rollup_batch(lag_seconds=0)[1]:
            pass

    @api.model
    def _rollup_batch(self, batch_size=None, lag_seconds=None):
        """Count the next ``batch_size`` finished messages; return ``(taken,
        remaining)`` where remaining is 1 when more may wait.

        The rows and the watermark are written in the caller's transaction: both
        or neither.
        """
        params = self.env["ir.config_parameter"].sudo()
        if batch_size is None:
            batch_size = int(
                params.get_param(
                    "interop_monitor.rollup_batch_size", DEFAULT_BATCH_SIZE
                )
            )
        if lag_seconds is None:
            lag_seconds = int(
                params.get_param(
                    "interop_monitor.rollup_lag_seconds", DEFAULT_LAG_SECONDS
                )
            )
        cursor = self.env.ref(CURSOR_XMLID).sudo()
        cr = self.env.cr
        cursor.flush_recordset()
        # One rollup at a time: a second run waits for this one, then starts from
        # the watermarks it moved.
        cr.execute(
            SQL(
                "SELECT date_finished, message_id, date_received, received_message_id"
                "  FROM %s WHERE id = %s FOR UPDATE",
                SQL.identifier(cursor._table),
                cursor.id,
            )
        )
        mark_date, mark_id, received_date, received_id = cr.fetchone()
        self.env["interop.message"].flush_model()
        upper = fields.Datetime.now() - timedelta(seconds=lag_seconds)
        # the messages finished since the finish watermark: their minute gets
        # their outcome and latency
        finished = self._next_messages(
            "date_finished", mark_date, mark_id, upper, batch_size
        )
        # the messages received since the reception watermark: their minute counts
        # them at once, finished or not
        received = self._next_messages(
            "date_received", received_date, received_id, upper, batch_size
        )
        if not finished and not received:
            cursor.write({"date_run": fields.Datetime.now()})
            return 0, 0
        self._recount({row[0] for row in finished} | {row[0] for row in received})
        if finished:
            cursor._move(finished[-1][1], finished[-1][0])
        if received:
            cursor._move_received(received[-1][1], received[-1][0])
        remaining = len(finished) >= batch_size or len(received) >= batch_size
        return len(finished) + len(received), 1 if remaining else 0

    @api.model
    def _next_messages(self, date_field, mark_date, mark_id, upper, limit):
        """[(id, date)] of the next ``limit`` messages after (``mark_date``,
        ``mark_id``) by ``date_field`` (date_finished or date_received), up to
        ``upper``."""
        column = SQL.identifier(date_field)
        self.env.cr.execute(
            SQL(
                """
                SELECT id, %(column)s FROM interop_message
                 WHERE %(column)s IS NOT NULL
                   AND %(column)s >= %(mark_date)s
                   AND (%(column)s, id) > (%(mark_date)s, %(mark_id)s)
                   AND %(column)s <= %(upper)s
                 ORDER BY %(column)s, id
                 LIMIT %(limit)s
                """,
                column=column,
                mark_date=mark_date or "-infinity",
                mark_id=mark_id or 0,
                upper=upper,
                limit=limit,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _recount(self, message_ids):
        """Count again, from the log, every minute of every series the messages
        ``message_ids`` were received in (all their messages, whatever their
        state), and write those rows."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH minutes AS (
                    SELECT DISTINCT endpoint_id, direction,
                           date_trunc('minute', date_received) AS bucket
                      FROM interop_message
                     WHERE id = ANY(%(ids)s)
                       -- minutes already summed into hours are not written again
                       AND date_received >= %(horizon)s
                )
                INSERT INTO interop_monitor_rollup (
                    granularity, bucket, endpoint_id, event_type_id, direction,
                    company_id,
                    message_count, done_count, error_count, rejection_count,
                    latency_p50_ms, latency_p95_ms, latency_max_ms, payload_bytes,
                    create_uid, write_uid, create_date, write_date
                )
                SELECT 'minute', k.bucket, k.endpoint_id, t.event_type_id,
                       k.direction,
                       t.company_id, t.message_count, t.done_count, t.error_count,
                       t.rejection_count, t.p50, t.p95, t.latency_max, t.size,
                       %(uid)s, %(uid)s, now() at time zone 'UTC',
                       now() at time zone 'UTC'
                  FROM minutes k
                  -- one range of the (endpoint_id, date_received) index per minute:
                  -- a join of the minutes with the log would let the planner merge
                  -- whole endpoints
                  CROSS JOIN LATERAL (
                    SELECT m.event_type_id,
                           min(m.company_id) AS company_id,
                           count(*) AS message_count,
                           count(*) FILTER (WHERE m.state = 'done') AS done_count,
                           count(*) FILTER (WHERE m.state = 'failed') AS error_count,
                           count(*) FILTER (WHERE m.state = 'rejected')
                               AS rejection_count,
                           percentile_disc(0.5) WITHIN GROUP (ORDER BY l.latency)
                               AS p50,
                           percentile_disc(0.95) WITHIN GROUP (ORDER BY l.latency)
                               AS p95,
                           max(l.latency) AS latency_max,
                           COALESCE(sum(m.payload_size), 0) AS size
                      FROM interop_message m
                      CROSS JOIN LATERAL (
                        SELECT CASE WHEN m.state = 'done'
                                     AND m.date_finished IS NOT NULL
                                    THEN round(EXTRACT(EPOCH FROM
                                         m.date_finished - m.date_received) * 1000)
                               END AS latency
                      ) l
                     WHERE m.endpoint_id = k.endpoint_id
                       AND m.date_received >= k.bucket
                       AND m.date_received < k.bucket + interval '1 minute'
                       AND m.direction = k.direction
                     GROUP BY m.event_type_id
                  ) t
                ON CONFLICT (endpoint_id, direction, granularity, bucket,
                             COALESCE(event_type_id, 0))
                DO UPDATE SET
                    company_id = EXCLUDED.company_id,
                    message_count = EXCLUDED.message_count,
                    done_count = EXCLUDED.done_count,
                    error_count = EXCLUDED.error_count,
                    rejection_count = EXCLUDED.rejection_count,
                    latency_p50_ms = EXCLUDED.latency_p50_ms,
                    latency_p95_ms = EXCLUDED.latency_p95_ms,
                    latency_max_ms = EXCLUDED.latency_max_ms,
                    payload_bytes = EXCLUDED.payload_bytes,
                    write_uid = EXCLUDED.write_uid,
                    write_date = EXCLUDED.write_date
                RETURNING endpoint_id, date_trunc('hour', bucket)
                """,
                ids=list(message_ids),
                uid=self.env.uid,
                horizon=self._minute_horizon(),
            )
        )
        self._refresh_uptime_hours(set(self.env.cr.fetchall()))
        self.invalidate_model()

    @api.model
    def _refresh_uptime_hours(self, hours):
        """Count again, from the minute rows, the uptime of each ``(endpoint id,
        hour)`` of ``hours``: its minutes with traffic, and those in which a
        message went through (:meth:`_uptime_minutes`). Called in the transaction
        that wrote those minutes."""
        if not hours:
            return
        endpoint_ids, starts = zip(*sorted(hours), strict=True)
        self.env.cr.execute(
            SQL(
                """
                WITH hours AS (
                    SELECT * FROM unnest(%(endpoints)s::int[], %(hours)s::timestamp[])
                        AS h(endpoint_id, hour)
                ), minutes AS (
                    SELECT h.endpoint_id, h.hour, r.bucket,
                           bool_or(r.done_count > 0 OR r.error_count = 0) AS up
                      FROM hours h
                      JOIN interop_monitor_rollup r
                        ON r.endpoint_id = h.endpoint_id
                       AND r.granularity = 'minute'
                       AND r.bucket >= h.hour
                       AND r.bucket < h.hour + interval '1 hour'
                     GROUP BY h.endpoint_id, h.hour, r.bucket
                )
                INSERT INTO %(table)s (endpoint_id, hour, minute_count, up_count)
                SELECT endpoint_id, hour, count(*), count(*) FILTER (WHERE up)
                  FROM minutes
                 GROUP BY endpoint_id, hour
                ON CONFLICT (endpoint_id, hour) DO UPDATE SET
                    minute_count = EXCLUDED.minute_count,
                    up_count = EXCLUDED.up_count
                """,
                endpoints=list(endpoint_ids),
                hours=list(starts),
                table=SQL.identifier(UPTIME_HOUR_TABLE),
            )
        )

    @api.model
    def _last_success(self, endpoint_ids):
        """{endpoint id: the last minute (or hour) in which one of its messages
        went through}: two backward probes of the (endpoint, granularity, minute)
        index per endpoint, not a read of all its rows (a max() over its rows read
        a month of minutes: 290 ms at 260,000 rows)."""
        if not endpoint_ids:
            return {}
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT e.id, GREATEST(
                    (SELECT bucket FROM interop_monitor_rollup
                      WHERE endpoint_id = e.id AND granularity = 'minute'
                        AND done_count > 0
                      ORDER BY bucket DESC LIMIT 1),
                    (SELECT bucket FROM interop_monitor_rollup
                      WHERE endpoint_id = e.id AND granularity = 'hour'
                        AND done_count > 0
                      ORDER BY bucket DESC LIMIT 1))
                  FROM unnest(%s::int[]) AS e(id)
                """,
                list(endpoint_ids),
            )
        )
        return {
            endpoint_id: bucket
            for endpoint_id, bucket in self.env.cr.fetchall()
            if bucket
        }

    @api.model
    def _uptime_minutes(self, endpoint_ids, start):
        """{endpoint id: (minutes with traffic, minutes in which at least one
        message went through, the second as a % of the first)} since ``start``,
        from the minute rows; endpoints without traffic are left out.

        The whole hours are read from the hour counts (one row per endpoint and
        hour, kept by :meth:`_refresh_uptime_hours` whenever a minute is
        written), the first, partial hour of the window from the minute rows: a
        week is some 170 rows per endpoint instead of 10,000 minutes."""
        first_hour = start.replace(minute=0, second=0, microsecond=0)
        if first_hour < start:
            first_hour += timedelta(hours=1)
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH minutes AS (
                    SELECT endpoint_id, bucket,
                           bool_or(done_count > 0 OR error_count = 0) AS up
                      FROM interop_monitor_rollup
                     WHERE endpoint_id = ANY(%(ids)s) AND granularity = 'minute'
                       AND bucket >= %(start)s AND bucket < %(first_hour)s
                     GROUP BY endpoint_id, bucket
                ), counts AS (
                    SELECT endpoint_id, count(*) AS minute_count,
                           count(*) FILTER (WHERE up) AS up_count
                      FROM minutes
                     GROUP BY endpoint_id
                    UNION ALL
                    SELECT endpoint_id, minute_count, up_count
                      FROM %(table)s
                     WHERE endpoint_id = ANY(%(ids)s) AND hour >= %(first_hour)s
                )
                SELECT endpoint_id, sum(minute_count)::bigint, sum(up_count)::bigint,
                       100.0 * sum(up_count)::bigint / sum(minute_count)::bigint
                  FROM counts
                 GROUP BY endpoint_id
                HAVING sum(minute_count) > 0
                """,
                ids=list(endpoint_ids),
                start=start,
                first_hour=first_hour,
                table=SQL.identifier(UPTIME_HOUR_TABLE),
            )
        )
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    # Reading

    @api.model
    def _window_domain(self, company, minutes, endpoint=None, event_type=None):
        since = fields.Datetime.now() - timedelta(minutes=minutes)
        domain = [("company_id", "=", company.id), ("bucket", ">=", since)]
        if endpoint:
            domain.append(("endpoint_id", "=", endpoint.id))
        if event_type:
            domain.append(("event_type_id", "=", event_type.id))
        return domain

    @api.model
    def _window_totals(self, company, minutes, endpoint=None, event_type=None):
        """Totals of the last ``minutes``: a dict of counts, bytes and the worst
        minute's p95 (``latency_p95_ms``)."""
        groups = self.sudo()._read_group(
            self._window_domain(company, minutes, endpoint, event_type),
            [],
            [
                "message_count:sum",
                "done_count:sum",
                "error_count:sum",
                "rejection_count:sum",
                "payload_bytes:sum",
                "latency_p95_ms:max",
            ],
        )
        count, done, errors, rejections, size, p95 = groups[0]
        return {
            "message_count": count or 0,
            "done_count": done or 0,
            "error_count": errors or 0,
            "rejection_count": rejections or 0,
            "payload_bytes": size or 0,
            "latency_p95_ms": p95 or 0,
        }
