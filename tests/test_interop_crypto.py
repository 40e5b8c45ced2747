# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from unittest.mock import patch

from cryptography.fernet import Fernet

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import config

from odoo.addons.interop.models.interop_crypto import CONFIG_OPTION, ENV_VARIABLE


def _keys(*key_ids):
    return ",".join(f"{key_id}:{Fernet.generate_key().decode()}" for key_id in key_ids)


@tagged("post_install", "-at_install")
class TestCrypto(TransactionCase):
    def setUp(self):
        super().setUp()
        self.crypto = self.env["interop.crypto"]
        spec = _keys("k2", "k1")
        self.env_patch = patch.dict("os.environ", {ENV_VARIABLE: spec})
        self.env_patch.start()
        self.addCleanup(self.env_patch.stop)
        self.spec = spec

    def test_round_trip_names_the_key_and_hides_the_text(self):
        token = self.crypto._encrypt("patient: Jane Roe")
        self.assertTrue(token.startswith("k2$"))
        self.assertNotIn("Jane", token)
        self.assertEqual(self.crypto._decrypt(token), "patient: Jane Roe")

    def test_an_older_key_still_decrypts(self):
        token = self.crypto._encrypt("remittance")
        older_first = ",".join(reversed(self.spec.split(",")))
        with patch.dict("os.environ", {ENV_VARIABLE: older_first}):
            self.assertEqual(self.crypto._current_key_id(), "k1")
            self.assertEqual(self.crypto._decrypt(token), "remittance")

    def test_a_removed_key_is_named_in_the_error(self):
        token = self.crypto._encrypt("secret")
        with (
            patch.dict("os.environ", {ENV_VARIABLE: _keys("k9")}),
            self.assertRaisesRegex(UserError, "'k2', which is not configured"),
        ):
            self.crypto._decrypt(token)

    def test_missing_keys_say_where_to_configure_them(self):
        with (
            patch.dict("os.environ", {ENV_VARIABLE: ""}),
            patch.dict(config.options, {CONFIG_OPTION: ""}),
            self.assertRaisesRegex(UserError, CONFIG_OPTION),
        ):
            self.crypto._encrypt("x")

    def test_the_configuration_file_is_read_when_no_variable_is_set(self):
        with (
            patch.dict("os.environ", {ENV_VARIABLE: ""}),
            patch.dict(config.options, {CONFIG_OPTION: _keys("conf")}),
        ):
            self.assertEqual(self.crypto._current_key_id(), "conf")

    def test_malformed_keys_are_refused(self):
        with (
            patch.dict("os.environ", {ENV_VARIABLE: "nokey"}),
            self.assertRaisesRegex(UserError, "malformed"),
        ):
            self.crypto._encrypt("x")
