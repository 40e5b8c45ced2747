# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import psycopg2

from odoo.exceptions import AccessError, UserError
from odoo.service.model import get_public_method
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, mute_logger

from ..cli.audit_verify import EXIT_BROKEN, EXIT_INTACT, verify_audit_trail
from ..models.interop_audit_entry import CHAINED_COLUMNS, GENESIS_HASH, compute_hash
from .common import InteropCase


class AuditCase(InteropCase):
    """Each class starts from an empty trail: the demo activations are logged too."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Entry = cls.env["interop.audit.entry"]
        cls._as_dba("DELETE FROM interop_audit_entry")

    @classmethod
    def _as_dba(cls, query, *args):
        """Run ``query`` as a DBA would, bypassing the append-only trigger."""
        cr = cls.env.cr
        cr.execute("SET LOCAL interop.audit_maintenance = 'on'")
        cr.execute(SQL(query, *args))
        cr.execute("SET LOCAL interop.audit_maintenance = 'off'")
        cls.env["interop.audit.entry"].invalidate_model()

    def _log_three(self):
        return [
            self.Entry._log("other", summary=f"Event {number}") for number in (1, 2, 3)
        ]


@tagged("post_install", "-at_install")
class TestAuditChain(AuditCase):
    def test_first_entry_chains_to_genesis(self):
        entry = self.Entry._log(
            "key_rotation", summary="Encryption keys rotated", details={"count": 3}
        )
        self.assertRecordValues(
            entry,
            [
                {
                    "sequence": 1,
                    "event": "key_rotation",
                    "user_id": self.env.user.id,
                    "summary": "Encryption keys rotated",
                    "details": '{"count": 3}',
                    "previous_hash": GENESIS_HASH,
                }
            ],
        )
        self.assertRegex(entry.hash, r"^[0-9a-f]{64}$")

    def test_second_entry_chains_to_the_first(self):
        first = self.Entry._log("other", summary="First")
        second = self.Entry._log("other", summary="Second")
        self.assertEqual(second.sequence, first.sequence + 1)
        self.assertEqual(second.previous_hash, first.hash)
        self.assertNotEqual(second.hash, first.hash)

    def test_hash_covers_the_entry_content(self):
        entry = self.Entry._log("other", record=self.endpoint, summary="Checked")
        self.assertEqual(
            entry.hash,
            compute_hash(
                {
                    "sequence": entry.sequence,
                    "date": entry.date,
                    "event": "other",
                    "user_id": self.env.user.id,
                    "company_id": self.company.id,
                    "res_model": "interop.endpoint",
                    "res_id": self.endpoint.id,
                    "record_name": "Test Scheduling (test-scheduling)",
                    "summary": "Checked",
                    "details": None,
                    "previous_hash": GENESIS_HASH,
                }
            ),
        )

    def test_record_name_is_kept_when_the_record_is_renamed(self):
        entry = self.Entry._log("other", record=self.endpoint, summary="Checked")
        self.endpoint.name = "Renamed Scheduling"
        self.assertEqual(entry.record_name, "Test Scheduling (test-scheduling)")
        self.assertEqual(entry.res_ref, self.endpoint)

    def test_unknown_event_is_refused(self):
        with self.assertRaisesRegex(UserError, "Unknown audit trail event"):
            self.Entry._log("coffee_break", summary="Not an event")


@tagged("post_install", "-at_install")
class TestAuditVerification(AuditCase):
    def test_intact_chain_verifies(self):
        entries = self._log_three()
        result = self.Entry._verify_chain()
        self.assertEqual(
            result,
            {
                "ok": True,
                "checked": 3,
                "first_broken_sequence": None,
                "reason": None,
                "last_sequence": 3,
                "last_hash": entries[-1].hash,
            },
        )

    def test_empty_trail_verifies(self):
        self.assertTrue(self.Entry._verify_chain()["ok"])

    def test_chain_is_verified_across_batches(self):
        self._log_three()
        result = self.Entry._verify_chain(batch_size=2)
        self.assertTrue(result["ok"])
        self.assertEqual(result["checked"], 3)

    def test_changed_entry_is_detected(self):
        self._log_three()
        self._as_dba(
            "UPDATE interop_audit_entry SET summary = %s WHERE sequence = 2", "Nothing"
        )
        result = self.Entry._verify_chain()
        self.assertFalse(result["ok"])
        self.assertEqual(result["first_broken_sequence"], 2)
        self.assertEqual(result["checked"], 1)
        self.assertIn("was changed after it was recorded", result["reason"])

    def test_rehashed_entry_breaks_the_next_link(self):
        self._log_three()
        # a forger who rewrites entry 2 and recomputes its hash
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM interop_audit_entry WHERE sequence = 2",
                SQL(", ").join(SQL.identifier(name) for name in CHAINED_COLUMNS),
            )
        )
        forged = dict(self.env.cr.dictfetchone(), summary="Nothing happened")
        self._as_dba(
            "UPDATE interop_audit_entry SET summary = %s, hash = %s WHERE sequence = 2",
            forged["summary"],
            compute_hash(forged),
        )
        result = self.Entry._verify_chain()
        self.assertFalse(result["ok"])
        self.assertEqual(result["first_broken_sequence"], 3)
        self.assertIn("does not follow the entry before it", result["reason"])

    def test_deleted_entry_is_detected(self):
        self._log_three()
        self._as_dba("DELETE FROM interop_audit_entry WHERE sequence = 2")
        result = self.Entry._verify_chain()
        self.assertFalse(result["ok"])
        self.assertEqual(result["first_broken_sequence"], 2)
        self.assertIn("Entry 2 is missing", result["reason"])

    def test_auditor_verifies_from_the_list(self):
        self._log_three()
        action = self.Entry.with_user(self.auditor).action_verify_chain()
        wizard = self.env["interop.audit.verify"].browse(action["res_id"])
        self.assertRecordValues(
            wizard, [{"state": "intact", "checked": 3, "last_sequence": 3}]
        )

    def test_manager_sees_a_broken_chain(self):
        self._log_three()
        self._as_dba("DELETE FROM interop_audit_entry WHERE sequence = 1")
        action = self.Entry.with_user(self.manager).action_verify_chain()
        wizard = self.env["interop.audit.verify"].browse(action["res_id"])
        self.assertRecordValues(
            wizard, [{"state": "broken", "checked": 0, "first_broken_sequence": 1}]
        )

    def test_command_line_check_passes_on_an_intact_chain(self):
        self._log_three()
        status, report = verify_audit_trail(self.env)
        self.assertEqual(status, EXIT_INTACT)
        self.assertIn("intact: 3 entries checked", report)

    def test_command_line_check_fails_on_a_broken_chain(self):
        self._log_three()
        self._as_dba("DELETE FROM interop_audit_entry WHERE sequence = 2")
        status, report = verify_audit_trail(self.env)
        self.assertEqual(status, EXIT_BROKEN)
        self.assertIn("BROKEN at entry 2", report)


@tagged("post_install", "-at_install")
class TestAuditAppendOnly(AuditCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.entry = cls.env["interop.audit.entry"]._log("other", summary="Kept")

    def test_nobody_changes_an_entry_through_the_orm(self):
        admin = self.env.ref("base.user_admin")
        for env in (
            self.env(su=True),
            self.env(user=admin),
            self.env(user=self.manager),
            self.env(user=self.auditor),
        ):
            entry = self.entry.with_env(env)
            with (
                self.subTest(user=env.user.login, su=env.su),
                self.assertRaisesRegex(UserError, "append-only"),
            ):
                entry.write({"summary": "Rewritten"})
        self.assertEqual(self.entry.summary, "Kept")

    def test_superuser_cannot_delete_an_entry(self):
        with self.assertRaisesRegex(UserError, "append-only"):
            self.entry.sudo().unlink()
        self.assertTrue(self.entry.exists())

    def test_no_group_may_delete_an_entry(self):
        admin = self.env.ref("base.user_admin")
        for user in (admin, self.manager, self.auditor):
            with (
                self.subTest(user=user.login),
                self.assertRaises(AccessError),
                mute_logger("odoo.models"),
            ):
                self.entry.with_user(user).unlink()
        self.assertTrue(self.entry.exists())

    def test_entries_cannot_be_created_by_hand(self):
        vals = {"event": "other", "summary": "Forged", "hash": "0" * 64}
        for Entry in (self.Entry.with_user(self.manager), self.Entry.sudo()):
            with self.subTest(su=Entry.env.su), self.assertRaises(UserError):
                Entry.create(vals)
        with self.assertRaises(UserError):
            self.entry.sudo().copy()

    def test_create_cannot_be_called_remotely(self):
        with self.assertRaisesRegex(AccessError, "cannot be called remotely"):
            get_public_method(self.Entry.with_user(self.manager), "create")

    def test_database_refuses_an_update(self):
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.InsufficientPrivilege),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                SQL(
                    "UPDATE interop_audit_entry SET summary = 'Rewritten' "
                    "WHERE id = %s",
                    self.entry.id,
                )
            )

    def test_database_refuses_a_delete(self):
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.InsufficientPrivilege),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                SQL("DELETE FROM interop_audit_entry WHERE id = %s", self.entry.id)
            )

    def test_database_refuses_a_truncate(self):
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.InsufficientPrivilege),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute("TRUNCATE interop_audit_entry")


@tagged("post_install", "-at_install")
class TestAuditAccess(AuditCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.entry = cls.env["interop.audit.entry"]._log(
            "other", record=cls.endpoint, summary="Reviewed"
        )

    def test_auditor_reads_and_exports(self):
        entries = self.Entry.with_user(self.auditor).search([])
        self.assertEqual(entries, self.entry)
        exported = entries.export_data(["sequence", "event", "user_id", "summary"])
        self.assertEqual(
            exported["datas"], [[1, "Other", self.env.user.name, "Reviewed"]]
        )

    def test_manager_reads(self):
        entry = self.entry.with_user(self.manager)
        self.assertEqual(entry.summary, "Reviewed")

    def test_user_cannot_read(self):
        with self.assertRaises(AccessError):
            self.Entry.with_user(self.user).search([])

    def test_internal_user_without_interop_group_cannot_read(self):
        outsider = new_test_user(self.env, login="outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.Entry.with_user(outsider).search([])

    def test_other_company_entries_are_hidden(self):
        other = self.env["res.company"].create({"name": "Meridian West"})
        west_endpoint = (
            self.env["interop.endpoint"]
            .with_company(other)
            .create(
                self._endpoint_vals(
                    code="west-scheduling",
                    company_id=other.id,
                    business_owner_id=False,
                    technical_owner_id=False,
                )
            )
        )
        west = self.Entry._log("other", record=west_endpoint, summary="West")
        shared = self.Entry._log("key_rotation", summary="Keys rotated")
        visible = self.Entry.with_user(self.auditor).search([])
        self.assertIn(self.entry, visible)
        self.assertIn(shared, visible)
        self.assertNotIn(west, visible)


@tagged("post_install", "-at_install")
class TestAuditEndpointLifecycle(AuditCase):
    def test_activation_is_logged(self):
        self.endpoint.environment = "staging"  # activated at once, without approval
        self.endpoint.with_user(self.manager).action_activate()
        entries = self.Entry.search([("res_model", "=", "interop.endpoint")])
        self.assertRecordValues(
            entries,
            [
                {
                    "event": "endpoint_state",
                    "user_id": self.manager.id,
                    "res_id": self.endpoint.id,
                    "record_name": "Test Scheduling (test-scheduling)",
                    "summary": "Endpoint Test Scheduling (test-scheduling): "
                    "Draft → Active",
                    "details": '{"field": "state", "from": "draft", "to": "active"}',
                }
            ],
        )

    def test_each_transition_is_logged(self):
        self.endpoint._activate()
        self.endpoint.action_suspend()
        # as its approved change request applies it (tested with the requests)
        self.endpoint._interop_apply_write({"state": "retired"})
        self.assertEqual(
            self.Entry.search([], order="sequence").mapped("summary"),
            [
                "Endpoint Test Scheduling (test-scheduling): Draft → Active",
                "Endpoint Test Scheduling (test-scheduling): Active → Suspended",
                "Endpoint Test Scheduling (test-scheduling): Suspended → Retired",
            ],
        )
        self.assertTrue(self.Entry._verify_chain()["ok"])

    def test_other_changes_are_not_logged(self):
        self.endpoint.description = "Books appointments"
        self.assertFalse(self.Entry.search([]))
