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
                self.Rollup._rollup_batch(batch_size=2)
                if self.cursor.message_id == messages[-1].id:
                    break
            self.assertEqual(sum(self._rollups().mapped("message_count")), 3)
            self.assertEqual(self.Rollup._rollup_batch(batch_size=2), (0, 0))
        self.assertEqual(self.cursor.message_id, messages[-1].id)

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
