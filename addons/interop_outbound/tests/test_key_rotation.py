# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import os
from unittest.mock import patch

from cryptography.fernet import Fernet

from odoo.cli.command import commands
from odoo.tests import tagged
from odoo.tools import SQL, config

from odoo.addons.interop.cli.rotate_keys import rotate_keys
from odoo.addons.interop.models.interop_crypto import CONFIG_OPTION, ENV_VARIABLE

from .common import Answer, OutboundCase


@tagged("post_install", "-at_install")
class TestKeyRotation(OutboundCase):
    def setUp(self):
        super().setUp()
        self.old_keys = os.environ.get(ENV_VARIABLE) or config.get(CONFIG_OPTION)
        self.new_key = f"rot2:{Fernet.generate_key().decode()}"

    def _stored(self, table, column, record_id):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM %s WHERE id = %s",
                SQL.identifier(column),
                SQL.identifier(table),
                record_id,
            )
        )
        return self.env.cr.fetchone()[0]

    def test_rotation_re_encrypts_secrets_tokens_and_answers_with_the_new_key(self):
        self.remote.answer("/api", Answer(200, {"receipt": "R-1"}))
        message = self._send()
        message._job_send()
        attempt = message.attempt_ids
        old_key_id = self.credential.secret_key_id
        with patch.dict(os.environ, {ENV_VARIABLE: f"{self.new_key},{self.old_keys}"}):
            report = rotate_keys(self.env)
            self.assertIn("re-encrypted with key rot2", report)
            for table, column, record_id in (
                ("interop_credential", "secret_enc", self.credential.id),
                ("interop_message_attempt", "response_enc", attempt.id),
                ("interop_message", "payload_enc", message.id),
            ):
                with self.subTest(column=column):
                    self.assertTrue(
                        self._stored(table, column, record_id).startswith("rot2$")
                    )
        # the old key can go: everything reads with the new one alone
        with patch.dict(os.environ, {ENV_VARIABLE: self.new_key}):
            self.credential.invalidate_recordset()
            self.assertEqual(self.credential._get_secret(), "s3cr3t-api-key")
            self.assertEqual(self.credential.secret_key_id, "rot2")
            self.assertNotEqual(old_key_id, "rot2")
            self.assertEqual(message._get_payload(), {"invoice": "INV-1"})

    def test_the_command_is_found_by_odoo_bin(self):
        self.assertIn("interop_rotate_keys", commands)

    def test_rotation_is_written_to_the_audit_trail(self):
        with patch.dict(os.environ, {ENV_VARIABLE: f"{self.new_key},{self.old_keys}"}):
            rotate_keys(self.env)
        entry = self.env["interop.audit.entry"].search(
            [("event", "=", "key_rotation")], limit=1
        )
        self.assertIn("rot2", entry.summary)
        self.assertIn('"key_id": "rot2"', entry.details)
