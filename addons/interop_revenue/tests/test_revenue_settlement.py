# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from .common import RevenueCase

#: the visits of a busy day: five MRI scans, each paid in full through the gateway
BUSY_DAY = ("V-T1", "V-T2", "V-T3", "V-T4", "V-T5")


class SettlementCase(RevenueCase):
    """Five visits completed and paid today through the gateway (850.00, fee 1.50)."""

    def setUp(self):
        super().setUp()
        for visit in BUSY_DAY:
            self._complete(visit)
            self._pay(visit)
        self.today = fields.Date.to_string(fields.Date.today())
        self.other_currency = "EUR" if self.currency.name != "EUR" else "USD"

    def _row(self, visit="V-T1", amount=850.0, currency=None, date=None, **extra):
        return {
            "id": extra.pop("payment_id", f"pay-{visit}"),
            "amount": amount,
            "currency": currency or self.currency.name,
            "date": date or self.today,
            **extra,
        }

    def _fee(self, visit="V-T1", amount=1.5):
        """The gateway's fee line for the payment of ``visit``."""
        return {
            "type": "fee",
            "id": f"fee-{visit}",
            "payment_id": f"pay-{visit}",
            "amount": amount,
            "currency": self.currency.name,
            "date": self.today,
        }

    def _busy_day_report(self):
        return [self._row(visit) for visit in BUSY_DAY] + [self._fee("V-T1")]

    def _mismatch_report(self):
        """One line of each kind of mismatch; V-T5 is left out of the report."""
        return [
            self._row("V-T1", amount=840.0),
            self._row("V-T2", currency=self.other_currency),
            self._row("V-T3"),
            self._row("V-T3"),
            self._row("V-T4"),
            self._fee("V-T4", amount=2.75),
            self._row(payment_id="pay-ghost", amount=12.0),
        ]

    def _payments(self):
        return self.env["interop.visit.payment"].search(
            [("endpoint_id", "=", self.gateway.id)], order="name"
        )

    def _settlement_exceptions(self):
        return self.env["interop.exception"].search(
            [("endpoint_id", "=", self.gateway.id)], order="id"
        )


