# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class InteropSync(models.Model):
    """The gateway's settlement report, pulled by a sync, reconciled report by report
    (one report per settlement date), however many pages it spans."""

    _inherit = "interop.sync"

    pull_handler = fields.Selection(
        selection_add=[("settlement", "Settlement Report")],
        ondelete={"settlement": "set default"},
    )
    settlement_open_date = fields.Char(
        string="Settlement Report Read in Part",
        readonly=True,
        copy=False,
        # the sync's own bookkeeping: no Interop user writes it (a made-up date would
        # report that day's payments missing before its report is read)
        groups="base.group_system",
        help="Settlement date whose report continues on the next page: the payments "
        "it does not list are reported missing once it has been read to its end.",
    )

    def _pull_process_page(self, run, message, page):
        if self.pull_handler != "settlement":
            return super()._pull_process_page(run, message, page)
        return self._pull_process_settlement_page(run, page)

    def _pull_process_settlement_page(self, run, page):
        """Reconcile one page of settlement lines; return whether more remains.

        The lines of a page are reconciled together, report by report. A report
        still going on at the end of the page (more pages follow and its date is
        the page's last) is complete only once a later page has moved past it:
        until then, no payment of its date is reported missing.
        """
        items = page["items"]
        if page.get("total") and not run.total_count:
            run.total_count = run.done_count + int(page["total"])
        cursor = page.get("next_cursor")
        has_more = bool(page.get("has_more")) and bool(cursor) and bool(items)
        Payment = self.env["interop.visit.payment"]
        dates = []
        for item in items:
            if Payment._settlement_line_problem(item) is None:
                date = fields.Date.to_string(fields.Date.to_date(item["date"]))
                if date not in dates:
                    dates.append(date)
        # sudo: the sync's own bookkeeping field (administrators only)
        was_open = self.sudo().settlement_open_date
        still_open = (dates[-1] if dates else was_open) if has_more else False
        complete = set(dates)
        if was_open:
            complete.add(was_open)
        complete.discard(still_open)
        outcome = Payment._settlement_reconcile_lines(
            self.endpoint_id, items, complete_dates=complete
        )
        run._add_counts(read=len(items), updated=outcome.settled, failed=outcome.failed)
        for summary in outcome.errors:
            run._add_error(summary)
        self.sudo().settlement_open_date = still_open
        if cursor:
            self._advance_watermark(str(cursor))
        return has_more
