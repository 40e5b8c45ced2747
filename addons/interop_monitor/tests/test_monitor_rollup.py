# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta
from unittest.mock import patch

from psycopg2 import OperationalError

from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from .common import T0, MonitorCase

#: received-to-done seconds of ten messages of one minute; sorted 1 1 2 3 3 4 5 5 6 9:
#: nearest rank p50 = the 5th (3 s), p95 = the 10th (9 s), max 9 s
LATENCIES = (3, 1, 4, 1, 5, 9, 2, 6, 5, 3)


@tagged("post_install", "-at_install")
class TestRollup(MonitorCase):
    def _minute_of_traffic(self):
        for i, latency in enumerate(LATENCIES):
            self._message(i * 5, latency, size=100 + i)
        self._message(51, 2, state="failed", size=10)
        self._message(52, 0, state="rejected", size=10)
        self._message(53, 1, state="failed", size=10)

    def test_percentiles_match_a_hand_computed_minute(self):
        self._minute_of_traffic()
        with freeze_time(T0 + timedelta(minutes=5)):
            taken, remaining = self.Rollup._rollup_batch()
        self.assertGreaterEqual(taken, 13)
        self.assertEqual(remaining, 0)
        self.assertRecordValues(
            self._rollups(),
            [
                {
                    "bucket": T0,
                    "event_type_id": self.event_type.id,
                    "direction": "inbound",
                    "company_id": self.endpoint.company_id.id,
                    "message_count": 13,
                    "done_count": 10,
                    "error_count": 2,
                    "rejection_count": 1,
                    "latency_p50_ms": 3000,
                    "latency_p95_ms": 9000,
                    "latency_max_ms": 9000,
                    "payload_bytes": sum(100 + i for i in range(10)) + 30,
                }
            ],
        )

    def test_minutes_and_series_are_counted_apart(self):
        self._message(10, 1)
        self._message(70, 2)  # the next minute
        self._message(75, 4, direction="outbound")
        with freeze_time(T0 + timedelta(minutes=5)):
            self.Rollup._rollup_batch()
        self.assertRecordValues(
            self._rollups().sorted(lambda r: (r.bucket, r.direction)),
            [
                {
                    "bucket": T0,
                    "direction": "inbound",
                    "message_count": 1,
                    "latency_max_ms": 1000,
                },
                {
                    "bucket": T0 + timedelta(minutes=1),
                    "direction": "inbound",
                    "message_count": 1,
                    "latency_max_ms": 2000,
                },
                {
                    "bucket": T0 + timedelta(minutes=1),
                    "direction": "outbound",
                    "message_count": 1,
                    "latency_max_ms": 4000,
                },
            ],
        )

    def test_late_message_recounts_its_old_minute(self):
        self._minute_of_traffic()
        slow = self._message(30, None, state="processing")
        with freeze_time(T0 + timedelta(minutes=5)):
            self.Rollup._rollup_batch()
        rollup = self._rollups()
        # received in the minute, not done yet: counted, no latency
        self.assertRecordValues(
            rollup, [{"message_count": 14, "done_count": 10, "latency_max_ms": 9000}]
        )
        # done twenty minutes later, long after its minute was counted
        slow.sudo().write(
            {"state": "done", "date_finished": T0 + timedelta(minutes=20, seconds=30)}
        )
        with freeze_time(T0 + timedelta(minutes=25)):
            self.Rollup._rollup_batch()
        self.assertEqual(self._rollups(), rollup, "the same row, recounted")
        # eleven done: sorted 1 1 2 3 3 4 5 5 6 9 1200 -> p50 the 6th, p95 the 11th
        self.assertRecordValues(
            rollup,
            [
                {
                    "message_count": 14,
                    "done_count": 11,
                    "latency_p50_ms": 4000,
                    "latency_p95_ms": 1200000,
                    "latency_max_ms": 1200000,
                }
            ],
        )

    def test_messages_finished_within_the_lag_wait_for_the_next_batch(self):
        # a transaction finishing messages may still be open: the rollup stays a
        # minute behind the clock
        first = self._message(0, 1)
        late = self._message(T0 + timedelta(minutes=4, seconds=30), 0)
        with freeze_time(T0 + timedelta(minutes=5)):
            self.Rollup._rollup_batch()
        self.assertEqual(self.cursor.message_id, first.id)
        self.assertEqual(sum(self._rollups().mapped("message_count")), 1)
        with freeze_time(T0 + timedelta(minutes=6)):
            self.Rollup._rollup_batch()
        self.assertEqual(self.cursor.message_id, late.id)
        self.assertEqual(sum(self._rollups().mapped("message_count")), 2)

    def test_batches_move_the_watermark_message_by_message(self):
        messages = self._message(1, 1) | self._message(2, 1) | self._message(3, 1)
        with freeze_time(T0 + timedelta(minutes=5)):
            # whatever else waits (the demo data of later modules) comes first
            for _batch in range(1000):
                if self.Rollup._rollup_batch(batch_size=2) == (0, 0):
                    break
            self.assertEqual(sum(self._rollups().mapped("message_count")), 3)
            self.assertEqual(self.Rollup._rollup_batch(batch_size=2), (0, 0))
        self.assertEqual(self.cursor.message_id, messages[-1].id)
        self.assertEqual(self.cursor.received_message_id, messages[-1].id)

    def test_unfinished_messages_count_in_their_minute_before_any_finishes(self):
        """A minute's row counts every message received in it, whatever its state:
        three minutes, the last with messages still waiting and none finished."""
        self._message(5, 1)
        self._message(65, 1)
        self._message(70, None, state="failed")  # failed, never finished
        waiting = self._message(125, None, state="queued") | self._message(
            130, None, state="processing"
        )
        with freeze_time(T0 + timedelta(minutes=5)):
            self.Rollup._rollup_batch()
        self.assertRecordValues(
            self._rollups(),
            [
                {
                    "bucket": T0,
                    "message_count": 1,
                    "done_count": 1,
                    "error_count": 0,
                    "latency_max_ms": 1000,
                },
                {
                    "bucket": T0 + timedelta(minutes=1),
                    "message_count": 2,
                    "done_count": 1,
                    "error_count": 1,
                    "latency_max_ms": 1000,
                },
                {
                    "bucket": T0 + timedelta(minutes=2),
                    "message_count": 2,
                    "done_count": 0,
                    "error_count": 0,
                    "latency_max_ms": 0,
                },
            ],
        )
        # they finish eight minutes later: their own minute is recounted, no row
        # appears at the minute they finished
        waiting[0].sudo().write(
            {"state": "done", "date_finished": T0 + timedelta(minutes=10)}
        )
        waiting[1].sudo().write(
            {"state": "failed", "date_finished": T0 + timedelta(minutes=10)}
        )
        with freeze_time(T0 + timedelta(minutes=15)):
            self.Rollup._rollup_batch()
        self.assertEqual(len(self._rollups()), 3)
        self.assertRecordValues(
            self._rollups()[2],
            [
                {
                    "bucket": T0 + timedelta(minutes=2),
                    "message_count": 2,
                    "done_count": 1,
                    "error_count": 1,
                    "latency_max_ms": 475000,
                }
            ],
        )

    @mute_logger("odoo.sql_db")
    def test_crash_mid_rollup_leaves_no_trace_and_the_rerun_counts_once(self):
        """The process dies after the rows were written, before the watermark
        moved: the transaction is lost as a whole, the next run counts the same
        messages once."""
        self._minute_of_traffic()
        Cursor = type(self.env["interop.monitor.cursor"])
        before = (self.cursor.date_finished, self.cursor.message_id)
        with freeze_time(T0 + timedelta(minutes=5)):
            with (
                self.assertRaises(OperationalError),
                self.env.cr.savepoint(),
                patch.object(
                    Cursor,
                    "_move",
                    side_effect=OperationalError("server closed the connection"),
                    autospec=True,
                ),
            ):
                self.Rollup._rollup_batch()
            self.env.invalidate_all()
            self.assertFalse(self._rollups(), "the rows went with the transaction")
            self.assertEqual(
                (self.cursor.date_finished, self.cursor.message_id), before
            )
            self.Rollup._rollup_batch()
            counted = self._rollups().read(["message_count", "latency_p95_ms"])
            # the watermark moved back (a restore, a second worker): counted again,
            # the minute is the same
            self.cursor._move(*before)
            self.Rollup._rollup_batch()
        self.assertEqual(
            self._rollups().read(["message_count", "latency_p95_ms"]), counted
        )
        self.assertEqual(counted[0]["message_count"], 13)


