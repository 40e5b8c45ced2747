# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import OutboundCase


@tagged("post_install", "-at_install")
class TestReconciliationPush(OutboundCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.payers = cls.env["res.partner"].create(
            [
                {"name": f"Payer {n}", "ref": f"PAY-{n}", "is_company": True}
                for n in range(1, 4)
            ]
        )
        partner_fields = cls.env["ir.model.fields"].search(
            [("model", "=", "res.partner"), ("name", "in", ("name", "ref"))]
        )
        cls.extract = cls.env["interop.sync"].create(
            {
                "name": "Test extract",
                "endpoint_id": cls.endpoint.id,
                "direction": "push",
                "resource_path": "/reconciliation",
                "model_id": cls.env.ref("base.model_res_partner").id,
                "domain": repr([("id", "in", cls.payers.ids)]),
                "field_ids": [Command.set(partner_fields.ids)],
                "chunk_size": 2,
            }
        )
        # what the test created is a minute old when the extract runs
        cls.later = fields.Datetime.now() + timedelta(minutes=2)

    def test_changes_are_pushed_in_chunks_as_outbound_messages(self):
        with freeze_time(self.later):
            run = self.extract._run()
        self.assertRecordValues(
            run,
            [{"state": "done", "read_count": 3, "created_count": 3, "total_count": 3}],
        )
        messages = run.message_ids.sorted("id")
        self.assertEqual(len(messages), 2)
        self.assertEqual(set(messages.mapped("state")), {"queued"})
        first = messages[0]._get_payload()
        self.assertEqual(
            [(r["id"], r["ref"]) for r in first["records"]],
            [(p.id, p.ref) for p in self.payers[:2]],
        )
        messages[0]._job_send()
        received = self.remote.requests_to("/api/reconciliation")
        self.assertEqual(received[0].json()["records"][0]["name"], "Payer 1")
        self.assertTrue(self.extract.watermark.endswith(f"|{self.payers[-1].id}"))

    def test_only_records_changed_since_the_watermark_are_pushed_again(self):
        with freeze_time(self.later):
            self.extract._run()
            again = self.extract._run()
        self.assertEqual(again.read_count, 0)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = write_date + interval '1 second' "
            "WHERE id = %s",
            [self.payers[0].id],
        )
        self.payers.invalidate_recordset()
        with freeze_time(self.later):
            changed = self.extract._run()
        self.assertRecordValues(changed, [{"read_count": 1, "created_count": 1}])
        self.assertEqual(
            changed.message_ids._get_payload()["records"][0]["id"], self.payers[0].id
        )

    def test_recent_changes_wait_for_the_next_run(self):
        run = self.extract._run()
        self.assertEqual(run.read_count, 0)


@tagged("post_install", "-at_install")
class TestSyncChangeControl(OutboundCase):
    def test_a_scheduled_sync_changes_through_a_change_request(self):
        sync = self.env["interop.sync"].create(
            {
                "name": "Payers",
                "endpoint_id": self.endpoint.id,
                "direction": "push",
                "resource_path": "/payers",
                "model_id": self.env.ref("base.model_res_partner").id,
                "chunk_size": 50,
            }
        )
        sync.chunk_size = 60  # not scheduled yet: edited directly
        sync._interop_apply_write({"is_scheduled": True})
        self.assertTrue(sync.interop_is_change_controlled)
        with self.assertRaisesRegex(UserError, "approved change request"):
            sync.chunk_size = 500
        sync.with_context(interop_request_change=True).write({"chunk_size": 500})
        self.assertEqual(sync.chunk_size, 60)
        sync.invalidate_recordset()
        self.assertEqual(sync.interop_pending_change_count, 1)
