# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime, time, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged

from .common import RevenueCase


@tagged("post_install", "-at_install")
class TestTimingRules(RevenueCase):
    """Timing rules as data: a message that comes too early waits (held) or becomes
    the rule owner's exception; held messages are released, and checked again, when
    due."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["interop.timing.rule"]
        cls.window_rule = cls.env.ref("interop_revenue.timing_rule_service_date_window")
        cls.bill_rule = cls.env.ref("interop_revenue.timing_rule_bill_after_service")
        cls.completed_event = cls.env["interop.event.type"]._find("service.completed")

    def _dated_payload(self, visit, days, event_id=None, hour="09:30:00"):
        payload = self._completed_payload(visit, event_id=event_id)
        day = fields.Date.to_string(fields.Date.today() + timedelta(days=days))
        payload["visit"]["completed_at"] = f"{day}T{hour}Z"
        for line in payload["lines"]:
            line["date"] = day
        return payload

    def _complete_dated(self, visit, days, **kwargs):
        return self.scheduling._receive_event(
            "service.completed", self._dated_payload(visit, days, **kwargs)
        )

    def _queue_without_processing(self, payloads):
        """Several completions stored queued at once, for one drain to take."""
        Message = self.env["interop.message"]
        messages = Message
        for payload in payloads:
            message = Message._log_message(
                self.scheduling,
                self.completed_event,
                payload,
                business_key=payload["visit"]["id"],
                idempotency_key=payload["event_id"],
            )
            message._validate()
            message._set_state("queued")
            messages |= message
        return messages

    def _invoices(self, visit):
        return self.env["account.move"].search([("invoice_origin", "=", visit)])

    def test_completion_dated_30_days_ahead_is_never_invoiced(self):
        message = self._complete_dated("V-FUT", 30)
        exception = self.assertException(message, "business_rule", self.revenue_owner)
        self.assertIn("V-FUT", exception.name)
        self.assertIn(self.window_rule.name, exception.name)
        self.assertFalse(self._invoices("V-FUT"))
        self.assertEqual(self._visit("V-FUT").state, "received")
        outbound = self.env["interop.message"].search(
            [("direction", "=", "outbound"), ("business_key", "=", "V-FUT")]
        )
        self.assertFalse(outbound, "nothing invoiced: no billing status sent")

    def test_future_completion_is_held_then_released_and_checked_again(self):
        self.window_rule._interop_apply_write({"action": "hold"})
        service_day = fields.Date.today() + timedelta(days=30)
        service_at = datetime.combine(service_day, time(9, 30))
        message = self._complete_dated("V-HELD", 30)
        self.assertRecordValues(
            message,
            [
                {
                    "state": "held",
                    "timing_rule_id": self.window_rule.id,
                    "date_release": service_at - timedelta(hours=24),
                }
            ],
        )
        self.assertIn("V-HELD", message.hold_reason)
        self.assertEqual(message.attempt_ids[:1].result, "held")
        self.assertFalse(message.exception_ids)
        self.assertFalse(self._invoices("V-HELD"))
        Dispatch = self.env["interop.message.dispatch"]
        # not due: the cron leaves it
        Dispatch._cron_release_held()
        self.assertEqual(message.state, "held")
        # a day before the service: the window allows it, billing does not yet
        with freeze_time(service_at - timedelta(hours=23)):
            Dispatch._cron_release_held()
            self.assertRecordValues(
                message,
                [
                    {
                        "state": "held",
                        "timing_rule_id": self.bill_rule.id,
                        "date_release": datetime.combine(service_day, time.min),
                    }
                ],
            )
        self.assertFalse(self._invoices("V-HELD"))
        with freeze_time(datetime.combine(service_day, time(0, 1))):
            Dispatch._cron_release_held()
            self.assertEqual(message.state, "done")
        invoice = self._invoices("V-HELD")
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.invoice_date, service_day)
        self.assertEqual(message.attempt_count, 3)
        self.assertEqual(
            message.attempt_ids.sorted("number").mapped("result"),
            ["held", "held", "done"],
        )

    @freeze_time(datetime.combine(fields.Date.today(), time(12, 0)))
    def test_several_completions_in_one_drain_each_by_its_own_date(self):
        messages = self._queue_without_processing(
            [
                self._dated_payload("V-PAST", -1),
                self._dated_payload("V-FAR", 30),
                self._dated_payload("V-SOON", 1, hour="10:00:00"),
                self._dated_payload("V-FAR2", 45),
            ]
        )
        self.env["interop.message.dispatch"]._job_drain(self.completed_event.id)
        self.assertEqual(messages.mapped("state"), ["done", "failed", "held", "failed"])
        self.assertEqual(self._visit("V-PAST").state, "invoiced")
        for visit in ("V-FAR", "V-SOON", "V-FAR2"):
            self.assertFalse(self._invoices(visit), visit)
        # tomorrow's visit is within the tolerance: held until its day, not failed
        self.assertEqual(
            messages[2].date_release,
            datetime.combine(fields.Date.today() + timedelta(days=1), time.min),
        )
        # one exception per visit (the summary names it), routed to the owner
        exceptions = messages[1].exception_ids | messages[3].exception_ids
        self.assertEqual(len(exceptions), 2)
        self.assertEqual(exceptions.user_id, self.revenue_owner)

    def test_same_early_visit_sent_twice_is_one_exception(self):
        first = self._complete_dated("V-TWICE", 30)
        again = self._complete_dated("V-TWICE", 30, event_id="evt-V-TWICE-resent")
        self.assertEqual(first.exception_ids, again.exception_ids)
        exception = first.exception_ids
        self.assertEqual(exception.occurrence_count, 2)
        self.assertEqual(exception.affected_message_ids, first | again)
        self.assertEqual(len(exception.activity_ids), 1)

    def test_exception_goes_to_the_rule_owner(self):
        self.window_rule._interop_apply_write({"owner_id": self.finance_owner.id})
        message = self._complete_dated("V-OWNER", 30)
        self.assertException(message, "business_rule", self.finance_owner)

    def test_payment_before_its_invoice_is_held_until_the_invoice_is_posted(self):
        self.Rule.create(
            {
                "name": "Payments after invoices",
                "kind": "payment_posted_invoice",
                "action": "hold",
                "recheck_minutes": 30,
                "owner_id": self.finance_owner.id,
            }
        )
        payment = self._pay("V-T1", amount=850.0)
        self.assertEqual(payment.state, "held")
        self.assertIn("posted invoice", payment.hold_reason)
        self.assertFalse(payment.exception_ids)
        completion = self._complete()
        self.assertEqual(completion.state, "done")
        Dispatch = self.env["interop.message.dispatch"]
        Dispatch._cron_release_held()
        self.assertEqual(payment.state, "held", "not due yet")
        with freeze_time(fields.Datetime.now() + timedelta(minutes=31)):
            Dispatch._cron_release_held()
        self.assertEqual(payment.state, "done")
        self.assertEqual(self._visit().state, "paid")

    def test_without_payment_rule_an_early_payment_is_an_exception(self):
        payment = self._pay("V-T1", amount=850.0)
        self.assertException(payment, "business_rule", self.finance_owner)

    def test_billing_waits_for_eligibility_the_payer_requires(self):
        self.Rule.create(
            {
                "name": "Test payer: eligibility first",
                "kind": "eligibility_before_billing",
                "payer_id": self.payer.id,
                "action": "hold",
                "recheck_minutes": 240,
            }
        )
        message = self._complete()
        self.assertEqual(message.state, "held")
        self.assertFalse(self._invoices("V-T1"))
        # another payer's rule does not hold this one's visits
        eligibility = self.scheduling._receive_event(
            "coverage.eligibility",
            {
                "event_id": "elig-V-T1",
                "visit": {"id": "V-T1"},
                "status": "confirmed",
                "reference": "ELIG-42",
            },
        )
        self.assertEqual(eligibility.state, "done")
        visit = self._visit()
        self.assertEqual(visit.eligibility_state, "confirmed")
        self.assertLessEqual(message.date_release, fields.Datetime.now())
        self.env["interop.message.dispatch"]._cron_release_held()
        self.assertEqual(message.state, "done")
        self.assertEqual(visit.state, "invoiced")

    def test_eligibility_rule_of_another_payer_lets_billing_through(self):
        other = self.env["res.partner"].create({"name": "Other Plan"})
        self.Rule.create(
            {
                "name": "Other payer: eligibility first",
                "kind": "eligibility_before_billing",
                "payer_id": other.id,
                "action": "hold",
            }
        )
        self.assertEqual(self._complete().state, "done")
        self.assertEqual(self._visit().state, "invoiced")

    def test_amendment_of_a_held_visit_is_not_billed_early(self):
        self.window_rule._interop_apply_write({"action": "hold"})
        self._complete_dated("V-AMEND", 30)
        payload = self._dated_payload("V-AMEND", 30, event_id="evt-V-AMEND-amended")
        amended = self.scheduling._receive_event("service.amended", payload)
        self.assertEqual(amended.state, "held")
        self.assertFalse(self._invoices("V-AMEND"))

    def test_attack_user_releases_held_message(self):
        self.window_rule._interop_apply_write({"action": "hold"})
        message = self._complete_dated("V-REL", 30)
        with self.assertRaises(AccessError):
            message.with_user(self.user).action_release()
        self.assertEqual(message.state, "held")
        # a manager may: the rule is checked again, and holds it again
        message.with_user(self.manager).action_release()
        self.assertEqual(message.state, "held")
        self.assertEqual(message.attempt_count, 2)
        self.assertFalse(self._invoices("V-REL"))

    def test_attack_manager_disables_timing_rule_without_approval(self):
        rule = self.window_rule.with_user(self.manager)
        with self.assertRaisesRegex(UserError, "approved change request"):
            rule.write({"active": False})
        with self.assertRaisesRegex(UserError, "approved change request"):
            rule.write({"tolerance_hours": 24 * 365})
        # the form's context drafts a change request: the rule stays as it was
        rule.with_context(interop_request_change=True).write({"action": "hold"})
        self.assertEqual(self.window_rule.action, "exception")
        self.assertTrue(self.window_rule.interop_pending_change_count)
        with self.assertRaises(UserError):
            rule.unlink()

    def test_attack_user_creates_timing_rule(self):
        with self.assertRaises(AccessError):
            self.Rule.with_user(self.user).create(
                {"name": "Let everything through", "kind": "service_date_window"}
            )

    def test_held_message_can_be_cancelled(self):
        self.window_rule._interop_apply_write({"action": "hold"})
        message = self._complete_dated("V-CANCEL", 30)
        message.with_user(self.manager).action_cancel()
        self.assertEqual(message.state, "cancelled")
        with freeze_time(fields.Datetime.now() + timedelta(days=40)):
            self.env["interop.message.dispatch"]._cron_release_held()
        self.assertEqual(message.state, "cancelled")
        self.assertFalse(self._invoices("V-CANCEL"))

    def test_release_cron_runs_as_its_user(self):
        self.assertRunsManually("interop.ir_cron_interop_message_release_held")
