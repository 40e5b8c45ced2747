# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged

MIGRATION = (
    Path(__file__).parent.parent / "migrations" / "18.0.1.2.0" / "post-migration.py"
)


@tagged("post_install", "-at_install")
class TestUpgradeTo120(TransactionCase):
    def _migrate(self):
        spec = importlib.util.spec_from_file_location("outbound_migrate_120", MIGRATION)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.migrate(self.env.cr, "18.0.1.1.0")
        self.env.invalidate_all()

    def test_held_deliveries_keep_their_job_under_its_new_name(self):
        function = self.env.ref("interop_outbound.job_function_interop_endpoint_drain")
        endpoint = self.env["interop.endpoint"].search([], limit=1)
        job = (
            endpoint.with_context(queue_job__no_delay=False)
            ._ensure_held_delivery()
            .db_record()
        )
        self.env.flush_all()
        # as a database of 18.0.1.1.0 has them
        function.method = "_job_drain"
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE queue_job SET method_name = '_job_drain' WHERE id = %s", [job.id]
        )
        self._migrate()
        self.assertEqual(function.method, "_job_deliver_held")
        self.assertEqual(function.name, "<interop.endpoint>._job_deliver_held")
        self.assertEqual(job.method_name, "_job_deliver_held")


@tagged("post_install", "-at_install")
class TestUpgradeTo140(TransactionCase):
    """A database upgraded without interop_supply keeps syncs that pulled the product
    catalog, a handler no installed module provides any more."""

    def _migration(self):
        path = (
            Path(__file__).parent.parent
            / "migrations"
            / "18.0.1.4.0"
            / "post-migration.py"
        )
        spec = importlib.util.spec_from_file_location("outbound_migrate_140", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def _orphan_pull(self, handler):
        """A pull sync whose handler is ``handler``, as the upgrade leaves it."""
        endpoint = self.env["interop.endpoint"].search(
            [("direction", "!=", "inbound")], limit=1
        )
        sync = self.env["interop.sync"].create(
            {
                "name": "Old catalog pull",
                "endpoint_id": endpoint.id,
                "direction": "push",
                "resource_path": "/catalog",
                "model_id": self.env.ref("base.model_res_partner").id,
                "is_scheduled": True,
            }
        )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE interop_sync SET direction = 'pull', pull_handler = %s,"
            " model_id = NULL WHERE id = %s",
            [handler, sync.id],
        )
        self.env.invalidate_all()
        return sync

    def test_catalog_pulls_without_their_module_are_archived_with_a_note(self):
        sync = self._orphan_pull("product_catalog")
        self.assertTrue(sync.cron_id.active)
        parked = self._migration().park_orphan_pulls(
            self.env, "product_catalog", "interop_supply"
        )
        self.assertIn(sync, parked)
        self.assertEqual(parked.mapped("active"), [False] * len(parked))
        self.assertFalse(sync.cron_id.active)
        self.assertIn("interop_supply", sync.message_ids[0].body)

    def test_a_pull_into_a_handler_no_module_provides_fails_in_words(self):
        sync = self._orphan_pull("retired_handler")
        run = sync._run()
        self.assertEqual(run.state, "failed")
        exception = self.env["interop.exception"].search(
            [("res_model", "=", "interop.sync"), ("res_id", "=", sync.id)]
        )
        self.assertIn("no installed module pulls into retired_handler", exception.name)
