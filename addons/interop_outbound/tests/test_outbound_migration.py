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
