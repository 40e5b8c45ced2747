# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import InteropCase


@tagged("post_install", "-at_install")
class TestEndpointConstraints(InteropCase):
    def test_code_must_be_a_lower_case_slug(self):
        for code in ("Scheduling", "with space", "trailing-", "-leading", "a--b", "é"):
            with self.subTest(code=code), self.assertRaises(ValidationError):
                self.env["interop.endpoint"].create(self._endpoint_vals(code=code))

    def test_valid_codes_are_accepted(self):
        for code in ("lab-crm", "test-gateway", "bank_2", "3pl-east"):
            endpoint = self.env["interop.endpoint"].create(
                self._endpoint_vals(code=code)
            )
            self.assertEqual(endpoint.code, code)

    @mute_logger("odoo.sql_db")
    def test_code_is_unique_per_company(self):
        with self.assertRaises(Exception) as caught:
            self.env["interop.endpoint"].create(
                self._endpoint_vals(code="test-scheduling")
            )
        self.assertIn("code_company_uniq", str(caught.exception))

    def test_same_code_is_allowed_in_another_company(self):
        other = self.env["res.company"].create({"name": "Meridian West"})
        endpoint = (
            self.env["interop.endpoint"]
            .with_company(other)
            .create(
                self._endpoint_vals(
                    code="test-scheduling",
                    company_id=other.id,
                    business_owner_id=False,
                    technical_owner_id=False,
                )
            )
        )
        self.assertEqual(endpoint.company_id, other)

    def test_production_url_must_be_https(self):
        with self.assertRaisesRegex(ValidationError, "must use https"):
            self.env["interop.endpoint"].create(
                self._endpoint_vals(base_url="http://scheduling.example/api")
            )

    def test_moving_an_http_endpoint_to_production_is_refused(self):
        endpoint = self.env["interop.endpoint"].create(
            self._endpoint_vals(
                code="sandbox", environment="test", base_url="http://localhost:8069"
            )
        )
        with self.assertRaisesRegex(ValidationError, "must use https"):
            endpoint.environment = "production"

    def test_non_production_may_use_http(self):
        endpoint = self.env["interop.endpoint"].create(
            self._endpoint_vals(
                code="sandbox", environment="staging", base_url="http://sandbox.example"
            )
        )
        self.assertEqual(endpoint.base_url, "http://sandbox.example")

    def test_base_url_must_be_an_url(self):
        with self.assertRaisesRegex(ValidationError, "not a valid http"):
            self.env["interop.endpoint"].create(
                self._endpoint_vals(environment="test", base_url="ftp://files.example")
            )

    def test_defaults_come_from_settings(self):
        self.env["ir.config_parameter"].set_param(
            "interop.default_data_classification", "internal"
        )
        form = Form(self.env["interop.endpoint"])
        form.name = "New CRM"
        form.code = "new-crm"
        endpoint = form.save()
        self.assertRecordValues(
            endpoint,
            [
                {
                    "state": "draft",
                    "data_classification": "internal",
                    "environment": "development",
                    "company_id": self.env.company.id,
                }
            ],
        )
        self.assertEqual(endpoint.display_name, "New CRM (new-crm)")


