# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from ..errors import SystemOfRecordConflict
from .common import InteropCase


@tagged("post_install", "-at_install")
class TestSystemOfRecordPerField(InteropCase):
    """A model's fields may belong to several systems: one rule per owner, each
    listing its fields, and at most one owning the rest of the record."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.SystemOfRecord = cls.env["interop.system.of.record"]
        cls.SystemOfRecord.search([]).unlink()
        cls.partner_model = cls.env.ref("base.model_res_partner")
        cls.crm = cls.endpoint.copy({"name": "Test CRM", "code": "test-crm"})
        cls.odoo_rule = cls.SystemOfRecord.create(
            {"entity": "responsible_party", "model_id": cls.partner_model.id}
        )
        cls.crm_rule = cls.SystemOfRecord.create(
            {
                "entity": "responsible_party",
                "model_id": cls.partner_model.id,
                "source": "endpoint",
                "endpoint_id": cls.crm.id,
                "field_ids": [(6, 0, cls._fields_of("email", "phone").ids)],
            }
        )

    @classmethod
    def _fields_of(cls, *names):
        return cls.env["ir.model.fields"].search(
            [("model", "=", "res.partner"), ("name", "in", names)]
        )

    def test_each_field_is_written_by_its_owner_only(self):
        check = self.SystemOfRecord._check_write
        self.assertTrue(check("res.partner", ["email", "phone"], self.crm))
        with self.assertRaisesRegex(
            SystemOfRecordConflict, r"owned by Odoo: Test CRM may not change name\."
        ):
            check("res.partner", ["email", "name"], self.crm)
        with self.assertRaises(SystemOfRecordConflict) as caught:
            check("res.partner", ["email", "city"], self.endpoint)
        # each owner named, with its fields
        for sentence in (
            f"owned by Odoo: {self.endpoint.name} may not change city.",
            f"owned by Test CRM: {self.endpoint.name} may not change email.",
        ):
            self.assertIn(sentence, caught.exception.summary)
        self.assertIn("data in Test CRM and Odoo,", caught.exception.suggested_action)
        # another model, no rule: free
        self.assertTrue(check("res.partner.category", ["name"], self.endpoint))

    def test_a_field_has_one_owner_and_a_record_one_rest(self):
        with self.assertRaisesRegex(ValidationError, "another rule already owns"):
            self.SystemOfRecord.create(
                {
                    "entity": "responsible_party",
                    "model_id": self.partner_model.id,
                    "source": "endpoint",
                    "endpoint_id": self.endpoint.id,
                    "field_ids": [(6, 0, self._fields_of("phone", "city").ids)],
                }
            )
        with self.assertRaisesRegex(ValidationError, "for the whole record"):
            self.SystemOfRecord.create(
                {
                    "entity": "responsible_party",
                    "model_id": self.partner_model.id,
                    "source": "endpoint",
                    "endpoint_id": self.endpoint.id,
                }
            )
        with self.assertRaisesRegex(ValidationError, "another rule already owns"):
            self.odoo_rule._interop_apply_write(
                {"field_ids": self._fields_of("email").ids}
            )

    def test_the_data_owner_is_the_one_of_the_field_else_of_the_rest(self):
        find = self.SystemOfRecord._find
        self.assertEqual(find("res.partner", self.company, "email"), self.crm_rule)
        self.assertEqual(find("res.partner", self.company, "name"), self.odoo_rule)
        self.assertEqual(find("res.partner", self.company), self.odoo_rule)

    def test_attack_users_and_auditors_cannot_give_themselves_a_field(self):
        for user in (self.user, self.auditor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.crm_rule.with_user(user).write({"endpoint_id": self.endpoint.id})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.SystemOfRecord.with_user(user).create(
                    {
                        "entity": "other",
                        "model_id": self.env.ref("base.model_res_partner_category").id,
                        "source": "endpoint",
                        "endpoint_id": self.endpoint.id,
                    }
                )


def _requests(record):
    """The change requests of ``record``, whoever reads them."""
    return (
        record.env["interop.change.request"]
        .sudo()
        .search([("res_model", "=", record._name), ("res_id", "=", record.id)])
    )


@tagged("post_install", "-at_install")
class TestSystemOfRecordChangeControl(InteropCase):
    """Who owns a field decides which system may overwrite it: a rule takes effect,
    changes, is archived and is deleted only through approved change requests,
    whatever a Manager sends over RPC."""

    #: what a client may put into execute_kw's context
    CLIENT_CONTEXT = {
        "interop_change_apply": True,
        "interop_change_workflow": True,
        "active_test": False,
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.SystemOfRecord = cls.env["interop.system.of.record"]
        cls.SystemOfRecord.search([]).unlink()
        cls.approver = new_test_user(
            cls.env, login="sor_approver", groups="interop.group_interop_manager"
        )
        cls.partner_model = cls.env.ref("base.model_res_partner")
        cls.crm = cls.endpoint.copy({"name": "Test CRM", "code": "test-crm"})
        # Odoo owns contacts (created by Odoo itself: in effect)
        cls.odoo_rule = cls.SystemOfRecord.create(
            {"entity": "responsible_party", "model_id": cls.partner_model.id}
        )
        cls.email = cls._fields_of("email")
        cls.phone = cls._fields_of("phone")

    @classmethod
    def _fields_of(cls, *names):
        return cls.env["ir.model.fields"].search(
            [("model", "=", "res.partner"), ("name", "in", names)]
        )

    def _as_manager(self, records):
        return records.with_user(self.manager).with_context(**self.CLIENT_CONTEXT)

    def _crm_email_vals(self):
        return {
            "entity": "responsible_party",
            "model_id": self.partner_model.id,
            "source": "endpoint",
            "endpoint_id": self.crm.id,
            "field_ids": [Command.set(self.email.ids)],
        }

    def _crm_may_write(self, fname):
        try:
            return self.SystemOfRecord._check_write("res.partner", [fname], self.crm)
        except SystemOfRecordConflict:
            return False

    def test_attack_a_new_rule_does_not_take_effect_without_approval(self):
        self.assertFalse(self._crm_may_write("email"))
        with self.assertRaisesRegex(UserError, "starts archived"):
            self._as_manager(self.SystemOfRecord).create(
                {**self._crm_email_vals(), "active": True}
            )
        rule = self._as_manager(self.SystemOfRecord).create(self._crm_email_vals())
        self.assertFalse(rule.active)
        self.assertFalse(
            self._crm_may_write("email"), "an archived rule decides nothing"
        )
        # putting it in effect: refused directly, drafted from the form
        for attempt in (
            lambda: self._as_manager(rule).write({"active": True}),
            lambda: self._as_manager(rule).action_unarchive(),
            lambda: self._as_manager(rule).copy({"active": True}),
        ):
            with self.assertRaisesRegex(UserError, "approved change request|archived"):
                attempt()
        self.assertFalse(rule.active)
        self.assertFalse(self._crm_may_write("email"))
        # said as it is: archived, put in effect by an approved request
        with self.assertRaisesRegex(
            UserError, "is archived: it is put in effect only through an approved"
        ):
            self._as_manager(rule).write({"active": True})
        action = self._as_manager(rule).action_request_activation()
        self.assertEqual(action["res_model"], "interop.change.request")
        request = _requests(rule)
        self.assertRecordValues(request, [{"state": "draft"}])
        self.assertEqual(request._values(), {"active": True})
        self.assertFalse(rule.active)
        # the author cannot approve it; another approver puts it in effect
        request.with_user(self.manager).reason = "The CRM owns emails from now on"
        request.with_user(self.manager).action_submit()
        with self.assertRaises(AccessError):
            request.with_user(self.manager).action_approve()
        request.with_user(self.approver).action_approve()
        self.assertTrue(rule.active)
        self.assertTrue(self._crm_may_write("email"))

    def test_attack_a_rule_in_effect_changes_only_when_approved(self):
        rule = self.SystemOfRecord.create(self._crm_email_vals())
        self.assertTrue(rule.active)
        self.assertTrue(self._crm_may_write("email"))
        self.assertFalse(self._crm_may_write("phone"))
        for vals in (
            {"field_ids": [Command.link(self.phone.id)]},
            {"field_ids": [Command.set((self.email | self.phone).ids)]},
            {"field_ids": (self.email | self.phone).ids},
            {"endpoint_id": self.endpoint.id},
            {"source": "odoo"},
            {"active": False},
        ):
            with (
                self.subTest(vals=vals),
                self.assertRaisesRegex(UserError, "approved change request"),
            ):
                self._as_manager(rule).write(vals)
        with self.assertRaisesRegex(UserError, "approved change request"):
            self._as_manager(rule).action_archive()
        with self.assertRaisesRegex(UserError, "archived through an approved"):
            self._as_manager(rule).unlink()
        # an empty list is no command: nothing changes, nothing is asked
        self._as_manager(rule).with_context(interop_request_change=True).write(
            {"field_ids": []}
        )
        self.assertEqual(rule.field_ids, self.email)
        self.assertFalse(_requests(rule))
        # a governed list is chosen among existing records, not created from here
        with self.assertRaisesRegex(UserError, "chosen among existing records"):
            self._as_manager(rule).write(
                {"field_ids": [Command.create({"name": "x_attack"})]}
            )
        self.assertRecordValues(
            rule, [{"active": True, "source": "endpoint", "endpoint_id": self.crm.id}]
        )
        self.assertEqual(rule.field_ids, self.email)
        self.assertFalse(self._crm_may_write("phone"))
        # who fixes the records is no decision of what a system writes: direct
        self._as_manager(rule).write({"user_id": self.manager.id, "note": "CRM team"})
        self.assertEqual(rule.user_id, self.manager)

    def test_owned_fields_change_through_a_request_that_names_them(self):
        rule = self.SystemOfRecord.create(self._crm_email_vals())
        # the form's way: the edit is drafted, nothing changes yet
        self._as_manager(rule).with_context(interop_request_change=True).write(
            {"field_ids": [Command.link(self.phone.id)]}
        )
        self.assertEqual(rule.field_ids, self.email)
        request = _requests(rule)
        self.assertEqual(
            request._values(), {"field_ids": sorted((self.email | self.phone).ids)}
        )
        self.assertEqual(request._old_values(), {"field_ids": self.email.ids})
        # reviewers read the fields by name, before and after
        self.assertIn(self.email.display_name, request.diff_html)
        self.assertIn(self.phone.display_name, request.diff_html)
        self.assertIn(self.phone.display_name, rule.interop_pending_change_html)
        self._approve_pending(rule, approver=self.approver)
        self.assertEqual(rule.field_ids, self.email | self.phone)
        self.assertTrue(self._crm_may_write("phone"))
        # the versions keep the lists; rolling back is a request too
        versions = self.env["interop.config.version"].search(
            [("res_model", "=", rule._name), ("res_id", "=", rule.id)],
            order="number",
        )
        self.assertEqual(
            [json.loads(v.snapshot_json)["field_ids"] for v in versions],
            [self.email.ids, sorted((self.email | self.phone).ids)],
        )
        self.assertIn(self.phone.display_name, versions[-1].snapshot_html)
        versions[0].with_user(self.manager).action_rollback()
        self.assertEqual(rule.field_ids, self.email | self.phone)
        self._approve_pending(rule, approver=self.approver)
        self.assertEqual(rule.field_ids, self.email)
        self.assertFalse(self._crm_may_write("phone"))

    def test_an_activation_that_would_give_a_field_two_owners_is_refused(self):
        self.SystemOfRecord.create(self._crm_email_vals())
        rule = self._as_manager(self.SystemOfRecord).create(
            {**self._crm_email_vals(), "endpoint_id": self.endpoint.id}
        )
        self.assertFalse(rule.active, "archived rules are not checked against others")
        # what approval would refuse is refused when the activation is asked
        with self.assertRaisesRegex(ValidationError, "another rule already owns"):
            rule.with_user(self.manager).action_request_activation()
        self.assertFalse(rule.active)

    def test_archived_rules_are_edited_and_deleted_directly(self):
        rule = self._as_manager(self.SystemOfRecord).create(self._crm_email_vals())
        self._as_manager(rule).write(
            {
                "field_ids": [Command.link(self.phone.id)],
                "endpoint_id": self.endpoint.id,
            }
        )
        self.assertEqual(rule.field_ids, self.email | self.phone)
        self._as_manager(rule).unlink()
        self.assertFalse(rule.exists())


@tagged("post_install", "-at_install")
class TestSystemOfRecordDemo(InteropCase):
    def test_demo_proposed_rule_decides_nothing_until_nina_approves_it(self):
        rule = self.env.ref("interop.system_of_record_partner_mobile")
        find = self.env["interop.system.of.record"]._find
        self.assertFalse(rule.active)
        self.assertNotEqual(find("res.partner", rule.company_id, "mobile"), rule)
        request = _requests(rule)
        self.assertRecordValues(
            request,
            [{"state": "submitted", "author_id": self.env.ref("base.user_admin").id}],
        )
        nina = self.env.ref("interop.user_integration_engineer")
        request.with_user(nina).action_approve()
        self.assertTrue(rule.active)
        self.assertEqual(find("res.partner", rule.company_id, "mobile"), rule)
