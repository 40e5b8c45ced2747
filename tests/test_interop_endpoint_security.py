# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import InteropCase


@tagged("post_install", "-at_install")
class TestEndpointAccess(InteropCase):
    def test_user_reads_but_cannot_write(self):
        endpoint = self.endpoint.with_user(self.user)
        self.assertEqual(endpoint.name, "Test Scheduling")
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            endpoint.name = "Renamed"
        with self.assertRaises(AccessError):
            endpoint.action_activate()
        with self.assertRaises(AccessError):
            self.env["interop.endpoint"].with_user(self.user).create(
                self._endpoint_vals(code="by-user")
            )

    def test_auditor_reads_but_cannot_write(self):
        endpoint = self.endpoint.with_user(self.auditor)
        self.assertEqual(endpoint.code, "test-scheduling")
        with self.assertRaises(AccessError):
            endpoint.name = "Renamed"
        with self.assertRaises(AccessError):
            endpoint.unlink()
        with self.assertRaises(AccessError):
            self.env["interop.team"].with_user(self.auditor).create({"name": "Audit"})

    def test_manager_configures_endpoints(self):
        Endpoint = self.env["interop.endpoint"].with_user(self.manager)
        endpoint = Endpoint.create(self._endpoint_vals(code="by-manager"))
        endpoint.name = "Configured by a manager"
        endpoint.environment = "staging"  # production needs an approval first
        endpoint.action_activate()
        self.assertRecordValues(
            endpoint, [{"name": "Configured by a manager", "state": "active"}]
        )
        team = self.env["interop.team"].with_user(self.manager).create({"name": "Ops"})
        self.assertTrue(team)

    def test_manager_implies_user(self):
        self.assertTrue(self.manager.has_group("interop.group_interop_user"))
        self.assertFalse(self.auditor.has_group("interop.group_interop_user"))

    def test_internal_user_without_interop_group_sees_nothing(self):
        outsider = new_test_user(self.env, login="outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["interop.endpoint"].with_user(outsider).search([])


@tagged("post_install", "-at_install")
class TestEndpointMultiCompany(InteropCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_other_company()
        cls.other_endpoint = (
            cls.env["interop.endpoint"]
            .with_company(cls.other_company)
            .create(
                cls._endpoint_vals(
                    code="west-scheduling",
                    company_id=cls.other_company.id,
                    business_owner_id=cls.other_manager.id,
                    technical_owner_id=cls.other_manager.id,
                )
            )
        )

    def test_each_company_sees_its_own_endpoints(self):
        visible_west = (
            self.env["interop.endpoint"].with_user(self.other_manager).search([])
        )
        self.assertIn(self.other_endpoint, visible_west)
        self.assertNotIn(self.endpoint, visible_west)
        visible_main = self.env["interop.endpoint"].with_user(self.manager).search([])
        self.assertIn(self.endpoint, visible_main)
        self.assertNotIn(self.other_endpoint, visible_main)

    def test_other_company_endpoint_cannot_be_read(self):
        with self.assertRaises(AccessError):
            self.other_endpoint.with_user(self.manager).read(["name"])

    def test_owner_must_belong_to_the_endpoint_company(self):
        with self.assertRaises(Exception) as caught:
            self.other_endpoint.business_owner_id = self.user
        self.assertIn("compan", str(caught.exception).lower())
