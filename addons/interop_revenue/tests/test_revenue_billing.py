# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged

from .common import RevenueCase


@tagged("post_install", "-at_install")
class TestVisitBilling(RevenueCase):
    def test_completed_visit_is_invoiced_at_contract_prices(self):
        message = self._complete(codes=("70551", "85025"))
        self.assertEqual(message.state, "done")
        visit = self._visit()
        self.assertRecordValues(
            visit,
            [
                {
                    "state": "invoiced",
                    "payer_id": self.payer.id,
                    "pricelist_id": self.pricelist.id,
                    "location_value": "WH-NORTH",
                    "amount_total": 885.0,
                }
            ],
        )
        for milestone in ("received", "validated", "billing_ready", "invoiced"):
            self.assertTrue(visit[f"date_{milestone}"], milestone)
        self.assertFalse(visit.date_paid)
        invoice = visit.invoice_id
        self.assertRecordValues(
            invoice,
            [
                {
                    "move_type": "out_invoice",
                    "state": "posted",
                    "partner_id": visit.partner_id.id,
                    "invoice_origin": "V-T1",
                    "ref": "V-T1",
                    "amount_total": 885.0,
                }
            ],
        )
        self.assertRecordValues(
            invoice.invoice_line_ids,
            [
                {"product_id": self.mri.id, "quantity": 1, "price_unit": 850.0},
                {"product_id": self.cbc.id, "quantity": 1, "price_unit": 35.0},
            ],
        )
        self.assertEqual(visit.partner_id.ref, "RP-V-T1")
        self.assertIn(visit, [link.res_ref for link in message.link_ids])
        # the completion received and the billing status owed to the platform
        self.assertEqual(visit.interop_message_count, 2)

    def test_billing_status_is_queued_for_the_scheduling_platform(self):
        self._complete()
        outbound = self.env["interop.message"].search(
            [("direction", "=", "outbound"), ("business_key", "=", "V-T1")]
        )
        self.assertRecordValues(
            outbound,
            [{"state": "queued", "endpoint_id": self.scheduling.id}],
        )
        payload = outbound._get_payload()
        self.assertEqual(payload["event"], "invoiced")
        self.assertEqual(payload["invoice_number"], self._visit().invoice_id.name)
        job = self.env["queue.job"].search([("uuid", "=", outbound.job_uuid)])
        self.assertEqual(job.state, "pending")  # delivered by its own job

    def test_duplicate_delivery_keeps_one_invoice(self):
        self._complete()
        again = self._complete(event_id="evt-V-T1-resent")
        self.assertEqual(again.state, "done")
        invoices = self.env["account.move"].search([("invoice_origin", "=", "V-T1")])
        self.assertEqual(len(invoices), 1)
        self.assertEqual(self._visit().invoice_ids, invoices)

    def test_draft_invoices_by_setting(self):
        self.env["ir.config_parameter"].set_param(
            "interop_revenue.invoice_auto_post", "False"
        )
        self._complete()
        self.assertEqual(self._visit().invoice_id.state, "draft")

    def test_unmapped_codes_go_to_the_table_owner_then_replay(self):
        message = self._complete(codes=("70551", "99999", "88888"))
        exception = self.assertException(message, "mapping", self.table_owner)
        self.assertIn("99999", exception.name)
        self.assertIn("88888", exception.name)
        visit = self._visit()
        self.assertEqual(visit.state, "received")
        self.assertFalse(visit.invoice_id)
        self.assertEqual(visit.interop_exception_count, 1)
        Line = self.env["interop.mapping.line"].with_user(self.table_owner)
        for code in ("99999", "88888"):
            Line.create(
                {
                    "table_id": self.service_table.id,
                    "external_code": code,
                    "res_id": self.cbc.id,
                }
            )
        exception.with_user(self.table_owner).action_retry()
        self.assertEqual(message.state, "done")
        self.assertEqual(exception.state, "resolved")
        self.assertEqual(visit.state, "invoiced")
        self.assertEqual(visit.invoice_id.amount_total, 920.0)

    def test_visit_not_invoiced_in_time_is_stuck(self):
        self._complete(codes=("99999",))
        visit = self._visit()
        Visit = self.env["interop.visit"]
        self.assertNotIn(visit, Visit.search([("is_stuck", "=", True)]))
        with freeze_time(fields.Datetime.now() + timedelta(hours=25)):
            visit.invalidate_recordset(["is_stuck"])
            self.assertTrue(visit.is_stuck)
            self.assertIn(visit, Visit.search([("is_stuck", "=", True)]))
            self.env["ir.config_parameter"].set_param(
                "interop_revenue.stuck_hours", "48"
            )
            self.assertNotIn(visit, Visit.search([("is_stuck", "=", True)]))

    def test_a_stuck_delay_that_is_not_a_number_counts_as_a_day(self):
        self._complete(codes=("99999",))
        visit = self._visit()
        Visit = self.env["interop.visit"]
        now = fields.Datetime.now()
        for value in ("abc", "nan", "inf", " "):
            self.env["ir.config_parameter"].set_param(
                "interop_revenue.stuck_hours", value
            )
            for hours, stuck in ((23, False), (25, True)):
                with freeze_time(now + timedelta(hours=hours)):
                    visit.invalidate_recordset(["is_stuck"])
                    self.assertEqual(visit.is_stuck, stuck, (value, hours))
                    self.assertEqual(
                        visit in Visit.search([("is_stuck", "=", True)]),
                        stuck,
                        (value, hours),
                    )
        with self.assertRaisesRegex(UserError, "searched as stuck or not"):
            Visit.search([("is_stuck", "in", [True])])

    def test_missing_contract_price_is_a_business_rule_then_replay(self):
        self.pricelist.item_ids.filtered(lambda i: i.product_id == self.ct).unlink()
        message = self._complete(codes=("70551", "71260"))
        exception = self.assertException(message, "business_rule", self.revenue_owner)
        self.assertIn("71260", exception.name)
        self.assertRecordValues(
            exception,
            [{"res_model": "product.pricelist", "res_id": self.pricelist.id}],
        )
        self.assertFalse(self.env["account.move"].search([("ref", "=", "V-T1")]))
        self.env["product.pricelist.item"].create(
            {
                "pricelist_id": self.pricelist.id,
                "applied_on": "0_product_variant",
                "product_id": self.ct.id,
                "compute_price": "fixed",
                "fixed_price": 400.0,
            }
        )
        exception.with_user(self.revenue_owner).action_retry()
        self.assertEqual(message.state, "done")
        self.assertEqual(self._visit().invoice_id.amount_total, 1250.0)

    def test_zero_price_is_never_invoiced(self):
        self.pricelist.item_ids.filtered(
            lambda i: i.product_id == self.mri
        ).fixed_price = 0.0
        message = self._complete()
        self.assertException(message, "business_rule", self.revenue_owner)
        self.assertFalse(self._visit().invoice_id)

    def test_probable_duplicate_party_is_a_conflict_then_replay(self):
        existing = self.env["res.partner"].create(
            {"name": "Jane Roe", "email": "V-T1@example.com"}
        )
        message = self._complete()
        exception = self.assertException(message, "conflict", self.revenue_owner)
        self.assertNotIn("Jane", exception.name)
        self.assertRecordValues(
            exception, [{"res_model": "res.partner", "res_id": existing.id}]
        )
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "RP-V-T1")]))
        # the owner decides it is the same person
        existing.ref = "RP-V-T1"
        exception.with_user(self.revenue_owner).action_retry()
        self.assertEqual(message.state, "done")
        self.assertEqual(self._visit().invoice_id.partner_id, existing)

    def test_same_name_and_birth_date_is_a_conflict(self):
        self.env["res.partner"].create(
            {
                "name": "Party of V-T1",
                "email": "other@example.com",
                "interop_birth_date": "1980-01-31",
            }
        )
        message = self._complete()
        self.assertException(message, "conflict", self.revenue_owner)

    def test_amending_a_posted_invoice_credits_it_and_invoices_again(self):
        self._complete()
        visit = self._visit()
        first = visit.invoice_id
        message = self.scheduling._receive_event(
            "service.amended",
            self._completed_payload(
                codes=("70551", "85025"), event_id="evt-V-T1-amended"
            ),
        )
        self.assertEqual(message.state, "done")
        self.assertEqual(first.payment_state, "reversed")
        self.assertNotEqual(visit.invoice_id, first)
        self.assertEqual(visit.invoice_id.amount_total, 885.0)
        credit_note = visit.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(credit_note.amount_total, 850.0)
        self.assertEqual(visit.state, "invoiced")

    def test_amending_a_draft_invoice_rewrites_it(self):
        self.env["ir.config_parameter"].set_param(
            "interop_revenue.invoice_auto_post", "False"
        )
        self._complete()
        visit = self._visit()
        invoice = visit.invoice_id
        self.scheduling._receive_event(
            "service.amended",
            self._completed_payload(codes=("71260",), event_id="evt-V-T1-amended"),
        )
        self.assertEqual(visit.invoice_id, invoice)
        self.assertEqual(invoice.invoice_line_ids.product_id, self.ct)
        self.assertEqual(invoice.amount_total, 420.0)

    def test_cancelling_a_posted_visit_credits_its_invoice(self):
        self._complete()
        visit = self._visit()
        message = self.scheduling._receive_event(
            "service.cancelled",
            {"event_id": "evt-V-T1-cancelled", "visit": {"id": "V-T1"}},
        )
        self.assertEqual(message.state, "done")
        self.assertEqual(visit.state, "cancelled")
        self.assertEqual(visit.invoice_id.payment_state, "reversed")
        self.assertTrue(visit.date_cancelled)

    def test_cancelling_a_draft_invoice_cancels_it(self):
        self.env["ir.config_parameter"].set_param(
            "interop_revenue.invoice_auto_post", "False"
        )
        self._complete()
        self.scheduling._receive_event(
            "service.cancelled",
            {"event_id": "evt-V-T1-cancelled", "visit": {"id": "V-T1"}},
        )
        self.assertEqual(self._visit().invoice_id.state, "cancel")

    def test_amending_an_unknown_visit_is_refused(self):
        message = self.scheduling._receive_event(
            "service.amended", self._completed_payload(visit="V-NONE")
        )
        self.assertException(message, "business_rule", self.revenue_owner)

    def test_users_read_visits_and_managers_correct_them(self):
        self._complete()
        visit = self._visit()
        self.assertEqual(visit.with_user(self.user).state, "invoiced")
        with self.assertRaises(AccessError):
            visit.with_user(self.user).write({"plan_ref": "PLAN-2"})
        visit.with_user(self.manager).write({"plan_ref": "PLAN-2"})
        self.assertEqual(visit.plan_ref, "PLAN-2")
