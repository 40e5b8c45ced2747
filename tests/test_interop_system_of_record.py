# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

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
            self.odoo_rule.field_ids = self._fields_of("email")

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
