# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.interop.models.interop_change_request import schema_breaking_changes

from .common import InteropMessageCase


@tagged("post_install", "-at_install")
class TestChangeControl(InteropMessageCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.approver = new_test_user(
            cls.env, login="approver", groups="interop.group_interop_manager"
        )
        cls.Audit = cls.env["interop.audit.entry"]

    def _request(self, record, vals, user=None):
        user = user or self.manager
        record.with_user(user).with_context(interop_request_change=True).write(vals)
        return self.env["interop.change.request"].search(
            [("res_model", "=", record._name), ("res_id", "=", record.id)],
            order="id desc",
            limit=1,
        )

    def test_manager_cannot_change_an_active_endpoint_directly(self):
        with self.assertRaisesRegex(UserError, "approved change request"):
            self.endpoint.with_user(self.manager).base_url = "https://new.example"
        self.assertEqual(self.endpoint.base_url, "https://scheduling.example/api")

    def test_an_edit_becomes_a_draft_request_and_nothing_changes(self):
        request = self._request(self.endpoint, {"base_url": "https://v2.example/api"})
        self.assertRecordValues(
            request,
            [{"state": "draft", "author_id": self.manager.id, "kind": "update"}],
        )
        self.assertEqual(self.endpoint.base_url, "https://scheduling.example/api")
        self.assertRecordValues(
            self.endpoint,
            [{"interop_is_change_controlled": True, "interop_pending_change_count": 1}],
        )
        self.assertIn("https://v2.example/api", request.diff_html)
        self.assertIn("https://scheduling.example/api", request.diff_html)

    def test_author_cannot_approve_their_own_change(self):
        request = self._request(self.endpoint, {"base_url": "https://v2.example/api"})
        request.reason = "New API version"
        request.with_user(self.manager).action_submit()
        with self.assertRaisesRegex(AccessError, "another approver"):
            request.with_user(self.manager).action_approve()
        with self.assertRaises(AccessError):
            request.with_user(self.user).action_approve()

    def test_approval_applies_exactly_the_reviewed_diff(self):
        request = self._request(
            self.endpoint, {"base_url": "https://v2.example/api", "retention_days": 60}
        )
        request.reason = "New API version"
        request.with_user(self.manager).action_submit()
        self.assertTrue(
            request.activity_ids.filtered(lambda a: a.user_id == self.approver)
        )
        before = self.Audit.search_count([])
        request.with_user(self.approver).action_approve()
        self.assertRecordValues(
            self.endpoint,
            [{"base_url": "https://v2.example/api", "retention_days": 60}],
        )
        self.assertRecordValues(
            request, [{"state": "applied", "approver_id": self.approver.id}]
        )
        self.assertEqual(request.version_id.number, 1)
        events = self.Audit.search(
            [], order="id desc", limit=self.Audit.search_count([]) - before
        )
        self.assertEqual(
            sorted(events.mapped("event")), ["change_applied", "change_approved"]
        )

    def test_a_request_that_no_longer_matches_is_refused(self):
        request = self._request(self.endpoint, {"base_url": "https://v2.example/api"})
        request.reason = "New API"
        request.action_submit()
        other = self._request(self.endpoint, {"base_url": "https://v3.example/api"})
        other.reason = "Other"
        other.action_submit()
        other.with_user(self.approver).action_approve()
        with self.assertRaisesRegex(UserError, "changed since"):
            request.with_user(self.approver).action_approve()

    def test_governance_checks_refuse_a_missing_owner_and_http_in_production(self):
        # refused when the edit is saved, in words, and nothing is drafted
        # (assertRaises, unlike assertRaisesRegex, rolls back as a request would)
        with self.assertRaises(ValidationError) as caught:
            self._request(self.endpoint, {"business_owner_id": False})
        self.assertIn("without a business owner", str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            self._request(self.endpoint, {"base_url": "http://plain.example"})
        self.assertIn("must use https", str(caught.exception))
        self.assertEqual(self.endpoint.base_url, "https://scheduling.example/api")
        self.assertEqual(self.endpoint.interop_pending_change_count, 0)

    def test_a_governed_edit_shows_the_pending_values(self):
        # the form says so at save, with a button to the request (the
        # interop_change_notice widget, run by the governed edit tour)
        request = self._request(self.endpoint, {"base_url": "https://v2.example/api"})
        self.assertEqual(self.endpoint.interop_pending_change_count, 1)
        self.endpoint.invalidate_recordset()
        self.assertIn(request.name, self.endpoint.interop_pending_change_html)
        self.assertIn(
            "https://v2.example/api", self.endpoint.interop_pending_change_html
        )

    def test_rejection_is_recorded_and_changes_nothing(self):
        request = self._request(self.endpoint, {"environment": "staging"})
        request.reason = "Move to staging"
        request.action_submit()
        request.with_user(self.approver).action_reject()
        self.assertEqual(request.state, "rejected")
        self.assertEqual(self.endpoint.environment, "production")
        self.assertEqual(
            self.Audit.search([], order="id desc", limit=1).event, "change_rejected"
        )

    def test_rollback_restores_an_earlier_version(self):
        first = self._request(self.endpoint, {"base_url": "https://v2.example/api"})
        first.reason = "v2"
        first.action_submit()
        first.with_user(self.approver).action_approve()
        second = self._request(self.endpoint, {"base_url": "https://v3.example/api"})
        second.reason = "v3"
        second.action_submit()
        second.with_user(self.approver).action_approve()
        self.assertEqual(second.version_id.number, 2)
        action = first.version_id.with_user(self.manager).action_rollback()
        rollback = self.env["interop.change.request"].browse(action["res_id"])
        self.assertEqual(rollback.kind, "rollback")
        rollback.action_submit()
        rollback.with_user(self.approver).action_approve()
        self.assertEqual(self.endpoint.base_url, "https://v2.example/api")
        self.assertEqual(rollback.version_id.number, 3)

    def test_the_first_approved_change_can_be_rolled_back(self):
        request = self._request(self.endpoint, {"base_url": "https://v2.example/api"})
        request.reason = "v2"
        request.action_submit()
        request.with_user(self.approver).action_approve()
        versions = self.env["interop.config.version"].search(
            [("res_model", "=", "interop.endpoint"), ("res_id", "=", self.endpoint.id)]
        )
        self.assertEqual(versions.mapped("number"), [1, 0])
        baseline = versions.filtered(lambda v: v.number == 0)
        # the company rule shows it to the endpoint's company only, as any version
        self.assertEqual(baseline.company_id, self.endpoint.company_id)
        self.assertIn("v0", baseline.display_name)
        self.assertIn("baseline", baseline.display_name)
        self.assertIn(request.name, request.version_id.display_name)
        # the values read as a person reads them: labels and names, not ids
        self.assertIn("Business Owner", baseline.snapshot_html)
        self.assertIn(self.user.name, baseline.snapshot_html)
        action = baseline.with_user(self.manager).action_rollback()
        rollback = self.env["interop.change.request"].browse(action["res_id"])
        rollback.reason = "Back to v1"
        rollback.action_submit()
        rollback.with_user(self.approver).action_approve()
        self.assertEqual(self.endpoint.base_url, "https://scheduling.example/api")

    def test_decision_buttons_are_offered_to_those_who_may_decide(self):
        request = self._request(self.endpoint, {"base_url": "https://v2.example/api"})
        as_author = request.with_user(self.manager)
        self.assertRecordValues(as_author, [{"is_author": True, "can_decide": False}])
        as_author.reason = "v2"
        as_author.action_submit()
        for user, can_decide in (
            (self.manager, False),
            (self.approver, True),
            (self.user, False),
            (self.auditor, False),
        ):
            with self.subTest(user=user.login):
                request.invalidate_recordset()
                self.assertEqual(request.with_user(user).can_decide, can_decide)

    def test_breaking_schema_edit_is_refused_with_the_reason(self):
        self._receive()  # the event type is now in use
        schema = json.loads(self.event_type.schema)
        schema["properties"]["contact"]["required"].append("email")
        with self.assertRaisesRegex(ValidationError, "'email' became required"):
            self._request(self.event_type, {"schema": json.dumps(schema)})

    def test_compatible_schema_edit_applies_after_approval(self):
        self._receive()
        schema = json.loads(self.event_type.schema)
        schema["properties"]["contact"]["properties"]["nickname"] = {"type": "string"}
        request = self._request(self.event_type, {"schema": json.dumps(schema)})
        self.assertIn("nickname", request.diff_html)
        request.reason = "Optional nickname"
        request.action_submit()
        request.with_user(self.approver).action_approve()
        self.assertIn("nickname", self.event_type.schema)
        self.assertEqual(self.event_type.version, 1)

    def test_draft_endpoints_are_edited_directly(self):
        draft = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="draft-one")
        )
        draft.with_user(self.manager).base_url = "https://draft.example"
        self.assertEqual(draft.base_url, "https://draft.example")


