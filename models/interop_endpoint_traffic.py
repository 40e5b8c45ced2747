# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import UTC, datetime, time

from odoo import api, fields, models

#: the smart buttons count messages up to this, then show "1,000+"
COUNT_CAP = 1000


class InteropEndpointTraffic(models.AbstractModel):
    """What an endpoint's smart buttons show: its messages of today, queued and
    failed (counts bounded for a large log), its open exceptions, and the lists
    they open. Inherited by ``interop.endpoint``."""

    _name = "interop.endpoint.traffic"
    _description = "Endpoint Traffic"

    message_today_count = fields.Integer(compute="_compute_message_counts")
    message_failed_count = fields.Integer(compute="_compute_message_counts")
    message_queued_count = fields.Integer(compute="_compute_message_counts")
    message_today_label = fields.Char(compute="_compute_message_counts")
    message_failed_label = fields.Char(compute="_compute_message_counts")
    message_queued_label = fields.Char(compute="_compute_message_counts")
    exception_open_count = fields.Integer(compute="_compute_message_counts")

    @api.depends_context("tz", "uid")  # "today" begins at the user's midnight
    def _compute_message_counts(self):
        """The smart buttons of the form: counts of messages, bounded.

        Counting stops past :data:`COUNT_CAP` ("1,000+"): with millions of messages
        in the log, an exact count of an endpoint's failed ones would read every
        one of them on each opening of the form.
        """
        Message = self.env["interop.message"]
        today = self._start_of_today()
        exceptions = {
            endpoint.id: total
            for endpoint, total in self.env["interop.exception"]._read_group(
                [
                    ("endpoint_id", "in", self.ids),
                    ("state", "in", ("open", "in_progress")),
                ],
                ["endpoint_id"],
                ["__count"],
            )
        }
        domains = {
            "today": [("date_received", ">=", today)],
            "queued": [("state", "in", ("queued", "processing"))],
            "failed": [("state", "=", "failed")],
        }
        for endpoint in self:
            counts = {
                name: Message.search_count(
                    [("endpoint_id", "=", endpoint.id), *domain], limit=COUNT_CAP + 1
                )
                if endpoint.id
                else 0
                for name, domain in domains.items()
            }
            endpoint.message_today_count = counts["today"]
            endpoint.message_queued_count = counts["queued"]
            endpoint.message_failed_count = counts["failed"]
            endpoint.message_today_label = self._count_label(counts["today"])
            endpoint.message_queued_label = self._count_label(counts["queued"])
            endpoint.message_failed_label = self._count_label(counts["failed"])
            endpoint.exception_open_count = exceptions.get(endpoint.id, 0)

    @api.model
    def _count_label(self, count):
        if count > COUNT_CAP:
            return self.env._("%(cap)s+", cap=f"{COUNT_CAP:,}")
        return str(count)

    def _action_messages(self, domain, name):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "interop.interop_message_action"
        )
        action.update(
            name=name,
            domain=[("endpoint_id", "=", self.id), *domain],
            context={"create": False},
        )
        return action

    def _start_of_today(self):
        """Midnight of the user's today, in their timezone, as the naive UTC datetime
        the database stores (at 00:30 in Brussels, 23:30 UTC of the day before)."""
        # the user's now, in the timezone Odoo finds for them (context, then user)
        now = fields.Datetime.context_timestamp(self, fields.Datetime.now())
        midnight = now.tzinfo.localize(datetime.combine(now.date(), time.min))
        return midnight.astimezone(UTC).replace(tzinfo=None)

    def action_view_messages_today(self):
        today = self._start_of_today()
        return self._action_messages(
            [("date_received", ">=", fields.Datetime.to_string(today))],
            self.env._("Messages Today"),
        )

    def action_view_messages_failed(self):
        return self._action_messages([("state", "=", "failed")], self.env._("Failed"))

    def action_view_messages_queued(self):
        return self._action_messages(
            [("state", "in", ("queued", "processing"))], self.env._("Queued")
        )

    def action_view_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "interop.interop_exception_action"
        )
        action.update(
            domain=[("endpoint_id", "=", self.id)],
            context={"search_default_open": 1},
        )
        return action
