# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import get_public_method
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.interop.models import interop_key_mixin
from odoo.addons.interop.models.interop_crypto import verify_key
from odoo.addons.interop.tests.common import InteropCase


@tagged("post_install", "-at_install")
class TestApiKey(InteropCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint._activate()
        cls.ApiKey = cls.env["interop.api.key"]

    def _audit(self, record, event):
        return self.env["interop.audit.entry"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("event", "=", event),
            ]
        )

    def test_only_a_salted_hash_of_the_key_is_kept(self):
        api_key, key = self.ApiKey._generate(self.endpoint, "Production")
        self.assertRegex(key, r"^iop_[0-9a-f]{40}$")
        self.assertEqual(api_key.prefix, key[4:12])
        self.assertEqual(api_key.prefix_display, f"iop_{key[4:12]}…")
        stored = api_key.sudo().key_hash
        self.assertNotIn(key[12:], stored)
        self.assertTrue(stored.startswith("pbkdf2_sha256$"))
        self.assertTrue(verify_key(key, stored))
        self.assertFalse(verify_key(key + "x", stored))

    def test_each_generated_key_is_new(self):
        first = self.ApiKey._generate(self.endpoint, "One")[1]
        second = self.ApiKey._generate(self.endpoint, "Two")[1]
        self.assertNotEqual(first, second)

    def test_chosen_key_must_look_like_an_interop_key(self):
        with self.assertRaisesRegex(ValidationError, "starts with iop_"):
            self.ApiKey._generate(self.endpoint, "Weak", key="password123")

    def test_key_is_checked_from_memory_after_its_first_use(self):
        api_key, key = self.ApiKey._generate(self.endpoint, "Hot path")
        credential = self.ApiKey._authenticate(key)
        self.assertEqual(credential.key_id, api_key.id)
        self.assertEqual(credential.endpoint_id, self.endpoint.id)
        # no query and no key derivation any more
        with (
            patch.object(interop_key_mixin, "verify_key", side_effect=AssertionError),
            self.assertQueryCount(0),
        ):
            self.assertEqual(self.ApiKey._authenticate(key), credential)

    def test_revocation_reaches_every_worker(self):
        api_key, key = self.ApiKey._generate(self.endpoint, "To revoke")
        self.assertTrue(self.ApiKey._authenticate(key))
        self.registry.cache_invalidated.clear()
        api_key.action_revoke()
        # cleared here, and signalled to the other workers at commit
        self.assertIn("default", self.registry.cache_invalidated)
        self.assertIsNone(self.ApiKey._authenticate(key))
        self.assertRecordValues(
            api_key, [{"state": "revoked", "revoked_by_id": self.env.uid}]
        )

    def test_expired_key_is_refused_without_a_change(self):
        api_key, key = self.ApiKey._generate(
            self.endpoint,
            "Short-lived",
            date_expiry=fields.Datetime.now() + timedelta(hours=1),
        )
        self.assertTrue(self.ApiKey._authenticate(key))
        with patch.object(
            fields.Datetime, "now", return_value=api_key.date_expiry + timedelta(1)
        ):
            self.assertIsNone(self.ApiKey._authenticate(key))
        self.assertTrue(api_key.is_expired is False)

    def test_audit_trail_records_generation_and_revocation_never_the_key(self):
        api_key, key = self.ApiKey._generate(self.endpoint, "Audited")
        api_key.action_revoke()
        entries = self._audit(api_key, "api_key_generated") | self._audit(
            api_key, "api_key_revoked"
        )
        self.assertEqual(len(entries), 2)
        for entry in entries:
            self.assertIn(api_key.prefix, entry.summary)
            self.assertNotIn(key[12:], f"{entry.summary} {entry.details}")

    def test_key_cannot_be_moved_rekeyed_or_revived(self):
        api_key, _key = self.ApiKey._generate(self.endpoint, "Fixed")
        other = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="other-endpoint")
        )
        with self.assertRaisesRegex(UserError, "cannot be moved or re-keyed"):
            api_key.endpoint_id = other
        with self.assertRaisesRegex(UserError, "cannot be moved or re-keyed"):
            api_key.sudo().key_hash = "pbkdf2_sha256$1$a$b"
        api_key.action_revoke()
        with self.assertRaisesRegex(UserError, "cannot be used again"):
            api_key.state = "active"
        with self.assertRaisesRegex(UserError, "already revoked"):
            api_key.action_revoke()