@tagged("post_install", "-at_install")
class TestSchemaCompatibility(InteropMessageCase):
    def test_breaking_changes_are_named(self):
        old = {
            "type": "object",
            "required": ["a"],
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        }
        new = {
            "type": "object",
            "required": ["a", "c"],
            "properties": {"a": {"type": "number"}, "c": {"type": "string"}},
        }
        self.assertEqual(
            schema_breaking_changes(old, new),
            [
                "(root): 'c' became required",
                "(root): property 'b' was removed",
                "(root)/a: type 'string' became 'number'",
            ],
        )

    def test_an_optional_property_is_compatible(self):
        old = {"type": "object", "properties": {"a": {"type": "string"}}}
        new = {
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        }
        self.assertEqual(schema_breaking_changes(old, new), [])


@tagged("post_install", "-at_install")
class TestDemoChangeRequest(TransactionCase):
    def test_demo_pending_change_is_asked_by_a_person_nina_decides(self):
        """The demo's pending change was asked by a person (the administrator), not
        by OdooBot; Nina, who did not ask it, may approve it."""
        endpoint = self.env.ref("interop.endpoint_payment_gateway")
        request = self.env["interop.change.request"].search(
            [
                ("res_model", "=", "interop.endpoint"),
                ("res_id", "=", endpoint.id),
                ("state", "=", "submitted"),
            ]
        )
        self.assertEqual(len(request), 1)
        self.assertEqual(request.author_id, self.env.ref("base.user_admin"))
        nina = self.env.ref("interop.user_integration_engineer")
        self.assertTrue(request.with_user(nina).can_decide)
        self.assertFalse(request.with_user(nina).is_author)