@tagged("post_install", "-at_install")
class TestRollupRetention(MonitorCase):
    def _prune_all(self):
        for _batch in range(1000):
            if not self.Rollup._prune_batch()[1]:
                break

    def test_old_minutes_are_summed_into_hours_then_deleted(self):
        old = T0 - timedelta(days=40)
        self._message(old, 2)
        self._message(old + timedelta(seconds=30), 4, state="failed")
        self._message(old + timedelta(minutes=1), 3)
        self._message(old + timedelta(minutes=61), 1)
        recent = self._message(T0 - timedelta(days=1), 1)
        with freeze_time(old + timedelta(hours=2)):
            self.Rollup._rollup_batch()
        with freeze_time(T0):
            self.Rollup._rollup_batch()
            self.assertEqual(len(self._rollups()), 4)
            self._prune_all()
        self.assertRecordValues(
            self._rollups(),
            [
                {
                    "granularity": "hour",
                    "bucket": old,
                    "message_count": 3,
                    "done_count": 2,
                    "error_count": 1,
                    "latency_p95_ms": 3000,
                    "latency_max_ms": 3000,
                },
                {
                    "granularity": "hour",
                    "bucket": old + timedelta(hours=1),
                    "message_count": 1,
                    "done_count": 1,
                    "error_count": 0,
                    "latency_p95_ms": 1000,
                    "latency_max_ms": 1000,
                },
                {
                    "granularity": "minute",
                    "bucket": recent.date_received.replace(second=0),
                    "message_count": 1,
                    "done_count": 1,
                    "error_count": 0,
                    "latency_p95_ms": 1000,
                    "latency_max_ms": 1000,
                },
            ],
        )
        # a message of the summed hour finishing late does not write its minute
        # again (it would be counted twice)
        late = self._message(old + timedelta(seconds=40), None, state="processing")
        late.sudo().write({"state": "done", "date_finished": T0})
        with freeze_time(T0 + timedelta(minutes=5)):
            self.Rollup._rollup_batch()
        self.assertEqual(len(self._rollups()), 3)
        # past the retention of hours, the hours go too
        with freeze_time(T0 + timedelta(days=400)):
            self._prune_all()
        self.assertFalse(self._rollups().filtered(lambda r: r.granularity == "hour"))

    def test_sparkline_reads_the_last_day_per_hour(self):
        now = T0 + timedelta(hours=30, minutes=20)
        self._message(now - timedelta(minutes=10), 1)
        self._message(now - timedelta(minutes=5), 1, state="failed")
        self._message(now - timedelta(hours=3, minutes=1), 1)
        self._message(now - timedelta(hours=30), 1)  # older than a day
        with freeze_time(now):
            self.Rollup._rollup_batch()
            self.endpoint.invalidate_recordset()
            sparkline = self.endpoint.monitor_sparkline
        self.assertEqual(len(sparkline["counts"]), 24)
        self.assertEqual(sparkline["counts"][-1], 2)
        self.assertEqual(sparkline["errors"][-1], 1)
        self.assertEqual(sparkline["counts"][-4], 1)
        self.assertEqual(sum(sparkline["counts"]), 3)


