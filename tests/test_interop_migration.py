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
        spec = importlib.util.spec_from_file_location("interop_migrate_120", MIGRATION)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.migrate(self.env.cr, "18.0.1.1.0")
        self.env.invalidate_all()

    def test_handlers_keep_the_phi_they_received_before(self):
        event = self.env.ref("interop.event_type_responsible_party_updated")
        drain = self.env.ref("interop.job_function_interop_message_drain")
        # as a database of 18.0.1.1.0 has them
        self.env.cr.execute(
            "UPDATE interop_event_type SET phi_copy_paths = NULL WHERE id = %s",
            (event.id,),
        )
        drain.on_fail_method = False
        self._migrate()
        self.assertTrue(event.phi_paths)
        self.assertEqual(event.phi_copy_paths, event.phi_paths)
        self.assertEqual(drain.on_fail_method, "_job_drain_on_fail")
