# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


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
        [("processing", "Processing"), ("done", "Done"), ("failed", "Failed")],
        default="processing",
        readonly=True,
    )
    error = fields.Text(readonly=True)
    category_code = fields.Char(string="Failure Category", readonly=True)
    note = fields.Text(
        readonly=True,
        help="What the handler was not given (PHI the event type keeps in the log).",
    )
    user_id = fields.Many2one(
        "res.users", string="Run As", default=lambda self: self.env.user, readonly=True
    )