@tagged("post_install", "-at_install")
class TestApiKeyWizards(InteropCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint._activate()

    def test_manager_generates_a_key_shown_once(self):
        wizard = (
            self.env["interop.api.key.generate"]
            .with_user(self.manager)
            .create({"endpoint_id": self.endpoint.id, "name": "CareSlot 2026"})
        )
        self.assertAlmostEqual(
            wizard.date_expiry,
            fields.Datetime.now() + timedelta(days=365),
            delta=timedelta(minutes=1),
        )
        action = wizard.action_generate()
        key = action["context"]["default_key"]
        self.assertEqual(action["res_model"], "interop.api.key.show")
        self.assertFalse(wizard.exists())
        # nothing keeps the key: the form showing it is not even a table
        self.assertTrue(self.env["interop.api.key.show"]._abstract)
        api_key = self.endpoint.gateway_api_key_ids
        self.assertRecordValues(
            api_key, [{"name": "CareSlot 2026", "create_uid": self.manager.id}]
        )
        self.assertEqual(
            self.env["interop.api.key"]._authenticate(key).key_id, api_key.id
        )

    def test_new_key_cannot_expire_in_the_past(self):
        wizard = self.env["interop.api.key.generate"].create(
            {
                "endpoint_id": self.endpoint.id,
                "name": "Late",
                "date_expiry": fields.Datetime.now() - timedelta(days=1),
            }
        )
        with self.assertRaisesRegex(UserError, "in the future"):
            wizard.action_generate()

    def test_signing_secret_is_stored_encrypted_and_never_shown(self):
        secret = "partner-agreed-secret-42"
        wizard = (
            self.env["interop.gateway.secret.set"]
            .with_user(self.manager)
            .create({"endpoint_id": self.endpoint.id, "secret": secret})
        )
        wizard.invalidate_recordset()
        self.assertNotIn(secret, wizard.secret_enc)
        self.assertFalse(wizard.secret)  # never read back
        wizard.action_apply()
        self.assertFalse(wizard.exists())
        self.assertNotIn(secret, self.endpoint.sudo().gateway_hmac_secret_enc)
        self.assertEqual(self.endpoint._get_gateway_secret(), secret)
        self.assertRegex(
            self.endpoint.gateway_hmac_secret_info,
            rf"^Set on \d{{4}}-\d\d-\d\d \d\d:\d\d by {re.escape(self.manager.name)}$",
        )
        entry = self.env["interop.audit.entry"].search(
            [("event", "=", "credential_set"), ("res_id", "=", self.endpoint.id)]
        )
        self.assertEqual(len(entry), 1)
        self.assertNotIn(secret, f"{entry.summary} {entry.details}")

    def test_short_signing_secret_is_refused(self):
        with self.assertRaisesRegex(UserError, "at least 16 characters"):
            self.endpoint._set_gateway_secret("short")

    def test_signing_secret_is_re_encrypted_with_the_other_columns(self):
        columns = self.env["interop.crypto"]._encrypted_columns()
        self.assertIn("gateway_hmac_secret_enc", columns["interop.endpoint"])


@tagged("post_install", "-at_install")
class TestApiKeyAccess(InteropCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint._activate()
        cls.api_key, _key = cls.env["interop.api.key"]._generate(cls.endpoint, "K")

    def test_auditor_reads_keys_but_cannot_generate_or_revoke(self):
        api_key = self.api_key.with_user(self.auditor)
        self.assertEqual(api_key.name, "K")
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            api_key.action_revoke()
        with self.assertRaises(AccessError):
            self.env["interop.api.key.generate"].with_user(self.auditor).create(
                {"endpoint_id": self.endpoint.id, "name": "By auditor"}
            )

    def test_hash_is_hidden_even_from_managers(self):
        with self.assertRaises(AccessError):
            self.api_key.with_user(self.manager).read(["key_hash"])

    def test_user_cannot_read_keys(self):
        with self.assertRaises(AccessError):
            self.api_key.with_user(self.user).read(["name"])

    def test_manager_of_another_company_does_not_see_them(self):
        self._setup_other_company()
        keys = self.env["interop.api.key"].with_user(self.other_manager).search([])
        self.assertNotIn(self.api_key, keys)

    def test_keys_are_not_created_over_rpc(self):
        with self.assertRaisesRegex(AccessError, "cannot be called remotely"):
            get_public_method(self.env["interop.api.key"], "create")