@tagged("post_install", "-at_install")
class TestSettlementReconciliation(SettlementCase):
    def test_a_busy_day_report_settles_every_payment_of_the_day(self):
        exceptions = self.gateway._reconcile_settlement(self._busy_day_report())
        self.assertFalse(exceptions)
        self.assertFalse(self._settlement_exceptions())
        self.assertRecordValues(
            self._payments(),
            [{"settlement_state": "settled", "settlement_ref": self.today}] * 5,
        )
        self.assertTrue(all(self._payments().mapped("date_settled")))
        for visit in BUSY_DAY:
            self.assertEqual(self._visit(visit).state, "reconciled", visit)

    def test_each_kind_of_mismatch_is_one_exception_for_finance(self):
        exceptions = self.gateway._reconcile_settlement(self._mismatch_report())
        names = exceptions.mapped("name")
        self.assertEqual(len(exceptions), 6, names)
        self.assertEqual(exceptions.user_id, self.finance_owner)
        self.assertEqual(exceptions.activity_ids.user_id, self.finance_owner)
        self.assertEqual(len(exceptions.activity_ids), 6)
        self.assertEqual(
            exceptions.category_id,
            self.env.ref("interop.exception_category_business_rule"),
        )
        currency = self.currency.name
        expected = {
            "amount": f"payment pay-V-T1 is settled for 840.00 {currency}, Odoo "
            f"captured 850.00 {currency}",
            "currency": f"payment pay-V-T2 is settled in {self.other_currency}",
            "duplicate": "payment pay-V-T3 is listed twice",
            "fee": f"fee line fee-V-T4 charges 2.75 {currency} for payment pay-V-T4, "
            f"the gateway announced 1.50 {currency}",
            "unknown": "payment pay-ghost (12.00",
            "missing": f"payment pay-V-T5 (850.00 {currency}), captured in Odoo, is "
            "missing from the report",
        }
        for kind, words in expected.items():
            matching = [name for name in names if words in name]
            self.assertEqual(len(matching), 1, f"{kind}: {names}")
            self.assertIn(self.today, matching[0])
        payments = {payment.name: payment for payment in self._payments()}
        # each exception of a known payment links it (and through it, its visit)
        for name in ("pay-V-T1", "pay-V-T2", "pay-V-T5"):
            linked = exceptions.filtered(
                lambda e, p=payments[name]: (e.res_model, e.res_id) == (p._name, p.id)
            )
            self.assertEqual(len(linked), 1, name)
            self.assertEqual(
                {(link.res_model, link.res_id) for link in linked.link_ids},
                {
                    (payments[name]._name, payments[name].id),
                    ("interop.visit", payments[name].visit_id.id),
                },
            )
        self.assertRecordValues(
            self._payments(),
            [
                {"settlement_state": "mismatch"},
                {"settlement_state": "mismatch"},
                {"settlement_state": "settled"},
                {"settlement_state": "settled"},
                {"settlement_state": "missing"},
            ],
        )
        self.assertEqual(self._visit("V-T1").state, "paid")
        self.assertEqual(self._visit("V-T3").state, "reconciled")

    def test_a_report_read_twice_settles_nothing_twice(self):
        first = self.gateway._reconcile_settlement(self._mismatch_report())
        settled = {p.name: p.date_settled for p in self._payments()}
        with freeze_time(fields.Datetime.now() + timedelta(hours=2)):
            again = self.gateway._reconcile_settlement(self._mismatch_report())
        self.assertEqual(again, first)
        self.assertEqual(self._settlement_exceptions(), first)
        self.assertEqual({p.name: p.date_settled for p in self._payments()}, settled)

    def test_a_partial_report_reports_the_rest_missing_until_a_report_lists_it(self):
        exceptions = self.gateway._reconcile_settlement(
            [self._row(visit) for visit in BUSY_DAY[:3]]
        )
        self.assertEqual(len(exceptions), 2)
        self.assertTrue(
            all("missing from the report" in n for n in exceptions.mapped("name"))
        )
        # the gateway settles the two late payments with the next day's report
        tomorrow = fields.Date.to_string(fields.Date.today() + timedelta(days=1))
        late = self.gateway._reconcile_settlement(
            [self._row(visit, date=tomorrow) for visit in BUSY_DAY[3:]]
        )
        self.assertFalse(late)
        self.assertEqual(set(exceptions.mapped("state")), {"resolved"})
        self.assertRecordValues(
            self._payments()[3:],
            [{"settlement_state": "settled", "settlement_ref": tomorrow}] * 2,
        )
        self.assertEqual(self._visit("V-T5").state, "reconciled")

    def test_a_payment_listed_again_in_another_report_is_an_exception(self):
        self.gateway._reconcile_settlement(self._busy_day_report())
        tomorrow = fields.Date.to_string(fields.Date.today() + timedelta(days=1))
        exceptions = self.gateway._reconcile_settlement(
            [self._row("V-T2", date=tomorrow, payout="po-2")]
        )
        self.assertEqual(len(exceptions), 1)
        self.assertIn("already settled in", exceptions.name)
        self.assertIn("payout po-2", exceptions.name)

    def test_an_unreadable_line_is_one_exception_and_the_rest_is_reconciled(self):
        report = self._busy_day_report() + [
            {"id": "pay-x", "amount": "a lot"},
            self._row(payment_id="pay-y", currency="Patient paid in cash"),
            self._fee() | {"payment_id": {"visit": "V-T1"}},
        ]
        exceptions = self.gateway._reconcile_settlement(report)
        self.assertEqual(
            exceptions.mapped("name"),
            [
                f"Settlement of {self.gateway.name}: line {line} of the report cannot "
                f"be read ({problem})."
                for line, problem in (
                    (7, "no amount"),
                    (8, "no currency"),
                    (9, "no payment id"),
                )
            ],
        )
        for exception in exceptions:
            self.assertNotIn("a lot", exception.description)
            self.assertNotIn("cash", exception.description)
        self.assertEqual(set(self._payments().mapped("settlement_state")), {"settled"})

    def test_attack_manager_marks_a_payment_missing_from_the_report_settled(self):
        self.gateway._reconcile_settlement([self._row(v) for v in BUSY_DAY[:4]])
        missing = self._payments().filtered(lambda p: p.settlement_state == "missing")
        self.assertEqual(missing.name, "pay-V-T5")
        as_manager = missing.with_user(self.manager)
        for context in ({}, {"interop_revenue_settlement_write": True}):
            with self.assertRaises(AccessError):
                as_manager.with_context(**context).write(
                    {
                        "settlement_state": "settled",
                        "date_settled": fields.Datetime.now(),
                    }
                )
        self.assertRecordValues(
            missing, [{"settlement_state": "missing", "date_settled": False}]
        )
        self.assertEqual(self._visit("V-T5").state, "paid")

    def test_the_old_daily_action_that_read_nothing_is_gone(self):
        self.assertFalse(
            self.env.ref(
                "interop_revenue.ir_cron_interop_settlement_reconciliation",
                raise_if_not_found=False,
            )
        )
        self.assertFalse(
            self.env["ir.cron"]
            .with_context(active_test=False)
            .search([("code", "ilike", "_cron_reconcile_settlement")])
        )
