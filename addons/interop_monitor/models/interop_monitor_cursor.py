# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class InteropMonitorCursor(models.Model):
    """Where the rollup of the message log stands: the last message it counted by
    (date finished, id), and the last by (date received, id). Moved in the
    transaction that writes the rollups."""

    _name = "interop.monitor.cursor"
    _description = "Monitoring Rollup Watermark"

    name = fields.Char(required=True, readonly=True)
    date_finished = fields.Datetime(readonly=True)
    message_id = fields.Integer(string="Last Message", readonly=True)
    date_received = fields.Datetime(string="Last Received", readonly=True)
    received_message_id = fields.Integer(string="Last Message Received", readonly=True)
    date_run = fields.Datetime(string="Last Run", readonly=True)

    _sql_constraints = [
        ("name_uniq", "unique(name)", "A monitoring watermark with this name exists.")
    ]

    def _move(self, date_finished, message_id):
        """The rollup counted every message up to (``date_finished``,
        ``message_id``); written in the transaction of its rows."""
        self.ensure_one()
        self.sudo().write(
            {
                "date_finished": date_finished,
                "message_id": message_id,
                "date_run": fields.Datetime.now(),
            }
        )

    def _move_received(self, date_received, message_id):
        """The rollup counted every message received up to (``date_received``,
        ``message_id``); written in the transaction of its rows."""
        self.ensure_one()
        self.sudo().write(
            {
                "date_received": date_received,
                "received_message_id": message_id,
                "date_run": fields.Datetime.now(),
            }
        )
