# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64
from datetime import date, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools import SQL

from ..auth import HMAC_SIGNATURE_HEADER, HMAC_TIMESTAMP_HEADER, hmac_signature
from ..errors import CredentialError
from .common import OutboundCase

SECRET = "pk_live_4f9a0c77b1e2"


@tagged("post_install", "-at_install")
class TestCredentialVault(OutboundCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vault = cls.env["interop.credential"].create(
            {
                "name": "Vault key",
                "kind": "api_key",
                "endpoint_id": cls.endpoint.id,
            }
        )

    def _set_with_wizard(self, secret, user=None, **vals):
        user = user or self.manager
        form = Form(
            self.env["interop.credential.set"]
            .with_user(user)
            .with_context(default_credential_id=self.vault.id)
        )
        form.secret = secret
        for name, value in vals.items():
            setattr(form, name, value)
        wizard = form.save()
        wizard.action_apply()
        return wizard

    def _audit(self, event):
        return self.env["interop.audit.entry"].search(
            [
                ("event", "=", event),
                ("res_model", "=", "interop.credential"),
                ("res_id", "=", self.vault.id),
            ]
        )

    def test_a_manager_sets_a_secret_and_sees_only_when_and_by_whom(self):
        self._set_with_wizard(SECRET, date_expiry=date(2027, 1, 31))
        vault = self.vault.with_user(self.manager)
        self.assertEqual(vault.state, "active")
        self.assertRegex(vault.secret_status, r"^Set on \d{4}-\d\d-\d\d by ")
        self.assertIn(self.manager.name, vault.secret_status)
        self.assertEqual(vault.date_expiry, date(2027, 1, 31))
        self.assertEqual(self.vault._get_secret(), SECRET)
        entry = self._audit("credential_set")
        self.assertEqual(len(entry), 1)
        self.assertEqual(entry.user_id, self.manager)
        self.assertNotIn(SECRET, f"{entry.summary} {entry.details}")

    def test_replacing_and_revoking_are_audited(self):
        self._set_with_wizard(SECRET)
        self._set_with_wizard("pk_live_replacement")
        self.assertEqual(self.vault._get_secret(), "pk_live_replacement")
        self.assertEqual(len(self._audit("credential_rotated")), 1)
        self.vault.with_user(self.manager).action_revoke()
        self.assertEqual(self.vault.state, "revoked")
        self.assertEqual(len(self._audit("credential_revoked")), 1)
        with self.assertRaisesRegex(CredentialError, "has no secret"):
            self.vault._get_secret()

    def test_no_table_holds_the_secret_in_clear(self):
        self._set_with_wizard(SECRET)
        self.env.flush_all()
        for table in ("interop_credential", "interop_credential_set"):
            self.env.cr.execute(SQL("SELECT * FROM %s", SQL.identifier(table)))
            self.assertNotIn(SECRET, repr(self.env.cr.fetchall()), table)
        self.env.cr.execute(
            "SELECT secret_enc FROM interop_credential WHERE id = %s", [self.vault.id]
        )
        stored = self.env.cr.fetchone()[0]
        self.assertTrue(stored.startswith(f"{self.vault.secret_key_id}$"))

    def test_nobody_reads_the_secret_back(self):
        self._set_with_wizard(SECRET)
        for user in (self.manager, self.auditor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.vault.with_user(user).read(["secret_enc"])
        with self.assertRaises(AccessError):
            self.vault.with_user(self.user).read(["name"])
        wizard = self._set_with_wizard(SECRET)
        self.assertFalse(wizard.with_user(self.manager).secret)
        views = self.env["interop.credential"].get_views(
            [(False, "list"), (False, "form"), (False, "search")]
        )
        for view in views["views"].values():
            self.assertNotIn("secret_enc", view["arch"])
            self.assertNotIn("access_token_enc", view["arch"])

    def test_auditors_read_the_metadata_only(self):
        self._set_with_wizard(SECRET)
        values = self.vault.with_user(self.auditor).read(
            ["name", "kind", "secret_status", "date_set", "set_by_id"]
        )[0]
        self.assertEqual(values["set_by_id"][0], self.manager.id)
        with self.assertRaises(AccessError):
            self.vault.with_user(self.auditor).write({"name": "Renamed"})

    def test_the_ciphertext_is_written_by_the_vault_only(self):
        admin = self.env.ref("base.user_admin")
        for user in (self.manager, admin):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.vault.with_user(user).write({"secret_enc": "k$forged"})
        with self.assertRaises(AccessError):
            self.vault.with_user(admin).write({"state": "active"})
        with self.assertRaises(AccessError):
            self.env["interop.credential.set"].with_user(self.auditor).create(
                {"credential_id": self.vault.id, "secret": SECRET}
            )

    def test_a_credential_with_a_secret_is_revoked_before_it_is_deleted(self):
        self._set_with_wizard(SECRET)
        copy = self.vault.with_user(self.manager).copy()
        self.assertRecordValues(copy, [{"name": "Vault key (copy)", "state": "unset"}])
        with self.assertRaisesRegex(UserError, "revoked first"):
            self.vault.with_user(self.manager).unlink()
        self.vault.with_user(self.manager).action_revoke()
        self.vault.with_user(self.manager).unlink()
        self.assertFalse(self.vault.exists())

    def test_credentials_of_another_company_are_invisible(self):
        self._setup_other_company()
        with self.assertRaises(AccessError):
            self.vault.with_user(self.other_manager).read(["name"])


@tagged("post_install", "-at_install")
class TestCredentialKinds(OutboundCase):
    def _use(self, vals, secret):
        credential = self.env["interop.credential"].create(
            {"name": vals["kind"], "endpoint_id": self.endpoint.id, **vals}
        )
        credential._set_secret(secret)
        self.endpoint._interop_apply_write({"outbound_credential_id": credential.id})
        message = self._send({"n": 1})
        message._job_send()
        self.assertEqual(message.state, "done")
        return self.remote.received[-1]

    def test_basic_authentication(self):
        received = self._use({"kind": "basic_auth", "username": "odoo"}, "pa55")
        expected = base64.b64encode(b"odoo:pa55").decode()
        self.assertEqual(received.headers["Authorization"], f"Basic {expected}")

    def test_bearer_token(self):
        received = self._use({"kind": "bearer_token"}, "tok-static")
        self.assertEqual(received.headers["Authorization"], "Bearer tok-static")

    def test_hmac_signature_covers_the_exact_body_and_time(self):
        received = self._use({"kind": "hmac_secret", "username": "key-1"}, "whsec")
        timestamp = received.headers[HMAC_TIMESTAMP_HEADER]
        self.assertEqual(
            received.headers[HMAC_SIGNATURE_HEADER],
            hmac_signature("whsec", timestamp, received.body),
        )
        self.assertEqual(received.headers["X-Interop-Key-Id"], "key-1")

    def test_a_missing_secret_fails_to_the_technical_owner(self):
        credential = self.env["interop.credential"].create(
            {"name": "Unset", "kind": "api_key", "endpoint_id": self.endpoint.id}
        )
        self.endpoint._interop_apply_write({"outbound_credential_id": credential.id})
        message = self._send()
        message._job_send()
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.exception_ids.user_id, self.manager)
        self.assertFalse(self.remote.received)


@tagged("post_install", "-at_install")
@freeze_time("2026-06-01 08:00:00")
class TestCredentialExpiry(OutboundCase):
    def _expiring(self, name, days, **vals):
        credential = self.env["interop.credential"].create(
            {"name": name, "kind": "api_key", "endpoint_id": self.endpoint.id, **vals}
        )
        credential._set_secret("x")
        credential.date_expiry = date(2026, 6, 1) + timedelta(days=days)
        return credential

    def test_owners_are_warned_once_before_a_secret_expires(self):
        soon = self._expiring("Soon", 10)
        later = self._expiring("Later", 30)
        revoked = self._expiring("Revoked", 5)
        revoked.action_revoke()
        Credential = self.env["interop.credential"].with_user(
            self.env.ref("interop.user_interop_system")
        )
        Credential._cron_warn_expiry()
        Credential._cron_warn_expiry()
        self.assertEqual(len(soon.activity_ids), 1)
        self.assertRecordValues(
            soon.activity_ids,
            [{"user_id": self.manager.id, "date_deadline": date(2026, 6, 11)}],
        )
        self.assertFalse(later.activity_ids)
        self.assertFalse(revoked.activity_ids)
        # a new secret settles the warning
        soon._set_secret("y")
        self.assertFalse(soon.activity_ids)

    def test_administrator_runs_the_warning_manually(self):
        soon = self._expiring("Soon", 10)
        self.assertRunsManually("interop_outbound.ir_cron_interop_credential_expiry")
        self.assertEqual(soon.activity_ids.user_id, self.manager)

    def test_a_user_without_interop_rights_cannot_set_secrets(self):
        stranger = new_test_user(self.env, login="stranger", groups="base.group_user")
        credential = self._expiring("Guarded", 40)
        with self.assertRaises(AccessError):
            credential.with_user(stranger)._set_secret("z")