@tagged("post_install", "-at_install")
class TestTrafficUptime(MonitorCase):
    """The uptime of an endpoint without health checks: the share of its minutes
    with traffic in which a message went through, read per hour."""

    def _minutes_counted_from_the_minute_rows(self, start):
        # the reference: every minute row of the window, one by one
        self.env.cr.execute(
            """
            SELECT 100.0 * count(*) FILTER (WHERE up) / count(*)
              FROM (SELECT bucket, bool_or(done_count > 0 OR error_count = 0) AS up
                      FROM interop_monitor_rollup
                     WHERE endpoint_id = %s AND bucket >= %s
                       AND granularity = 'minute'
                     GROUP BY bucket) AS minutes
            """,
            (self.endpoint.id, start),
        )
        return self.env.cr.fetchone()[0]

    def _uptimes(self, now):
        uptimes = []
        with freeze_time(now):
            for hours in (24, 7 * 24):
                uptime = self.endpoint._monitor_uptime(hours * 60)[self.endpoint.id]
                self.assertAlmostEqual(
                    uptime,
                    self._minutes_counted_from_the_minute_rows(
                        now - timedelta(hours=hours)
                    ),
                    9,
                )
                uptimes.append(uptime)
            # the tile and the list show the same, rounded
            self.endpoint.invalidate_recordset()
            self.assertAlmostEqual(self.endpoint.monitor_uptime_24h, uptimes[0], 1)
            self.assertAlmostEqual(self.endpoint.monitor_uptime_7d, uptimes[1], 1)
        return uptimes

    def test_uptime_per_hour_follows_late_messages_and_the_window_edge(self):
        now = T0 + timedelta(days=2, minutes=30)
        # the first, partial hour of the 24 h window (it starts at half past)
        self._message(now - timedelta(hours=23, minutes=45), 1, state="failed")
        # the same hour, before the window: in the 7 days only
        self._message(now - timedelta(hours=24, minutes=10), 1)
        # a minute with a failure and a success: up
        self._message(now - timedelta(hours=2), 1)
        self._message(now - timedelta(hours=2, seconds=-20), 1, state="failed")
        # a minute with a failure only: down, until its slow message is done
        self._message(now - timedelta(hours=1), 1, state="failed")
        slow = self._message(
            now - timedelta(hours=1, seconds=-30), None, state="processing"
        )
        self._message(now - timedelta(days=3), 1)
        with freeze_time(now):
            self.Rollup._rollup_batch()
        uptime_24h, uptime_7d = self._uptimes(now)
        self.assertAlmostEqual(uptime_24h, 100 / 3)
        self.assertAlmostEqual(uptime_7d, 60)
        # done 5 minutes later: its minute, an hour old, is up
        slow.sudo().write(
            {"state": "done", "date_finished": now + timedelta(minutes=5)}
        )
        later = now + timedelta(minutes=10)
        with freeze_time(later):
            self.Rollup._rollup_batch()
        uptime_24h, uptime_7d = self._uptimes(later)
        self.assertAlmostEqual(uptime_24h, 200 / 3)
        self.assertAlmostEqual(uptime_7d, 80)
        # the hour counts go with the minutes they counted, summed into hours
        with freeze_time(now + timedelta(days=40)):
            for _batch in range(100):
                if not self.Rollup._prune_batch()[1]:
                    break
        self.env.cr.execute(
            "SELECT count(*) FROM interop_monitor_uptime_hour WHERE endpoint_id = %s",
            (self.endpoint.id,),
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