@tagged("post_install", "-at_install")
class TestEndpointLifecycle(InteropCase):
    def test_draft_to_active_to_suspended_to_active_to_retired(self):
        endpoint = self.endpoint
        endpoint.action_activate()
        self.assertEqual(endpoint.state, "draft")  # production: approval first
        self._approve_pending(endpoint)
        self.assertEqual(endpoint.state, "active")
        self.assertTrue(endpoint.date_activated)
        first_activation = endpoint.date_activated
        endpoint.action_suspend()
        self.assertEqual(endpoint.state, "suspended")
        endpoint.action_activate()
        self.assertEqual(endpoint.state, "active")
        self.assertEqual(endpoint.date_activated, first_activation)
        endpoint.action_retire()
        self.assertEqual(endpoint.state, "active")  # in use: approval first
        self._approve_pending(endpoint)
        self.assertEqual(endpoint.state, "retired")
        self.assertTrue(endpoint.date_retired)

    def test_draft_cannot_be_suspended(self):
        with self.assertRaisesRegex(UserError, "cannot go from Draft to Suspended"):
            self.endpoint.action_suspend()
        self.assertEqual(self.endpoint.state, "draft")

    def test_retired_is_final(self):
        self.endpoint.action_retire()
        for action in ("action_activate", "action_suspend"):
            with self.subTest(action=action), self.assertRaises(UserError):
                getattr(self.endpoint, action)()
        with self.assertRaises(UserError):
            self.endpoint.write({"state": "draft"})
        self.assertEqual(self.endpoint.state, "retired")

    def test_retired_configuration_is_frozen(self):
        self.endpoint.action_retire()
        with self.assertRaisesRegex(UserError, "is retired"):
            self.endpoint.base_url = "https://new.example"

    def test_state_cannot_be_forced_by_write(self):
        with self.assertRaisesRegex(UserError, "cannot go from Draft to Suspended"):
            self.endpoint.write({"state": "suspended"})

    def test_new_endpoint_cannot_start_active(self):
        with self.assertRaisesRegex(UserError, "starts as a draft"):
            self.env["interop.endpoint"].create(
                self._endpoint_vals(code="eager", state="active")
            )

    def test_activation_needs_owners(self):
        endpoint = self.env["interop.endpoint"].create(
            self._endpoint_vals(
                code="orphan", business_owner_id=False, technical_owner_id=False
            )
        )
        with self.assertRaisesRegex(UserError, "a business owner, a technical owner"):
            endpoint.action_activate()
        self.assertEqual(endpoint.state, "draft")

    def test_outbound_activation_needs_a_base_url(self):
        endpoint = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="no-url", direction="outbound", base_url=False)
        )
        with self.assertRaisesRegex(UserError, "a base URL"):
            endpoint.action_activate()

    def test_code_is_frozen_once_activated(self):
        self.endpoint._activate()
        self.endpoint.action_suspend()
        with self.assertRaisesRegex(UserError, "cannot change once"):
            self.endpoint.code = "renamed"

    def test_draft_code_can_change(self):
        self.endpoint.code = "renamed"
        self.assertEqual(self.endpoint.code, "renamed")

    def test_only_active_endpoints_exchange_data(self):
        with self.assertRaisesRegex(UserError, "only active endpoints exchange data"):
            self.endpoint._check_can_exchange()
        self.endpoint._activate()
        self.assertTrue(self.endpoint._check_can_exchange())
        self.endpoint.action_suspend()
        with self.assertRaisesRegex(UserError, "only active endpoints exchange data"):
            self.endpoint._check_can_exchange()

    def test_only_never_activated_drafts_can_be_deleted(self):
        draft = self.env["interop.endpoint"].create(self._endpoint_vals(code="typo"))
        draft.unlink()
        self.assertFalse(draft.exists())
        self.endpoint._activate()
        self.endpoint.action_suspend()
        with self.assertRaisesRegex(UserError, "retire it instead of deleting"):
            self.endpoint.unlink()


@tagged("post_install", "-at_install")
class TestEndpointTracking(InteropCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._enable_tracking()  # tracking is what is under test here
        cls.endpoint = cls.env["interop.endpoint"].create(
            cls._endpoint_vals(code="tracked-scheduling")
        )
        # Odoo tracks changes from the creation's commit on: run its precommit hooks now
        cls.env.cr.flush()

    def test_governed_field_change_is_tracked(self):
        self.endpoint.with_user(self.manager).base_url = "https://v3.scheduling.example"
        self.env.cr.flush()  # runs the tracking hooks, as a commit would
        message = self.endpoint.message_ids[0]
        self.assertEqual(message.author_id, self.manager.partner_id)
        tracking = message.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "base_url"
        )
        self.assertRecordValues(
            tracking,
            [
                {
                    "old_value_char": "https://scheduling.example/api",
                    "new_value_char": "https://v3.scheduling.example",
                }
            ],
        )

    def test_lifecycle_change_is_tracked(self):
        self.endpoint._activate()
        self.env.cr.flush()  # runs the tracking hooks, as a commit would
        tracking = self.endpoint.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "state"
        )
        self.assertEqual(tracking.new_value_char, "Active")
