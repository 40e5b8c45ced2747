# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from ..message_state import DONE, FAILED, PROCESSING

#: results after which an attempt is over
OVER = (DONE, FAILED)


class InteropMessageAttempt(models.Model):
    """One processing attempt of a message: the timeline operators read."""

    _name = "interop.message.attempt"
    _description = "Message Processing Attempt"
    _order = "message_id, number desc"

    message_id = fields.Many2one(
        "interop.message", required=True, readonly=True, index=True, ondelete="cascade"
    )
    # for the company rule. Not indexed, as the message's own: rows are read by
    # message, the rule filters the few the message index found
    company_id = fields.Many2one(
        related="message_id.company_id", store=True, readonly=True
    )
    number = fields.Integer(required=True, readonly=True)
    date_started = fields.Datetime(readonly=True)
    date_finished = fields.Datetime(readonly=True)
    duration_ms = fields.Integer(string="Duration (ms)", readonly=True)
    result = fields.Selection(
        [(PROCESSING, "Processing"), (DONE, "Done"), (FAILED, "Failed")],
        default=PROCESSING,
        readonly=True,
    )
    error = fields.Text(readonly=True)
    category_code = fields.Char(string="Failure Category", readonly=True)
    note = fields.Text(
        readonly=True,
        help="What the handler was not given (PHI the event type keeps in the log).",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Requested By",
        default=lambda self: self.env.user,
        readonly=True,
        help="Who started this attempt: an operator's Retry or Replay, or the system.",
    )
    ran_as_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="The user whose rights the processing had: the endpoint's service user "
        "for an inbound message.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        messages = self.env["interop.message"].browse(
            [vals["message_id"] for vals in vals_list if vals.get("message_id")]
        )
        service_users = {
            m.id: m.endpoint_id.service_user_id.id
            for m in messages.sudo()
            if m.direction == "inbound"
        }
        # a replay the jobs process was requested by who replayed it, not by the
        # job's user
        retry_users = {m.id: m.retry_user_id.id for m in messages.sudo()}
        for vals in vals_list:
            if "ran_as_id" not in vals:
                vals["ran_as_id"] = service_users.get(
                    vals.get("message_id")
                ) or vals.get("user_id", self.env.uid)
            if "user_id" not in vals and retry_users.get(vals.get("message_id")):
                vals["user_id"] = retry_users[vals["message_id"]]
        attempts = super().create(vals_list)
        # a drain's chunk creates its attempts already over
        ended = attempts.filtered(lambda a: a.result in OVER)
        if ended:
            ended.message_id._notify_retry_finished()
        return attempts

    def write(self, vals):
        result = super().write(vals)
        if vals.get("result") in OVER:
            # the attempt is over: who replayed the message hears of it
            self.message_id._notify_retry_finished()
        return result
