# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..errors import BusinessRuleError
from .common import InteropMessageCase


@tagged("post_install", "-at_install")
class TestExceptionWriteAttacks(InteropMessageCase):
    """What Interop users and managers can write on exceptions over RPC: the owner,
    the team and the severity; the rest only through the buttons."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["interop.system.of.record"].create(
            {
                "entity": "responsible_party",
                "model_id": cls.env.ref("base.model_res_partner").id,
                "field_ids": [
                    (6, 0, cls.env.ref("base.field_res_partner__email").ids),
                ],
                "source": "odoo",
            }
        )
        cls.colleague = new_test_user(
            cls.env, login="colleague", groups="interop.group_interop_user"
        )

    def _client(self, user):
        """What a client sends over RPC: its user, and any context it likes,
        including the keys of the suite's own code."""
        return {
            "lang": "en_US",
            "tz": "Europe/Brussels",
            "uid": user.id,
            "allowed_company_ids": [self.company.id],
            "interop_exception_workflow": True,
            "interop_retention": True,
            "interop_change_apply": True,
        }

    def _as(self, records, user):
        return records.with_user(user).with_context(**self._client(user))

    def _failing_message(self, ref):
        return self._receive(self._payload(ref=ref) | {"event_id": f"e-{ref}"})

    def _own_exception(self, ref="P-OWN"):
        exception = self._failing_message(ref).exception_ids
        self.assertEqual(exception.user_id, self.user)
        return exception

    def _colleagues_exception(self, ref="P-OTHER"):
        message = self._failing_message(ref)
        # a cause of its own (the refusal itself is one root cause: the user's own
        # exception, when there is one, lists this message too)
        exception = self.env["interop.exception"]._open(
            BusinessRuleError(f"Another cause for {ref}"),
            message=message,
            endpoint=message.endpoint_id,
            event_type=message.event_type_id,
        )
        # routed elsewhere: a colleague's, on no team
        exception.write({"user_id": self.colleague.id, "team_id": False})
        return exception

    def test_attack_user_dismisses_own_exception_without_reason_by_write(self):
        exception = self._own_exception()
        with self.assertRaises(AccessError):
            self._as(exception, self.user).write(
                {"state": "dismissed", "closing_reason": False}
            )
        self.assertEqual(exception.state, "open")
        self.assertFalse(
            self.env["interop.audit.entry"].search(
                [("event", "=", "exception_dismissed"), ("res_id", "=", exception.id)]
            )
        )

    def test_attack_user_repoints_message_then_retries_a_colleagues_message(self):
        own = self._own_exception()
        theirs = self._colleagues_exception()
        target = theirs.message_id
        with self.assertRaises(AccessError):
            self._as(own, self.user).write({"message_id": target.id})
        self.assertNotEqual(own.message_id, target)
        with self.assertRaises(AccessError):
            self._as(theirs, self.user).action_retry()
        self.assertEqual(target.state, "failed")
        self.assertEqual(target.attempt_count, 1)

    def test_attack_user_rewrites_what_happened(self):
        exception = self._own_exception()
        other_endpoint = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="other-endpoint", name="Other")
        )
        forged = {
            "endpoint_id": other_endpoint.id,
            "event_type_id": False,
            "category_id": self.env.ref("interop.exception_category_technical").id,
            "technical_detail": "nothing to see",
            "description": "nothing happened",
            "name": "All good",
            "res_model": "res.users",
            "res_id": self.user.id,
            "mapping_code": "X",
            "business_key": "P-ELSE",
            "company_id": self.company.id,
        }
        for fname, value in forged.items():
            with self.subTest(field=fname), self.assertRaises(AccessError):
                self._as(exception, self.user).write({fname: value})
        self.assertEqual(exception.endpoint_id, self.endpoint)
        self.assertEqual(exception.business_key, "P-OWN")
        self.assertEqual(exception.message_id.business_key, "P-OWN")

    def test_attack_user_pushes_the_deadline_and_clears_the_escalation(self):
        exception = self._own_exception()
        deadline = exception.date_deadline
        for vals in (
            {"date_deadline": "2099-01-01 00:00:00"},
            {"is_escalated": True, "date_escalated": "2026-01-01 00:00:00"},
            {"occurrence_count": 0},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                self._as(exception, self.user).write(vals)
        self.assertEqual(exception.date_deadline, deadline)
        self.assertFalse(exception.is_escalated)

    def test_attack_manager_forges_a_resolution(self):
        exception = self._own_exception()
        with self.assertRaises(AccessError):
            self._as(exception, self.manager).write(
                {
                    "state": "resolved",
                    "closing_reason": "Fixed upstream",
                    "date_closed": "2026-01-01 00:00:00",
                }
            )
        with self.assertRaises(AccessError):
            self._as(exception, self.manager).write({"message_id": False})
        self.assertRecordValues(exception, [{"state": "open", "closing_reason": False}])

    def test_attack_user_dismisses_a_colleagues_exception_through_the_wizard(self):
        theirs = self._colleagues_exception()
        Wizard = self._as(self.env["interop.exception.dismiss"], self.user)
        wizard = Wizard.create(
            {"exception_ids": [(6, 0, theirs.ids)], "reason": "Not mine anyway"}
        )
        with self.assertRaises(AccessError):
            wizard.action_dismiss()
        self.assertEqual(theirs.state, "open")

    def test_attack_auditor_works_the_queue(self):
        exception = self._own_exception()
        for action in ("action_start", "action_resolve", "action_retry"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(self._as(exception, self.auditor), action)()
        with self.assertRaises(AccessError):
            self._as(exception, self.auditor).write({"severity": "low"})
        with self.assertRaises(AccessError):
            self._as(self.env["interop.exception.dismiss"], self.auditor).create(
                {"exception_ids": [(6, 0, exception.ids)], "reason": "x"}
            )
        self.assertEqual(exception.state, "open")

    def test_attack_user_hands_an_exception_to_another_company(self):
        self._setup_other_company()
        exception = self._own_exception()
        west_team = self.env["interop.team"].create(
            {"name": "West", "company_id": self.other_company.id}
        )
        with self.assertRaises(UserError):
            self._as(exception, self.user).write({"user_id": self.other_manager.id})
        with self.assertRaises(UserError):
            self._as(exception, self.user).write({"team_id": west_team.id})
        self.assertEqual(exception.user_id, self.user)

    def test_user_hands_over_triages_and_works_through_the_buttons(self):
        exception = self._own_exception()
        as_user = self._as(exception, self.user)
        as_user.write({"severity": "critical", "team_id": False})
        as_user.action_start()
        self.assertRecordValues(
            exception, [{"severity": "critical", "state": "in_progress"}]
        )
        as_user.message_post(body="Looking into it", message_type="comment")
        as_user.write({"user_id": self.colleague.id})
        self.assertEqual(exception.user_id, self.colleague)
        self._as(exception, self.colleague).action_resolve()
        self.assertRecordValues(
            exception,
            [
                {
                    "state": "resolved",
                    "closing_reason": f"Resolved by {self.colleague.name}",
                }
            ],
        )

    def test_hand_over_moves_the_owner_activity_to_the_new_owner(self):
        exception = self._own_exception()
        activity_type = self.env.ref("interop.mail_act_interop_exception")
        self._as(exception, self.user).write({"user_id": self.colleague.id})
        activity = exception.activity_ids.filtered(
            lambda a: a.activity_type_id == activity_type
        )
        self.assertEqual(activity.user_id, self.colleague)
        self.assertEqual(activity.date_deadline, exception.date_deadline.date())

    def test_manager_dismisses_with_a_reason_and_it_is_audited(self):
        exception = self._own_exception()
        wizard = self._as(self.env["interop.exception.dismiss"], self.manager).create(
            {"exception_ids": [(6, 0, exception.ids)], "reason": "Test patient"}
        )
        wizard.action_dismiss()
        self.assertRecordValues(
            exception, [{"state": "dismissed", "closing_reason": "Test patient"}]
        )
        self.assertTrue(
            self.env["interop.audit.entry"].search(
                [("event", "=", "exception_dismissed"), ("res_id", "=", exception.id)]
            )
        )


@tagged("post_install", "-at_install")
class TestQueueConfigurationAttacks(InteropMessageCase):
    """Categories and routing rules decide who gets which failure: what a manager
    changes there directly."""

    def test_attack_manager_renames_a_category_code(self):
        category = self.env.ref("interop.exception_category_mapping")
        with self.assertRaises(UserError):
            category.with_user(self.manager).write({"code": "mapping-off"})
        self.assertEqual(category.code, "mapping")
        category.with_user(self.manager).write({"sla_hours": 4})
        self.assertEqual(category.sla_hours, 4)

    def test_attack_user_and_auditor_change_a_category(self):
        category = self.env.ref("interop.exception_category_mapping")
        for user in (self.user, self.auditor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                category.with_user(user).write({"sla_hours": 999})

    def _active_rule(self):
        return self.env["interop.exception.rule"].create(
            {
                "name": "Mapping to the revenue team",
                "category_id": self.env.ref("interop.exception_category_mapping").id,
                "team_id": self.team.id,
            }
        )

    def test_attack_manager_archives_a_rule_in_use_to_edit_it_freely(self):
        rule = self._active_rule()
        with self.assertRaisesRegex(UserError, "change request"):
            rule.with_user(self.manager).write({"active": False})
        with self.assertRaisesRegex(UserError, "change request"):
            rule.with_user(self.manager).action_archive()
        self.assertTrue(rule.active)
        # the form's way: a change request, applied once another approver agrees
        rule.with_user(self.manager).with_context(interop_request_change=True).write(
            {"active": False}
        )
        self.assertTrue(rule.active)
        self.assertEqual(rule.interop_pending_change_count, 1)

    def test_attack_manager_routes_exceptions_with_a_rule_of_their_own(self):
        """A new rule, or an archived one edited and restored, reroutes exceptions
        as surely as an edit of a rule in effect: its activation is approved."""
        Rule = self.env["interop.exception.rule"].with_user(self.manager)
        vals = {
            "name": "Everything to me",
            "sequence": 1,
            "user_id": self.manager.id,
        }
        with self.assertRaisesRegex(UserError, "starts archived"):
            Rule.create({**vals, "active": True})
        rule = Rule.create(vals)
        self.assertFalse(rule.active)
        archived = self._active_rule()
        archived._interop_apply_write({"active": False})
        archived.with_user(self.manager).write(
            {"team_id": False, "user_id": self.manager.id}
        )
        for attempt in (
            lambda: rule.write({"active": True}),
            lambda: rule.action_unarchive(),
            lambda: archived.with_user(self.manager).action_unarchive(),
            lambda: (
                archived.with_user(self.manager)
                .with_context(interop_change_apply=True)
                .write({"active": True})
            ),
            lambda: archived.with_user(self.manager).copy({"active": True}),
        ):
            with self.assertRaisesRegex(UserError, "change request"):
                attempt()
        self.assertFalse(rule.active or archived.active)
        rule.action_request_activation()
        request = self.env["interop.change.request"].search(
            [("res_model", "=", rule._name), ("res_id", "=", rule.id)]
        )
        self.assertEqual(request._values(), {"active": True})
        self.assertFalse(rule.active)
        approver = new_test_user(
            self.env, login="routing_approver", groups="interop.group_interop_manager"
        )
        request.with_user(self.manager).reason = "Cover for the holidays"
        request.with_user(self.manager).action_submit()
        request.with_user(approver).action_approve()
        self.assertTrue(rule.active)

    def test_attack_manager_deletes_a_rule_in_use(self):
        rule = self._active_rule()
        with self.assertRaises(UserError):
            rule.with_user(self.manager).unlink()
        self.assertTrue(rule.exists())

    def test_attack_user_and_auditor_write_rules_and_teams(self):
        rule = self._active_rule()
        for user in (self.user, self.auditor):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    rule.with_user(user).write({"name": "Mine"})
                with self.assertRaises(AccessError):
                    self.team.with_user(user).write({"member_ids": [(4, user.id)]})
