# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged

from odoo.addons.interop.errors import BusinessRuleError
from odoo.addons.interop.models.interop_exception import RETRY_AT_ONCE_LIMIT

from .common import InteropMessageCase


@tagged("post_install", "-at_install")
class TestExceptionQueue(InteropMessageCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.activity_type = cls.env.ref("interop.mail_act_interop_exception")
        cls.sor = cls.env["interop.system.of.record"].create(
            {
                "entity": "responsible_party",
                "model_id": cls.env.ref("base.model_res_partner").id,
                "field_ids": [
                    (6, 0, cls.env.ref("base.field_res_partner__email").ids),
                ],
                "source": "odoo",
            }
        )

    def _failing_message(self, ref="P-9"):
        return self._receive(self._payload(ref=ref) | {"event_id": f"e-{ref}"})

    def test_one_root_cause_is_one_exception_with_its_messages(self):
        messages = self.env["interop.message"]
        for ref in ("P-21", "P-22", "P-23"):
            messages |= self._failing_message(ref)  # the same refusal, three times
        self.assertEqual(set(messages.mapped("state")), {"failed"})
        exception = messages.exception_ids
        self.assertEqual(len(exception), 1)
        self.assertRecordValues(exception, [{"occurrence_count": 3, "state": "open"}])
        self.assertEqual(exception.affected_message_ids, messages)
        self.assertEqual(
            len(exception.activity_ids.filtered(lambda a: a.user_id == self.user)), 1
        )
        # the cause is fixed: one Retry processes every message, then it resolves
        self.sor.unlink()
        exception.with_user(self.user).action_retry()
        self.assertEqual(set(messages.mapped("state")), {"done"})
        self.assertEqual(exception.state, "resolved")

    def test_an_exception_resolves_once_all_its_messages_went_through(self):
        first, second = self._failing_message("P-31"), self._failing_message("P-32")
        exception = first.exception_ids
        self.assertEqual(second.exception_ids, exception)
        self.sor.unlink()
        first._replay()
        self.assertEqual(first.state, "done")
        self.assertEqual(exception.state, "open")  # the other one still fails
        second._replay()
        self.assertEqual(exception.state, "resolved")

    def test_system_of_record_refusal_becomes_an_exception(self):
        message = self._failing_message()
        exception = message.exception_ids
        self.assertEqual(message.state, "failed")
        self.assertRecordValues(
            exception,
            [
                {
                    "state": "open",
                    "category_id": self.env.ref(
                        "interop.exception_category_system_of_record"
                    ).id,
                    "severity": "high",
                    "user_id": self.user.id,  # the endpoint's business owner
                    "team_id": self.team.id,
                    "endpoint_id": self.endpoint.id,
                    "business_key": "P-9",
                    "occurrence_count": 1,
                }
            ],
        )
        self.assertIn("owned by Odoo", exception.description)
        self.assertIn("email", exception.description)
        self.assertNotIn("Jane", exception.description)
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "P-9")]))

    def _with_chatter(self):
        """The environment of production: tracking and creation logs on (the test
        classes switch them off)."""
        self.env = self.env(
            context=dict(
                self.env.context,
                tracking_disable=False,
                mail_notrack=False,
                mail_create_nolog=False,
                mail_create_nosubscribe=False,
            )
        )

    def test_owner_activity_email_is_queued_for_the_mail_queue_not_lost(self):
        """Opening an exception in a processing job renders the owner's activity
        email and leaves it to Odoo's mail queue, which is told to run: the job does
        not send it at its commit, and the email is not lost."""
        self._with_chatter()
        mail_queue = self.env.ref("mail.ir_cron_mail_scheduler_action")
        Trigger = self.env["ir.cron.trigger"].sudo()
        triggers = Trigger.search([("cron_id", "=", mail_queue.id)])
        exception = self._failing_message().exception_ids
        self.assertEqual(len(exception), 1)
        activity = exception.activity_ids
        self.assertRecordValues(
            activity,
            [{"activity_type_id": self.activity_type.id, "user_id": self.user.id}],
        )
        about_it = [("model", "=", "interop.exception"), ("res_id", "=", exception.id)]
        emails = self.env["mail.mail"].sudo().search(about_it)
        # one email, the activity's, to the owner, waiting in the queue
        self.assertRecordValues(emails, [{"state": "outgoing"}])
        self.assertEqual(emails.recipient_ids, self.user.partner_id)
        self.assertIn("assigned to you", emails.subject)
        self.assertIn(exception.name[:40], emails.subject)
        self.assertTrue(
            Trigger.search([("cron_id", "=", mail_queue.id)]) - triggers,
            "the mail queue is told to run",
        )
        # the owner follows the exception (through the activity)
        self.assertIn(self.user.partner_id, exception.message_partner_ids)

    def test_opening_an_exception_writes_no_chatter_nobody_reads(self):
        """What happened is in the exception's fields and its owner's activity: no
        creation log, no tracking lines of the values it was raised with, no
        separate "assigned to you" email beside the activity's."""
        self._with_chatter()
        exception = self._failing_message().exception_ids
        about_it = [("model", "=", "interop.exception"), ("res_id", "=", exception.id)]
        posted = self.env["mail.message"].sudo().search(about_it)
        # the activity's notification to its owner, nothing else
        self.assertEqual(len(posted), 1, posted.mapped("subject"))
        self.assertEqual(posted.partner_ids, self.user.partner_id)
        self.assertIn("assigned to you", posted.subject)
        self.assertFalse(posted.tracking_value_ids)
        # the job's user is not made a follower; the owner is, once
        self.assertNotIn(self.env.user.partner_id, exception.message_partner_ids)
        self.assertEqual(
            exception.message_follower_ids.partner_id, self.user.partner_id
        )

    def test_owner_gets_one_activity_with_the_sla_deadline(self):
        with freeze_time("2026-11-25 09:00:00"):
            exception = self._failing_message().exception_ids
        activity = exception.activity_ids
        self.assertRecordValues(
            activity,
            [
                {
                    "activity_type_id": self.activity_type.id,
                    "user_id": self.user.id,
                    "date_deadline": fields.Date.to_date("2026-11-26"),
                }
            ],
        )
        self.assertEqual(
            exception.date_deadline, fields.Datetime.to_datetime("2026-11-26 09:00:00")
        )

    def _with_job_queue(self, records):
        """``records`` as a client's request has them: jobs are queued, not run."""
        return records.with_context(queue_job__no_delay=False)

    def test_retry_of_a_message_shows_the_exception_resolved_at_once(self):
        message = self._failing_message()
        exception = message.exception_ids
        self.sor.unlink()
        notice = self._with_job_queue(exception.with_user(self.user)).action_retry()
        # processed in the request: the form reloads with the outcome
        self.assertEqual(message.state, "done")
        self.assertEqual(exception.state, "resolved")
        self.assertEqual(notice["params"]["title"], "Retry succeeded")
        self.assertEqual(notice["params"]["next"]["tag"], "soft_reload")
        self.assertEqual(
            message.attempt_ids.sorted("number").mapped("result"), ["failed", "done"]
        )

    def test_retry_that_fails_again_says_so_at_once(self):
        message = self._failing_message()
        exception = message.exception_ids
        notice = self._with_job_queue(exception.with_user(self.user)).action_retry()
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.attempt_count, 2)
        self.assertEqual(exception.state, "in_progress")
        self.assertEqual(exception.occurrence_count, 2)
        self.assertEqual(notice["params"]["title"], "Retry failed")

    def test_retry_of_many_messages_is_queued(self):
        messages = self.env["interop.message"]
        for number in range(RETRY_AT_ONCE_LIMIT + 1):
            messages |= self._failing_message(f"P-4{number}")
        exception = messages.exception_ids
        self.assertEqual(len(exception), 1)
        self.sor.unlink()
        notice = self._with_job_queue(exception.with_user(self.user)).action_retry()
        self.assertEqual(set(messages.mapped("state")), {"queued"})
        self.assertEqual(exception.state, "in_progress")
        self.assertEqual(notice["params"]["title"], "Retry queued")
        self.assertIn(
            f"{RETRY_AT_ONCE_LIMIT + 1} message(s) queued", notice["params"]["message"]
        )

    def _retry_notices(self, user):
        """The retry notifications on ``user``'s bus channel, in order."""
        self.env.cr.flush()  # the bus stores its notifications before the commit
        channel = json.dumps(
            [self.env.cr.dbname, "res.partner", user.partner_id.id],
            separators=(",", ":"),
        )
        rows = (
            self.env["bus.bus"].sudo().search([("channel", "=", channel)], order="id")
        )
        notices = [json.loads(row.message) for row in rows]
        return [n["payload"] for n in notices if n["type"] == "interop_retry_finished"]

    def test_queued_retry_tells_who_pressed_it_when_the_jobs_are_through(self):
        messages = self.env["interop.message"]
        for number in range(RETRY_AT_ONCE_LIMIT + 1):
            messages |= self._failing_message(f"P-6{number}")
        exception = messages.exception_ids
        self.sor.unlink()
        self._with_job_queue(exception.with_user(self.user)).action_retry()
        self.assertEqual(self._retry_notices(self.user), [])
        # the jobs run as whoever the job runner is: here the superuser
        dispatch = self.env["interop.message.dispatch"]
        dispatch._job_drain(self.event_type.id, message_ids=messages[:5].ids)
        self.assertEqual(self._retry_notices(self.user), [], "not through yet")
        dispatch._job_drain(self.event_type.id, message_ids=messages[5:].ids)
        self.assertEqual(set(messages.mapped("state")), {"done"})
        notices = self._retry_notices(self.user)
        self.assertEqual(len(notices), 1, "one notification for the whole retry")
        self.assertEqual(notices[0]["type"], "success")
        self.assertEqual(notices[0]["res_model"], "interop.exception")
        self.assertEqual(notices[0]["res_ids"], exception.ids)
        self.assertIn("every message went through", notices[0]["message"])
        self.assertEqual(exception.state, "resolved")
        self.assertFalse(self._retry_notices(self.manager))
        # each attempt names who asked for it and whose rights it ran with
        last_attempts = messages.attempt_ids.filtered(lambda a: a.number == 2)
        self.assertEqual(len(last_attempts), len(messages))
        self.assertEqual(last_attempts.user_id, self.user)
        self.assertEqual(last_attempts.ran_as_id, self.endpoint.service_user_id)
        self.assertFalse(messages.retry_user_id)

    def test_queued_retry_that_fails_again_says_so_when_through(self):
        messages = self.env["interop.message"]
        for number in range(RETRY_AT_ONCE_LIMIT + 1):
            messages |= self._failing_message(f"P-7{number}")
        exception = messages.exception_ids
        self._with_job_queue(exception.with_user(self.user)).action_retry()
        self.env["interop.message.dispatch"]._job_drain(self.event_type.id)
        self.assertEqual(set(messages.mapped("state")), {"failed"})
        [notice] = self._retry_notices(self.user)
        self.assertEqual(notice["type"], "warning")
        self.assertIn(
            f"{RETRY_AT_ONCE_LIMIT + 1} message(s) failed again", notice["message"]
        )

    def test_replayed_message_tells_the_manager_when_processed(self):
        message = self._failing_message()
        message.exception_ids._close("dismissed", "not needed")
        message.exception_ids = False
        self._with_job_queue(message.with_user(self.manager)).action_replay()
        self.assertEqual(message.state, "queued")
        self.env["interop.message.dispatch"]._job_drain(self.event_type.id)
        [notice] = self._retry_notices(self.manager)
        self.assertEqual(notice["res_model"], "interop.message")
        self.assertEqual(notice["res_ids"], message.ids)
        self.assertEqual(message.attempt_ids.sorted("number")[-1].user_id, self.manager)

    def test_failing_again_updates_the_open_exception(self):
        message = self._failing_message()
        message.with_user(self.manager).action_replay()
        message.with_user(self.manager).action_replay()
        self.assertEqual(message.attempt_count, 3)
        self.assertEqual(len(message.exception_ids), 1)
        self.assertEqual(message.exception_ids.occurrence_count, 3)
        self.assertEqual(len(message.exception_ids.activity_ids), 1)

    def test_fix_and_replay_resolves_the_exception(self):
        message = self._failing_message()
        exception = message.exception_ids
        # ownership moved (an approved change, applied)
        self.sor._interop_apply_write(
            {
                "field_ids": [(5, 0, 0)],
                "source": "endpoint",
                "endpoint_id": self.endpoint.id,
            }
        )
        exception.with_user(self.user).action_retry()
        self.assertEqual(message.state, "done")
        self.assertEqual(exception.state, "resolved")
        self.assertFalse(exception.activity_ids)
        self.assertTrue(self.env["res.partner"].search([("ref", "=", "P-9")]))

    def test_routing_rule_overrides_the_default_owner(self):
        other = new_test_user(
            self.env, login="billing", groups="interop.group_interop_user"
        )
        self.env["interop.exception.rule"].create(
            {
                "name": "System-of-record conflicts to billing",
                "category_id": self.env.ref(
                    "interop.exception_category_system_of_record"
                ).id,
                "user_id": other.id,
            }
        )
        exception = self._failing_message().exception_ids
        self.assertEqual(exception.user_id, other)
        self.assertEqual(exception.activity_ids.user_id, other)

    def test_event_type_owner_comes_before_the_endpoint_owner(self):
        self.event_type.business_owner_id = self.phi_user
        exception = self._failing_message().exception_ids
        self.assertEqual(exception.user_id, self.phi_user)

    def test_error_owner_comes_first(self):
        exception = self.env["interop.exception"]._open(
            BusinessRuleError("No price", owner=self.team),
            endpoint=self.endpoint,
        )
        self.assertEqual(exception.user_id, self.manager)  # the team lead
        self.assertEqual(exception.team_id, self.team)

    def test_dismiss_needs_a_reason(self):
        exception = self._failing_message().exception_ids
        wizard = self.env["interop.exception.dismiss"].with_context(
            active_model="interop.exception", active_ids=exception.ids
        )
        with self.assertRaises(UserError):
            wizard.create({"reason": "  "}).action_dismiss()
        wizard.create({"reason": "Test patient, ignore"}).action_dismiss()
        self.assertRecordValues(
            exception,
            [{"state": "dismissed", "closing_reason": "Test patient, ignore"}],
        )
        self.assertFalse(exception.activity_ids)

    def test_bulk_dismiss_from_the_list(self):
        exceptions = (
            self._failing_message("A").exception_ids
            | self._failing_message("B").exception_ids
        )
        action = exceptions.action_open_dismiss_wizard()
        wizard = (
            self.env[action["res_model"]]
            .with_context(**action["context"])
            .create({"reason": "Duplicate feed"})
        )
        wizard.action_dismiss()
        self.assertEqual(set(exceptions.mapped("state")), {"dismissed"})

    def test_user_works_only_exceptions_routed_to_them_or_their_team(self):
        exception = self._failing_message().exception_ids
        outsider = new_test_user(
            self.env, login="outsider", groups="interop.group_interop_user"
        )
        self.assertEqual(exception.with_user(outsider).name, exception.name)
        with self.assertRaises(AccessError):
            exception.with_user(outsider).action_retry()
        exception.with_user(self.user).action_start()
        self.assertEqual(exception.state, "in_progress")

    def test_auditor_reads_but_cannot_work_exceptions(self):
        exception = self._failing_message().exception_ids
        self.assertTrue(exception.with_user(self.auditor).name)
        with self.assertRaises(AccessError):
            exception.with_user(self.auditor).action_start()

    def test_exceptions_cannot_be_deleted(self):
        exception = self._failing_message().exception_ids
        with self.assertRaises(AccessError):
            exception.with_user(self.manager).unlink()
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            exception.unlink()

    def test_technical_detail_is_for_managers(self):
        exception = self._failing_message().exception_ids
        with self.assertRaises(AccessError):
            exception.with_user(self.user).read(["technical_detail"])

    def test_endpoint_smart_buttons_count_messages_and_exceptions(self):
        self._receive({"event_id": "ok", "contact": {"ref": "OK", "name": "Ok"}})
        self._failing_message()
        self.endpoint.invalidate_recordset()
        self.assertRecordValues(
            self.endpoint,
            [
                {
                    "message_today_count": 2,
                    "message_failed_count": 1,
                    "message_queued_count": 0,
                    "exception_open_count": 1,
                }
            ],
        )
        action = self.endpoint.action_view_messages_failed()
        self.assertEqual(self.env["interop.message"].search_count(action["domain"]), 1)

    def test_messages_today_start_at_midnight_where_the_user_is(self):
        # 00:30 in Brussels is 23:30 UTC of the day before (found at that hour)
        before = self._receive({"event_id": "a", "contact": {"ref": "A", "name": "A"}})
        after = self._receive({"event_id": "b", "contact": {"ref": "B", "name": "B"}})
        before.date_received = "2026-11-25 22:50:00"  # 23:50 in Brussels
        after.date_received = "2026-11-25 23:10:00"  # 00:10 in Brussels, today
        brussels = self.endpoint.with_context(tz="Europe/Brussels")
        utc = self.endpoint.with_context(tz="UTC")
        with freeze_time("2026-11-25 23:30:00"):
            self.assertEqual(brussels.message_today_count, 1)
            self.assertEqual(utc.message_today_count, 2)
            action = brussels.action_view_messages_today()
        self.assertEqual(
            self.env["interop.message"].search(action["domain"]) & (before | after),
            after,
        )


