# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.interop.errors import TransportError
from odoo.addons.interop.models.interop_message import FAILED, PROCESSING, QUEUED
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

    # Delivery

    def _job_process(self):
        if self.direction == "outbound":
            return self._job_send()
        return super()._job_process()

    # Outcomes

    def _job_on_fail(self, exc_info=None, exc_name=None, exc_message=None, **kwargs):
        """queue_job gave up on a delivery (an unexpected error): fail it to the
        technical owner. Deliveries that run out of attempts fail by themselves."""
        outbound = self.filtered(lambda m: m.direction == "outbound")
        result = super(InteropMessage, self - outbound)._job_on_fail(
            exc_info=exc_info, exc_name=exc_name, exc_message=exc_message, **kwargs
        )
        for message in outbound.sudo():
            # the failed job's own transaction may still hold the row: leave it then
            if not message._lock_for_delivery() or message.state not in (
                QUEUED,
                PROCESSING,
            ):
                continue
            if message.state == QUEUED:
                message._set_state(PROCESSING)
            endpoint = message.endpoint_id
            error = TransportError(
                self.env._(
                    "Delivery to %(endpoint)s stopped on an unexpected error "
                    "(%(error)s).",
                    endpoint=endpoint.name,
                    error=exc_name or "error",
                ),
                detail=(exc_message or "")[:2000],
                owner=endpoint.technical_owner_id or None,
                suggested_action=self.env._(
                    "Ask the integration team to look at the technical detail, "
                    "then retry."
                ),
            )
            message._set_state(
                FAILED, date_finished=fields.Datetime.now(), last_error=error.summary
            )
            self.env["interop.exception"]._raise_for_message(message, error)
        return result
