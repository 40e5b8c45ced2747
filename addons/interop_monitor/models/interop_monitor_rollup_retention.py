# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

#: days the minute rows are kept; older ones are summed into hour rows
DEFAULT_MINUTE_DAYS = 35
#: days the hour rows are kept
DEFAULT_HOUR_DAYS = 400
#: per endpoint and hour: minutes with traffic, and minutes a message went through
UPTIME_HOUR_TABLE = "interop_monitor_uptime_hour"


class InteropMonitorRollupRetention(models.AbstractModel):
    """How long the traffic is kept: minute rows summed into hour rows after
    ``interop_monitor.rollup_minute_days``, hour rows deleted after
    ``interop_monitor.rollup_hour_days``, the breaker history with the minute rows,
    a bounded batch per run of the scheduled action. Inherited by
    ``interop.monitor.rollup``."""

    _name = "interop.monitor.rollup.retention"
    _description = "Traffic Retention"

    @api.model
    def _retention_days(self):
        params = self.env["ir.config_parameter"].sudo()
        minute_days = int(
            params.get_param("interop_monitor.rollup_minute_days", DEFAULT_MINUTE_DAYS)
        )
        hour_days = int(
            params.get_param("interop_monitor.rollup_hour_days", DEFAULT_HOUR_DAYS)
        )
        return max(minute_days, 8), max(hour_days, minute_days, 8)

    @api.model
    def _minute_horizon(self):
        """Minute rows start at this hour; older minutes are hour rows."""
        minute_days = self._retention_days()[0]
        return (fields.Datetime.now() - timedelta(days=minute_days)).replace(
            minute=0, second=0, microsecond=0
        )

    @api.model
    def _cron_prune(self):
        done, remaining = self._prune_batch()
        done += self._prune_breaker_history()
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _prune_breaker_history(self):
        """Delete the breaker transitions older than the minute rows (at least 8
        days: the 7-day time in state still finds the state it started in, from
        the first transition it keeps). Returns the rows deleted."""
        self.env["interop.breaker.transition"].flush_model()
        self.env.cr.execute(
            SQL(
                "DELETE FROM interop_breaker_transition WHERE date < %s",
                fields.Datetime.now() - timedelta(days=self._retention_days()[0]),
            )
        )
        removed = self.env.cr.rowcount
        self.env["interop.breaker.transition"].invalidate_model()
        return removed

    @api.model
    def _prune_batch(self):
        """Sum the minute rows of the oldest day before the horizon into hour rows
        and delete them; delete the hour rows past their retention. Returns
        ``(rows removed, 1 when an older day remains)``; one transaction."""
        hour_days = self._retention_days()[1]
        horizon = self._minute_horizon()
        cr = self.env.cr
        self.flush_model()
        cr.execute(
            "SELECT min(bucket) FROM interop_monitor_rollup"
            " WHERE granularity = 'minute'"
        )
        oldest = cr.fetchone()[0]
        removed = 0
        remaining = 0
        if oldest and oldest < horizon:
            upper = min(
                horizon,
                oldest.replace(minute=0, second=0, microsecond=0) + timedelta(days=1),
            )
            remaining = 1 if upper < horizon else 0
            cr.execute(
                SQL(
                    """
                    WITH old AS (
                        DELETE FROM interop_monitor_rollup
                         WHERE granularity = 'minute' AND bucket < %(upper)s
                        RETURNING *
                    )
                    INSERT INTO interop_monitor_rollup (
                        granularity, bucket, endpoint_id, event_type_id, direction,
                        company_id, message_count, done_count, error_count,
                        rejection_count, latency_p50_ms, latency_p95_ms,
                        latency_max_ms, payload_bytes,
                        create_uid, write_uid, create_date, write_date
                    )
                    SELECT 'hour', date_trunc('hour', bucket), endpoint_id,
                           event_type_id, direction, min(company_id),
                           sum(message_count), sum(done_count), sum(error_count),
                           sum(rejection_count), max(latency_p50_ms),
                           max(latency_p95_ms), max(latency_max_ms),
                           sum(payload_bytes), %(uid)s, %(uid)s,
                           now() at time zone 'UTC', now() at time zone 'UTC'
                      FROM old
                     GROUP BY date_trunc('hour', bucket), endpoint_id,
                              event_type_id, direction
                    ON CONFLICT (endpoint_id, direction, granularity, bucket,
                                 COALESCE(event_type_id, 0))
                    DO UPDATE SET
                        message_count = interop_monitor_rollup.message_count
                            + EXCLUDED.message_count,
                        done_count = interop_monitor_rollup.done_count
                            + EXCLUDED.done_count,
                        error_count = interop_monitor_rollup.error_count
                            + EXCLUDED.error_count,
                        rejection_count = interop_monitor_rollup.rejection_count
                            + EXCLUDED.rejection_count,
                        latency_p50_ms = GREATEST(
                            interop_monitor_rollup.latency_p50_ms,
                            EXCLUDED.latency_p50_ms),
                        latency_p95_ms = GREATEST(
                            interop_monitor_rollup.latency_p95_ms,
                            EXCLUDED.latency_p95_ms),
                        latency_max_ms = GREATEST(
                            interop_monitor_rollup.latency_max_ms,
                            EXCLUDED.latency_max_ms),
                        payload_bytes = interop_monitor_rollup.payload_bytes
                            + EXCLUDED.payload_bytes,
                        write_date = EXCLUDED.write_date
                    """,
                    upper=upper,
                    uid=self.env.uid,
                )
            )
            removed += cr.rowcount
            # the uptime counts go with the minutes they counted
            cr.execute(
                SQL(
                    "DELETE FROM %s WHERE hour < %s",
                    SQL.identifier(UPTIME_HOUR_TABLE),
                    upper,
                )
            )
        cr.execute(
            SQL(
                "DELETE FROM interop_monitor_rollup"
                " WHERE granularity = 'hour' AND bucket < %s",
                fields.Datetime.now() - timedelta(days=hour_days),
            )
        )
        removed += cr.rowcount
        self.invalidate_model()
        return removed, remaining
