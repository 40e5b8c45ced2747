# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import new_test_user, tagged

from .common import InteropMessageCase


@tagged("post_install", "-at_install")
class TestExceptionContext(InteropMessageCase):
    """An exception links the records it is about and names who can fix them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data_owner = new_test_user(
            cls.env, login="crm_data_owner", groups="interop.group_interop_user"
        )
        cls.sor = cls.env["interop.system.of.record"].create(
            {
                "entity": "responsible_party",
                "model_id": cls.env.ref("base.model_res_partner").id,
                "field_ids": [
                    (6, 0, cls.env.ref("base.field_res_partner__email").ids),
                ],
                "source": "odoo",
                "user_id": cls.data_owner.id,
            }
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Jane Roe", "ref": "P-77", "email": "old@example.com"}
        )

    def test_conflict_links_the_contact_and_names_its_data_owner(self):
        message = self._receive(self._payload(ref="P-77"))
        exception = message.exception_ids
        self.assertEqual(exception.link_ids.mapped("res_model"), ["res.partner"])
        self.assertEqual(exception.link_ids.res_id, self.contact.id)
        self.assertEqual(exception.fixer_id, self.data_owner)
        self.assertIn(self.data_owner.name, exception.fix_hint)
        # a contact is named by its number: its name may be health information
        link = exception.link_ids.with_user(self.user)
        self.assertEqual(link.name, f"#{self.contact.id}")
        for text in (exception.fix_hint, link.name, link.model_description):
            self.assertNotIn("Jane", text)
        opened = link.action_open_record()
        self.assertEqual(
            (opened["res_model"], opened["res_id"]), ("res.partner", self.contact.id)
        )

    def test_data_owner_defaults_to_the_owning_systems_business_owner(self):
        self.sor._interop_apply_write(
            {"user_id": False, "source": "endpoint", "endpoint_id": self.endpoint.id}
        )
        other = self.env["interop.endpoint"].create(
            self._endpoint_vals(
                code="test-other-crm",
                name="Other CRM",
                business_owner_id=self.manager.id,
            )
        )
        self.sor._interop_apply_write({"endpoint_id": other.id})
        message = self._receive(self._payload(ref="P-77"))
        self.assertEqual(message.exception_ids.fixer_id, self.manager)


@tagged("post_install", "-at_install")
class TestMappingExceptionContext(InteropMessageCase):
    """An unmapped code: the table and its team, and who creates the missing record."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.table_owner = new_test_user(
            cls.env, login="table_owner_ctx", groups="interop.group_interop_user"
        )
        cls.catalog_owner = new_test_user(
            cls.env, login="catalog_owner_ctx", groups="interop.group_interop_user"
        )
        cls.geo_team = cls.env["interop.team"].create(
            {"name": "Reference Data", "lead_id": cls.table_owner.id}
        )
        cls.countries = cls.env["interop.mapping.table"].create(
            {
                "name": "Test Countries",
                "code": "test-countries",
                "target_type": "record",
                "target_model_id": cls.env.ref("base.model_res_country").id,
                "owner_id": cls.table_owner.id,
                "team_id": cls.geo_team.id,
            }
        )
        cls.env["interop.system.of.record"].create(
            {
                "entity": "other",
                "model_id": cls.env.ref("base.model_res_country").id,
                "source": "odoo",
                "user_id": cls.catalog_owner.id,
            }
        )
        cls.event_type.record_field_map = (
            '{"ref": "contact.ref", "name": "contact.name", '
            '"country_id": {"path": "contact.country", "mapping": "test-countries"}}'
        )

    def test_mapping_exception_has_the_tables_team_and_names_who_creates_it(self):
        message = self._receive(self._payload(ref="P-ZZ", country="ZZZ"))
        exception = message.exception_ids
        self.assertEqual(exception.user_id, self.table_owner)
        self.assertEqual(exception.team_id, self.geo_team)
        self.assertIn(
            ("interop.mapping.table", self.countries.id),
            [(link.res_model, link.res_id) for link in exception.link_ids],
        )
        self.assertEqual(exception.fixer_id, self.catalog_owner)
        self.assertIn("ZZZ", exception.fix_hint)
        self.assertIn(self.catalog_owner.name, exception.fix_hint)