@tagged("post_install", "-at_install")
class TestEscalation(InteropMessageCase):
    def _overdue_exception(self):
        """An exception opened on 2026-11-25 09:00, its deadline passed the next day
        (a system-of-record conflict: the contact's responsible party is Odoo's)."""
        self.env["interop.system.of.record"].create(
            {
                "entity": "responsible_party",
                "model_id": self.env.ref("base.model_res_partner").id,
                "source": "odoo",
            }
        )
        with freeze_time("2026-11-25 09:00:00"):
            return self._receive().exception_ids

    def test_overdue_exception_is_escalated_once_to_the_team_lead(self):
        exception = self._overdue_exception()
        escalation = self.env.ref("interop.mail_act_interop_escalation")
        with freeze_time("2026-11-26 08:00:00"):
            self.env["interop.exception"]._cron_escalate()
            self.assertFalse(exception.is_escalated)
        with freeze_time("2026-11-26 10:00:00"):
            self.assertTrue(exception.is_overdue)
            self.env["interop.exception"]._cron_escalate()
            self.env["interop.exception"]._cron_escalate()
        self.assertTrue(exception.is_escalated)
        escalations = exception.activity_ids.filtered(
            lambda a: a.activity_type_id == escalation
        )
        self.assertEqual(escalations.user_id, self.manager)  # the team's lead
        self.assertEqual(len(escalations), 1)
        self.assertEqual(
            exception.date_escalated, fields.Datetime.to_datetime("2026-11-26 10:00:00")
        )
        self.assertLess(
            exception.date_deadline, exception.date_escalated + timedelta(0)
        )

    def test_scheduled_action_escalates_as_the_interop_system_user(self):
        # found in `make run`: the cron's user has no email address to notify from
        exception = self._overdue_exception()
        cron = self.env.ref("interop.ir_cron_interop_escalate_exceptions")
        system = self.env.ref("interop.user_interop_system")
        self.assertEqual(cron.user_id, system)
        self.assertFalse(system.partner_id.email)
        with freeze_time("2026-11-26 10:00:00"):
            cron.method_direct_trigger()
        self.assertTrue(exception.is_escalated)
        escalation_type = self.env.ref("interop.mail_act_interop_escalation")
        escalation = exception.activity_ids.filtered(
            lambda a: a.activity_type_id == escalation_type
        )
        self.assertEqual(escalation.user_id, self.manager)
        note = exception.message_ids.filtered(lambda m: "Escalated to" in m.body)
        self.assertEqual(note.author_id, system.partner_id)


