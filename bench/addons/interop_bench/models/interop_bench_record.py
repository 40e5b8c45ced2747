# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo import api, fields, models

from odoo.addons.interop.errors import BusinessRuleError


class InteropBenchRecord(models.Model):
    """What a benchmark request or message becomes: one record per sample.

    Deliberately without a unique constraint on ``ref``: the drills count the records
    of each message to prove that none is created twice.
    """

    _name = "interop.bench.record"
    _description = "Interop Benchmark Record"

    ref = fields.Char(index=True)
    origin = fields.Selection(
        [("plain", "Plain route"), ("delay", "Delayed job"), ("message", "Message")]
    )
    message_id = fields.Integer(index="btree_not_null")
    body = fields.Text()
    #: set by the job of the create + with_delay() route (``_bench_process``)
    date_processed = fields.Datetime()

    def _bench_process(self):
        """Job of ``POST /interop_bench/delay``: what a developer writes without the
        gateway to process a request later, the body parsed again and the record
        marked processed."""
        for record in self:
            payload = json.loads(record.body)
            record.write(
                {"ref": payload["id"], "date_processed": fields.Datetime.now()}
            )
        return True

    @api.model
    def _interop_handle_bench(self, message, payload):
        """Handler of the benchmark event type: one record per message.

        A sample whose ``fail`` flag is set fails, to exercise error isolation.
        """
        if payload.get("fail"):
            raise BusinessRuleError(
                self.env._("Sample %s asked to fail.", payload.get("id"))
            )
        return self.create(
            {
                "ref": payload["id"],
                "origin": "message",
                "message_id": message.id,
                "body": payload.get("notes"),
            }
        )
