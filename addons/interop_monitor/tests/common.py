# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields

from odoo.addons.interop.tests.common import InteropCase

#: the tests' clock: after the demo data's messages (the watermark starts there)
T0 = fields.Datetime.from_string("2031-03-03 10:00:00")


class MonitorCase(InteropCase):
    """An endpoint whose message log the tests write minute by minute."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.event_type = cls.env.ref("interop.event_type_responsible_party_updated")
        cls.Rollup = cls.env["interop.monitor.rollup"]
        cls.cursor = cls.env.ref("interop_monitor.interop_monitor_cursor_rollup")

    @classmethod
    def _message(cls, received, latency=None, state="done", size=100, **vals):
        """A message received at ``received`` (seconds after T0 or a datetime),
        finished ``latency`` seconds later."""
        if not isinstance(received, fields.datetime):
            received = T0 + timedelta(seconds=received)
        finished = (
            received + timedelta(seconds=latency) if latency is not None else False
        )
        return (
            cls.env["interop.message"]
            .sudo()
            .create(
                [
                    {
                        "direction": "inbound",
                        "endpoint_id": cls.endpoint.id,
                        "event_type_id": cls.event_type.id,
                        "state": state,
                        "date_received": received,
                        "date_finished": finished,
                        "payload_size": size,
                        **vals,
                    }
                ]
            )
        )

    def _rollups(self, endpoint=None):
        return self.Rollup.search(
            [("endpoint_id", "=", (endpoint or self.endpoint).id)], order="bucket"
        )
