# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.interop.models.interop_message import QUEUED
from odoo.addons.queue_job.job import identity_exact


class InteropMessage(models.Model):
    _name = "interop.message"
    _inherit = ["interop.message", "interop.outbound.delivery"]

    http_method = fields.Selection(
        [("GET", "GET"), ("POST", "POST")], string="HTTP Method", readonly=True
    )
    outbound_path = fields.Char(
        string="Path", readonly=True, help="Path under the endpoint's base URL."
    )
    http_status = fields.Integer(
        string="HTTP Status", readonly=True, help="Status of the last answer."
    )
    date_queued = fields.Datetime(
        readonly=True, help="When the message was last queued for delivery."
    )
    date_held = fields.Datetime(
        string="Held Since",
        readonly=True,
        index="btree_not_null",
        help="The endpoint's circuit is open (or it is suspended): the message waits "
        "and is delivered in order when the endpoint answers again.",
    )
    sync_run_id = fields.Many2one(
        "interop.sync.run", readonly=True, index="btree_not_null", ondelete="set null"
    )

    def write(self, vals):
        if vals.get("is_payload_pruned"):
            # what a remote answered is pruned with the content of the message
            self.attempt_ids.filtered("response_size").sudo().write(
                {"response_enc": False}
            )
        return super().write(vals)

    # Queueing

    def _enqueue(self):
        """Outbound messages get one delivery job each, on the endpoint's channel."""
        outbound = self.filtered(lambda m: m.direction == "outbound")
        super(InteropMessage, self - outbound)._enqueue()
        now = fields.Datetime.now()
        for message in outbound:
            endpoint = message.endpoint_id
            message._set_state(QUEUED, date_queued=now, date_held=False)
            job = message.with_delay(
                channel=endpoint.outbound_channel,
                identity_key=identity_exact,
                # the delivery gives up by itself after the endpoint's attempts; this
                # is only the safety net of an unexpected error
                max_retries=endpoint.outbound_max_attempts + 1,
                description=self.env._(
                    "Send %(message)s to %(endpoint)s (correlation %(correlation)s)",
                    message=message.display_name,
                    endpoint=endpoint.name,
                    correlation=message.correlation_id,
                ),
            )._job_send()
            if job is not None and getattr(job, "uuid", None):
                message.sudo().job_uuid = job.uuid
        return True

    def _replay(self, now=False):
        pages = self.filtered(lambda m: m.direction == "outbound" and m.http_method)
        pages = pages.filtered(lambda m: m.http_method == "GET")
        if pages:
            raise UserError(
                self.env._(
                    "Pages read by a sync are read again by its next run (Run Now), "
                    "not replayed."
                )
            )
        return super()._replay(now=now)
