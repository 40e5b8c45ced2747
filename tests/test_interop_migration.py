# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import importlib.util
from datetime import datetime
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


MIGRATION_130 = (
    Path(__file__).parent.parent / "migrations" / "18.0.1.3.0" / "post-migration.py"
)


@tagged("post_install", "-at_install")
class TestUpgradeTo130(TransactionCase):
    def _migrate(self):
        spec = importlib.util.spec_from_file_location(
            "interop_migrate_130", MIGRATION_130
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.migrate(self.env.cr, "18.0.1.2.0")
        self.env.invalidate_all()

    def test_retention_cursors_move_from_the_endpoints_to_their_own_table(self):
        endpoint = self.env.ref("interop.endpoint_crm")
        cron = self.env.ref("interop.ir_cron_interop_message_retention")
        cr = self.env.cr
        # as a database of 18.0.1.2.0 has them
        cr.execute("DELETE FROM interop_retention_cursor")
        cr.execute(
            "ALTER TABLE interop_endpoint ADD COLUMN date_retention_cursor timestamp,"
            " ADD COLUMN retention_cursor_message integer"
        )
        cr.execute(
            "UPDATE interop_endpoint SET date_retention_cursor = '2026-01-02 03:04:05',"
            " retention_cursor_message = 42 WHERE id = %s",
            [endpoint.id],
        )
        cron.model_id = self.env.ref("interop.model_interop_message")
        # the dispatch's scheduled action, job functions and pending drain
        message_model = self.env.ref("interop.model_interop_message")
        moved = (
            self.env.ref("interop.ir_cron_interop_message_dispatch"),
            self.env.ref("interop.job_function_interop_message_drain"),
            self.env.ref("interop.job_function_interop_message_record_drain_failure"),
        )
        for record in moved:
            record.model_id = message_model
        event_type = self.env.ref("interop.event_type_responsible_party_updated")
        job = (
            self.env["interop.message.dispatch"]
            .with_context(queue_job__no_delay=False)
            ._delay_drain(event_type)
        )
        job_id = job.db_record().id
        self.env.flush_all()
        cr.execute(
            "UPDATE queue_job SET model_name = 'interop.message',"
            " records = to_jsonb(jsonb_set((records #>> '{}')::jsonb,"
            " '{model}', '\"interop.message\"')::text)"
            " WHERE id = %s",
            [job_id],
        )
        self._migrate()
        for record in moved:
            self.assertEqual(record.model_id.model, "interop.message.dispatch")
        drain = self.env["queue.job"].browse(job_id)
        self.assertEqual(drain.model_name, "interop.message.dispatch")
        self.assertEqual(drain.records._name, "interop.message.dispatch")
        self.assertEqual(
            self.env["interop.retention"]._retention_cursors(),
            {endpoint.id: (datetime(2026, 1, 2, 3, 4, 5), 42)},
        )
        cr.execute(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'interop_endpoint'"
            " AND column_name IN ('date_retention_cursor', 'retention_cursor_message')"
        )
        self.assertEqual(cr.fetchone()[0], 0)
        self.assertEqual(cron.model_id.model, "interop.retention")


MIGRATION_140 = (
    Path(__file__).parent.parent / "migrations" / "18.0.1.4.0" / "post-migration.py"
)


@tagged("post_install", "-at_install")
class TestUpgradeTo140(TransactionCase):
    def test_a_model_may_have_a_system_of_record_per_field_after_upgrade(self):
        cr = self.env.cr
        SystemOfRecord = self.env["interop.system.of.record"]
        SystemOfRecord.search([]).unlink()
        self.env.flush_all()
        # as a database of 18.0.1.3.0 has it: one rule per model and company
        cr.execute(
            "ALTER TABLE interop_system_of_record ADD CONSTRAINT"
            " interop_system_of_record_model_company_uniq"
            " UNIQUE (model_id, company_id)"
        )
        spec = importlib.util.spec_from_file_location(
            "interop_migrate_140", MIGRATION_140
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.migrate(cr, "18.0.1.3.0")
        model = self.env.ref("base.model_res_partner")
        fields_ = self.env["ir.model.fields"]._get
        SystemOfRecord.create({"entity": "responsible_party", "model_id": model.id})
        SystemOfRecord.create(
            {
                "entity": "responsible_party",
                "model_id": model.id,
                "source": "endpoint",
                "endpoint_id": self.env.ref("interop.endpoint_crm").id,
                "field_ids": [(6, 0, fields_("res.partner", "email").ids)],
            }
        )
        self.env.flush_all()
        cr.execute(
            "SELECT count(*) FROM pg_constraint WHERE conname ="
            " 'interop_system_of_record_model_company_uniq'"
        )
        self.assertEqual(cr.fetchone()[0], 0)
        self.assertEqual(SystemOfRecord.search_count([("model_id", "=", model.id)]), 2)
