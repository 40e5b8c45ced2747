# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields
from odoo.tests import tagged

from .common import RevenueCase


@tagged("post_install", "-at_install")
class TestSettlementReconciliation(RevenueCase):
    def setUp(self):
        super().setUp()
        self._complete()
        self._pay()
        self.today = fields.Date.to_string(fields.Date.today())

    def _row(self, payment_id="pay-V-T1", amount=850.0, currency=None):
        return {
            "id": payment_id,
            "amount": amount,
            "currency": currency or self.currency.name,
            "date": self.today,
        }

    def test_matching_settlement_reconciles_the_visit(self):
        exceptions = self.gateway._reconcile_settlement([self._row()])
        self.assertFalse(exceptions)
        visit = self._visit()
        self.assertTrue(visit.payment_ids.date_settled)
        self.assertEqual(visit.state, "reconciled")
        self.assertTrue(visit.date_reconciled)

    def test_each_mismatch_is_one_exception_for_finance(self):
        exceptions = self.gateway._reconcile_settlement(
            [self._row(amount=840.0), self._row(payment_id="pay-ghost", amount=10.0)]
        )
        self.assertEqual(len(exceptions), 2)
        self.assertEqual(exceptions.user_id, self.finance_owner)
        self.assertEqual(
            exceptions.category_id,
            self.env.ref("interop.exception_category_business_rule"),
        )
        self.assertEqual(exceptions.activity_ids.user_id, self.finance_owner)
        self.assertEqual(self._visit().state, "paid")
        # the same report again does not open the same exceptions twice
        again = self.gateway._reconcile_settlement(
            [self._row(amount=840.0), self._row(payment_id="pay-ghost", amount=10.0)]
        )
        self.assertEqual(again, exceptions)

    def test_payment_missing_from_the_report_is_an_exception(self):
        exceptions = self.gateway._reconcile_settlement(
            [self._row(payment_id="pay-other", amount=5.0)]
        )
        self.assertEqual(len(exceptions), 2)
        self.assertTrue(any("missing" in name for name in exceptions.mapped("name")))

    def test_currency_mismatch_is_an_exception(self):
        exceptions = self.gateway._reconcile_settlement([self._row(currency="XXX")])
        self.assertEqual(len(exceptions), 1)

    def test_cron_reads_the_report_hook(self):
        self.assertTrue(self.env["interop.visit.payment"]._cron_reconcile_settlement())

    def test_administrator_runs_the_reconciliation_manually(self):
        self.assertRunsManually(
            "interop_revenue.ir_cron_interop_settlement_reconciliation"
        )


@tagged("post_install", "-at_install")
class TestSettlementSync(RevenueCase):
    """The daily settlement report arrives through a pull sync of the gateway."""

    def test_a_pulled_page_is_reconciled_row_by_row(self):
        self._complete()
        self._pay()
        sync = self.env["interop.sync"].create(
            {
                "name": "Settlement",
                "endpoint_id": self.gateway.id,
                "direction": "pull",
                "resource_path": "/settlements",
                "pull_handler": "settlement",
            }
        )
        run = self.env["interop.sync.run"].create({"sync_id": sync.id})
        message = self.env["interop.message"]._log_message(
            self.gateway, None, {}, direction="outbound"
        )
        today = fields.Date.to_string(fields.Date.today())
        currency = self.currency.name
        page = {
            "items": [
                {
                    "id": "pay-V-T1",
                    "amount": 850.0,
                    "currency": currency,
                    "date": today,
                },
                {
                    "id": "pay-unknown",
                    "amount": 12.0,
                    "currency": currency,
                    "date": today,
                },
            ],
            "next_cursor": "2026-11-25",
            "has_more": False,
        }
        sync._pull_process_page(run, message, page)
        self.assertRecordValues(
            run, [{"read_count": 2, "updated_count": 1, "failed_count": 1}]
        )
        self.assertEqual(sync.watermark, "2026-11-25")
