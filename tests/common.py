# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT


class InteropCase(TransactionCase):
    """Users of each Interop group and a ready-to-activate endpoint."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.company = cls.env.company
        cls.user = new_test_user(
            cls.env, login="interop_user", groups="interop.group_interop_user"
        )
        cls.manager = new_test_user(
            cls.env, login="interop_manager", groups="interop.group_interop_manager"
        )
        cls.auditor = new_test_user(
            cls.env, login="interop_auditor", groups="interop.group_interop_auditor"
        )
        cls.endpoint = cls.env["interop.endpoint"].create(
            cls._endpoint_vals(code="test-scheduling", name="Test Scheduling")
        )

    @classmethod
    def _setup_other_company(cls):
        """A second company and an Interop manager who works only there."""
        cls.other_company = cls.env["res.company"].create({"name": "Meridian West"})
        cls.other_manager = new_test_user(
            cls.env,
            login="west_manager",
            groups="interop.group_interop_manager",
            company_id=cls.other_company.id,
            company_ids=[cls.other_company.id],
        )

    @classmethod
    def _enable_tracking(cls):
        """Switch tracking back on, for the tests of what the chatter records."""
        cls.env = cls.env(
            context=dict(
                cls.env.context,
                tracking_disable=False,
                mail_notrack=False,
                mail_create_nolog=False,
            )
        )

    @classmethod
    def _endpoint_vals(cls, **overrides):
        vals = {
            "code": "test-endpoint",
            "name": "Test Endpoint",
            "system_kind": "scheduling",
            "direction": "both",
            "base_url": "https://scheduling.example/api",
            "environment": "production",
            "data_classification": "phi",
            "business_owner_id": cls.user.id,
            "technical_owner_id": cls.manager.id,
        }
        vals.update(overrides)
        return vals


class InteropMappingCase(InteropCase):
    """A record table of payer ids and a value table of site codes, owned by a user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.payer_northwind = cls.env["res.partner"].create(
            {"name": "Northwind Health Plan", "is_company": True}
        )
        cls.payer_blue_meadow = cls.env["res.partner"].create(
            {"name": "Blue Meadow Insurance", "is_company": True}
        )
        cls.payer_table = cls.env["interop.mapping.table"].create(
            cls._mapping_table_vals(
                code="test-payer-codes",
                name="Test Payer Codes",
                target_model_id=cls.env.ref("base.model_res_partner").id,
                line_ids=[
                    Command.create(
                        {"external_code": "NWH-001", "res_id": cls.payer_northwind.id}
                    ),
                    Command.create(
                        {
                            "external_code": "BMI-220",
                            "res_id": cls.payer_blue_meadow.id,
                            "date_from": "2026-01-01",
                            "date_to": "2026-12-31",
                        }
                    ),
                ],
            )
        )
        cls.location_table = cls.env["interop.mapping.table"].create(
            cls._mapping_table_vals(
                code="test-location-codes",
                name="Test Location Codes",
                target_type="value",
                line_ids=[
                    Command.create(
                        {"external_code": "MD-N01", "target_value": "WH-NORTH"}
                    )
                ],
            )
        )

    @classmethod
    def _mapping_table_vals(cls, **overrides):
        vals = {
            "code": "test-mapping",
            "name": "Test Mapping",
            "code_system": "Test ID",
            "target_type": "record",
            "owner_id": cls.user.id,
        }
        vals.update(overrides)
        return vals