@tagged("post_install", "-at_install")
class TestMappingFixAndReplay(InteropMessageCase):
    """An unmapped code stops a message; its table's owner adds the line; replay."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.table_owner = new_test_user(
            cls.env, login="table_owner", groups="interop.group_interop_user"
        )
        cls.countries = cls.env["interop.mapping.table"].create(
            {
                "name": "Test Countries",
                "code": "test-countries",
                "target_type": "record",
                "target_model_id": cls.env.ref("base.model_res_country").id,
                "owner_id": cls.table_owner.id,
                "line_ids": [
                    (
                        0,
                        0,
                        {"external_code": "USA", "res_id": cls.env.ref("base.us").id},
                    )
                ],
            }
        )
        cls.event_type.record_field_map = (
            '{"ref": "contact.ref", "name": "contact.name", '
            '"country_id": {"path": "contact.country", "mapping": "test-countries"}}'
        )

    def test_mapped_code_is_translated(self):
        message = self._receive(self._payload(ref="P-US", country="USA"))
        partner = message.link_ids.res_ref
        self.assertEqual(partner.country_id, self.env.ref("base.us"))

    def test_unmapped_code_goes_to_the_table_owner_then_replays(self):
        message = self._receive(self._payload(ref="P-MX", country="MEX"))
        exception = message.exception_ids
        self.assertEqual(message.state, "failed")
        self.assertRecordValues(
            exception,
            [
                {
                    "category_id": self.env.ref(
                        "interop.exception_category_mapping"
                    ).id,
                    "user_id": self.table_owner.id,
                    "mapping_table_code": "test-countries",
                    "mapping_code": "MEX",
                    "res_model": "interop.mapping.table",
                    "res_id": self.countries.id,
                }
            ],
        )
        self.assertIn("MEX", exception.name)
        self.assertEqual(exception.activity_ids.user_id, self.table_owner)
        fix = exception.with_user(self.table_owner).action_open_related()
        self.assertEqual(fix["res_model"], "interop.mapping.line")
        self.assertEqual(fix["context"]["default_external_code"], "MEX")
        # a new line, in a dialog over the exception: save it, then Retry
        self.assertEqual((fix["views"], fix["target"]), ([(False, "form")], "new"))
        # the table's owner, an Interop user, adds the line
        self.env["interop.mapping.line"].with_user(self.table_owner).with_context(
            **fix["context"]
        ).create({"res_id": self.env.ref("base.mx").id})
        notice = exception.with_user(self.table_owner).action_retry()
        self.assertEqual(notice["params"]["title"], "Retry succeeded")
        self.assertIn("1 message(s) processed", notice["params"]["message"])
        self.assertEqual(message.state, "done")
        self.assertEqual(exception.state, "resolved")
        self.assertEqual(message.link_ids.res_ref.country_id, self.env.ref("base.mx"))


@tagged("post_install", "-at_install")
class TestPhiViewIsAudited(InteropMessageCase):
    def test_each_unmasked_view_writes_an_audit_entry(self):
        message = self._receive()
        Audit = self.env["interop.audit.entry"]
        before = Audit.search_count([("event", "=", "phi_viewed")])
        self.assertTrue(
            message.with_user(self.phi_user)
            .with_context(interop_reveal_payload=True)
            .payload_display
        )
        self.assertTrue(
            message.with_user(self.user).payload_display
        )  # masked: no entry
        entries = Audit.search([("event", "=", "phi_viewed")], order="id desc")
        self.assertEqual(len(entries) - before, 1)
        self.assertRecordValues(
            entries[:1],
            [
                {
                    "user_id": self.phi_user.id,
                    "res_model": "interop.message",
                    "res_id": message.id,
                }
            ],
        )
