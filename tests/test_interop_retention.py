# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from unittest.mock import patch

from odoo.tests import freeze_time, tagged

from .common import InteropMessageCase


@tagged("post_install", "-at_install")
class TestRetention(InteropMessageCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # configuration of the test itself, not a governed change
        cls.endpoint._interop_apply_write({"retention_days": 10})
        cls.env["ir.config_parameter"].set_param("interop.retention_row_grace_days", 5)
        with freeze_time("2026-01-01 08:00:00"):
            cls.done = cls._receive_cls(ref="OLD-DONE")
            cls.env["interop.system.of.record"].create(
                {
                    "entity": "responsible_party",
                    "model_id": cls.env.ref("base.model_res_partner").id,
                    "source": "odoo",
                }
            )
            cls.failed = cls._receive_cls(ref="OLD-FAILED")
        with freeze_time("2026-01-09 08:00:00"):
            cls.recent = cls._receive_cls(ref="RECENT")

    @classmethod
    def _receive_cls(cls, ref):
        return cls.env["interop.message"]._receive(
            cls.endpoint, cls.event_type, cls._payload(ref=ref) | {"event_id": ref}
        )

    def _message_ids(self):
        return set(
            self.env["interop.message"]
            .with_context(active_test=False)
            .search([("endpoint_id", "=", self.endpoint.id)])
            .ids
        )

    def test_expired_content_is_pruned_and_the_row_archived(self):
        with freeze_time("2026-01-15 08:00:00"):
            pruned, deleted = self.env["interop.retention"]._cron_apply_retention()
        self.assertEqual((pruned, deleted), (1, 0))
        self.assertRecordValues(
            self.done, [{"is_payload_pruned": True, "active": False}]
        )
        self.assertIsNone(self.done._get_payload())
        self.assertIn("pruned", self.done.with_user(self.phi_user).payload_display)
        self.assertFalse(self.recent.is_payload_pruned)

    def test_messages_with_unresolved_exceptions_are_kept(self):
        self.assertEqual(self.failed.state, "failed")
        with freeze_time("2026-03-01 08:00:00"):
            self.env["interop.retention"]._cron_apply_retention()
            self.env["interop.retention"]._cron_apply_retention()
        self.assertFalse(self.failed.is_payload_pruned)
        self.assertTrue(self.failed._get_payload())
        self.assertIn(self.failed.id, self._message_ids())

    def test_rows_go_after_the_grace_period_and_resolved_ones_too(self):
        self.failed.exception_ids._dismiss("Not needed")
        with freeze_time("2026-01-15 08:00:00"):
            self.env["interop.retention"]._cron_apply_retention()
        with freeze_time("2026-01-19 08:00:00"):
            self.assertEqual(
                self.env["interop.retention"]._cron_apply_retention(), (0, 0)
            )
        with freeze_time("2026-01-21 08:00:00"):
            self.env["interop.retention"]._cron_apply_retention()
        remaining = self._message_ids()
        self.assertNotIn(self.done.id, remaining)
        self.assertNotIn(self.failed.id, remaining)
        self.assertIn(self.recent.id, remaining)

    def test_classification_default_applies_without_endpoint_days(self):
        self.endpoint._interop_apply_write({"retention_days": 0})
        self.env["ir.config_parameter"].set_param("interop.retention_days_phi", 45)
        self.assertEqual(self.endpoint._get_retention_days(), 45)
        self.endpoint._interop_apply_write({"data_classification": "internal"})
        self.assertEqual(self.endpoint._get_retention_days(), 180)

    def test_work_is_bounded_per_run(self):
        with freeze_time("2026-01-25 08:00:00"):
            pruned, _deleted = self.env["interop.retention"]._cron_apply_retention(
                batch_size=1
            )
        self.assertEqual(pruned, 1)

    def _cursor_message(self):
        """The message where the walk of the endpoint is (0: over)."""
        cursors = self.env["interop.retention"]._retention_cursors()
        return cursors[self.endpoint.id][1]

    def test_the_walk_never_writes_the_endpoint(self):
        self.failed.exception_ids._dismiss("Not needed")
        self.env.flush_all()
        query = "SELECT xmin::text FROM interop_endpoint WHERE id = %s"
        self.env.cr.execute(query, [self.endpoint.id])
        before = self.env.cr.fetchone()[0]
        with freeze_time("2026-01-15 08:00:00"):
            self.assertEqual(self._retention_batch(1), (1, 0, 1))
        self.env.cr.execute(query, [self.endpoint.id])
        self.assertEqual(self.env.cr.fetchone()[0], before)
        self.assertEqual(self._cursor_message(), self.done.id)

    def _retention_batch(self, batch_size):
        """One call of the cron, as Odoo makes it: (pruned, deleted, remaining)."""
        cron = type(self.env["ir.cron"])
        with patch.object(cron, "_notify_progress") as notify:
            pruned, deleted = self.env["interop.retention"]._cron_apply_retention(
                batch_size=batch_size
            )
        return pruned, deleted, notify.call_args.kwargs["remaining"]

    def test_a_walk_resumes_where_the_last_batch_stopped(self):
        self.failed.exception_ids._dismiss("Not needed")
        with freeze_time("2026-01-15 08:00:00"):
            self.assertEqual(self._retention_batch(1), (1, 0, 1))
            self.assertEqual(self._cursor_message(), self.done.id)
            # the next batch reads the next message, not the first one again
            self.assertEqual(self._retention_batch(1), (1, 0, 1))
            self.assertEqual(self._retention_batch(1), (0, 0, 0))
        self.assertRecordValues(
            self.done + self.failed + self.recent,
            [
                {"is_payload_pruned": True},
                {"is_payload_pruned": True},
                {"is_payload_pruned": False},
            ],
        )
        self.assertEqual(self._cursor_message(), 0)

    def test_the_next_run_prunes_what_an_open_exception_held_back(self):
        with freeze_time("2026-01-15 08:00:00"):
            self.assertEqual(self._retention_batch(100), (1, 0, 0))
        self.assertFalse(self.failed.is_payload_pruned)
        self.failed.exception_ids._dismiss("Not needed")
        with freeze_time("2026-01-16 08:00:00"):
            self.assertEqual(self._retention_batch(100), (1, 0, 0))
        self.assertTrue(self.failed.is_payload_pruned)

    def test_pruning_updates_rows_in_place(self):
        """Pruning is a HOT update: no index covers what it writes, pages keep room.

        An index on one of these columns would make every pruned row touch every
        index of the table again (measured: three times slower).
        """
        cr = self.env.cr
        cr.execute(
            r"""
            SELECT i.indexrelid::regclass::text
              FROM pg_index i
              JOIN pg_attribute a ON a.attrelid = i.indrelid
             WHERE i.indrelid = 'interop_message'::regclass
               AND a.attname IN ('payload_enc', 'is_payload_pruned', 'date_pruned',
                                 'active')
               AND (a.attnum = ANY(i.indkey)
                    OR concat(pg_get_expr(i.indpred, i.indrelid),
                              pg_get_expr(i.indexprs, i.indrelid))
                       ~ ('\m' || a.attname || '\M'))
            """
        )
        self.assertEqual(cr.fetchall(), [])
        cr.execute(
            "SELECT reloptions FROM pg_class WHERE oid = 'interop_message'::regclass"
        )
        self.assertIn("fillfactor=80", cr.fetchone()[0])


@tagged("post_install", "-at_install")
class TestCronsRunAsTheSystemUser(InteropMessageCase):
    """The scheduled actions run as Interop System, not the superuser, and work."""

    def test_retention_and_escalation_run_as_the_system_user(self):
        system = self.env.ref("interop.user_interop_system")
        cron_env = self.env(user=system)
        self.assertEqual(cron_env["interop.retention"]._cron_apply_retention(), (0, 0))
        self.assertFalse(cron_env["interop.exception"]._cron_escalate())
        for xmlid in (
            "interop.ir_cron_interop_message_retention",
            "interop.ir_cron_interop_escalate_exceptions",
        ):
            self.assertEqual(self.env.ref(xmlid).user_id, system)

    def test_every_suite_cron_runs_through_odoo_as_the_system_user(self):
        system = self.env.ref("interop.user_interop_system")
        crons = (
            self.env["ir.cron"]
            .with_context(active_test=False)
            .search([("user_id", "=", system.id)])
        )
        self.assertGreaterEqual(len(crons), 2)
        for cron in crons:
            with self.subTest(cron=cron.name):
                # as the scheduler does: the server action, as the cron's user
                cron.with_user(system).ir_actions_server_id.sudo(False).with_user(
                    system
                ).run()
