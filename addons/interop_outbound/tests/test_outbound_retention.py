# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Retention prunes what remotes answered with the messages."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from .common import Answer, SecurityCase


@tagged("post_install", "-at_install")
class TestRetentionOfRemoteAnswers(SecurityCase):
    def test_retention_prunes_what_the_remote_answered(self):
        self.endpoint._interop_apply_write({"retention_days": 10})
        self.remote.answer("/api", Answer(200, {"patient": "Jane Roe"}))
        message = self.endpoint._send(None, {"ping": 1})
        message._job_send()
        self.assertEqual(message.state, "done")
        self.env.flush_all()
        # the message is a month old
        self.env.cr.execute(
            SQL(
                "UPDATE interop_message SET date_received = %s WHERE id = %s",
                fields.Datetime.now() - timedelta(days=30),
                message.id,
            )
        )
        query = SQL(
            "SELECT count(*) FROM interop_message_attempt "
            "WHERE message_id = %s AND response_enc IS NOT NULL",
            message.id,
        )
        self.env.cr.execute(query)
        self.assertEqual(self.env.cr.fetchone()[0], 1)
        self.env["interop.retention"]._cron_apply_retention()
        self.env.cr.execute(
            SQL(
                "SELECT is_payload_pruned FROM interop_message WHERE id = %s",
                message.id,
            )
        )
        self.assertTrue(self.env.cr.fetchone()[0])
        self.env.cr.execute(query)
        self.assertEqual(self.env.cr.fetchone()[0], 0)
