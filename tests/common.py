# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
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
