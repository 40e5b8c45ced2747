# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.interop_outbound.tests.common import Answer, RemoteServer

from ..models.interop_visit_payment_settlement import InteropVisitPayment
from .test_revenue_settlement import BUSY_DAY, SettlementCase

SETTLEMENT_PATH = "/api/settlements/daily"


def report_pages(lines, size=2):
    """The gateway's cursor pagination of its settlement lines: 'cN' starts at N."""

    def answer(request):
        start = int(request.query.get("cursor", "c0")[1:])
        page = lines[start : start + size]
        end = start + len(page)
        return Answer(
            200,
            {"items": page, "next_cursor": f"c{end}", "has_more": end < len(lines)},
        )

    return answer


class SettlementSyncCase(SettlementCase):
    """The gateway's settlement report, served by a real HTTP server on 127.0.0.1
    two lines a page, pulled by the gateway's settlement sync."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the calls' own short transactions run on the test's (as in HttpCase)
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.remote = RemoteServer().start()
        cls.addClassCleanup(cls.remote.stop)
        cls.gateway._interop_apply_write(
            {"base_url": cls.remote.url + "/api", "environment": "test"}
        )
        credential = cls.env["interop.credential"].create(
            {
                "name": "Gateway API key",
                "kind": "api_key",
                "endpoint_id": cls.gateway.id,
                "header_name": "X-Api-Key",
            }
        )
        credential._set_secret("gateway-api-key")
        cls.gateway._interop_apply_write({"outbound_credential_id": credential.id})
        cls.sync = cls.env["interop.sync"].create(
            {
                "name": "Gateway settlement",
                "endpoint_id": cls.gateway.id,
                "direction": "pull",
                "resource_path": "/settlements/daily",
                "pull_handler": "settlement",
                "chunk_size": 2,
            }
        )

    def setUp(self):
        super().setUp()
        self.remote.reset()
        self.addCleanup(self.remote.reset)

    def _serve(self, lines):
        self.remote.answer(SETTLEMENT_PATH, report_pages(lines))


@tagged("post_install", "-at_install")
class TestSettlementSync(SettlementSyncCase):
    def test_a_busy_day_over_several_pages_is_reconciled_as_a_whole(self):
        self._serve(self._busy_day_report())
        run = self.sync._run()
        self.assertRecordValues(
            run,
            [
                {
                    "state": "done",
                    "read_count": 6,
                    "updated_count": 5,
                    "failed_count": 0,
                    "errors": False,
                }
            ],
        )
        self.assertEqual(len(self.remote.requests_to(SETTLEMENT_PATH)), 3)
        self.assertFalse(self._settlement_exceptions())
        self.assertEqual(set(self._payments().mapped("settlement_state")), {"settled"})
        for visit in BUSY_DAY:
            self.assertEqual(self._visit(visit).state, "reconciled", visit)
        self.assertFalse(self.sync.settlement_open_date)

    def test_each_mismatch_counts_once_and_opens_one_exception(self):
        self._serve(self._mismatch_report())
        run = self.sync._run()
        exceptions = self._settlement_exceptions()
        self.assertEqual(len(exceptions), 6, exceptions.mapped("name"))
        self.assertEqual(exceptions.user_id, self.finance_owner)
        self.assertRecordValues(
            run, [{"read_count": 7, "updated_count": 2, "failed_count": 6}]
        )
        self.assertEqual(len(run.errors.splitlines()), 6)

    def test_a_report_read_again_settles_nothing_and_opens_nothing_twice(self):
        self._serve(self._mismatch_report())
        self.sync._run()
        exceptions = self._settlement_exceptions()
        settled = {p.name: p.date_settled for p in self._payments()}
        self.sync.watermark = False  # someone reads the report from its start
        run = self.sync._run()
        self.assertRecordValues(
            run, [{"read_count": 7, "updated_count": 0, "failed_count": 6}]
        )
        self.assertEqual(self._settlement_exceptions(), exceptions)
        self.assertEqual({p.name: p.date_settled for p in self._payments()}, settled)

    def test_a_run_that_crashed_midway_resumes_without_settling_twice(self):
        self._serve(self._busy_day_report())
        settle = InteropVisitPayment._settlement_settle

        def crash_on_third(model, payment, ref):
            if payment.name == "pay-V-T3":
                raise RuntimeError("worker killed")
            return settle(model, payment, ref)

        # not assertRaises: its savepoint would undo the page the sync committed
        crashed = False
        with patch.object(InteropVisitPayment, "_settlement_settle", crash_on_third):
            try:
                self.sync._run()
            except RuntimeError:
                crashed = True
        self.assertTrue(crashed)
        # the first page is kept; of the page in progress, nothing
        self.assertEqual(self.sync.watermark, "c2")
        self.assertEqual(
            self._payments().filtered("date_settled").mapped("name"),
            ["pay-V-T1", "pay-V-T2"],
        )
        stopped = self.sync.run_ids
        run = self.sync._run()
        self.assertEqual(stopped.state, "interrupted")
        self.assertRecordValues(
            run,
            [
                {
                    "state": "done",
                    "read_count": 4,
                    "updated_count": 3,
                    "failed_count": 0,
                }
            ],
        )
        self.assertFalse(self._settlement_exceptions())
        self.assertEqual(set(self._payments().mapped("settlement_state")), {"settled"})

    def test_a_report_cut_short_reports_its_missing_payments_once_read(self):
        lines = [self._row(visit) for visit in BUSY_DAY[:3]]
        self._serve(lines)
        run = self.sync._run()
        exceptions = self._settlement_exceptions()
        self.assertEqual(
            sorted(e.name.split("payment ")[1][:8] for e in exceptions),
            ["pay-V-T4", "pay-V-T5"],
        )
        self.assertRecordValues(
            run, [{"read_count": 3, "updated_count": 3, "failed_count": 2}]
        )

    def test_the_settlement_sync_runs_on_its_own_schedule(self):
        self._serve(self._busy_day_report())
        self.sync.write({"is_scheduled": True})
        cron = self.sync.cron_id
        self.assertRecordValues(
            cron,
            [{"active": True, "code": f"model._cron_run_sync({self.sync.id})"}],
        )
        self.assertRunsManually(cron)
        self.assertRecordValues(
            self.sync.last_run_id,
            [{"state": "done", "updated_count": 5, "failed_count": 0}],
        )
        self.assertEqual(self._visit("V-T5").state, "reconciled")

    def test_attack_manager_declares_a_report_read_to_its_end(self):
        """A made-up open date would report that day's payments missing early."""
        with self.assertRaises(AccessError):
            self.sync.with_user(self.manager).write(
                {"settlement_open_date": self.today}
            )
        with self.assertRaises(AccessError):
            self.sync.with_user(self.manager).read(["settlement_open_date"])
