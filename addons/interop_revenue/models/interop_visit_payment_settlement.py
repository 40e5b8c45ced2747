# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.tools import float_compare

from odoo.addons.interop.errors import BusinessRuleError

from .interop_visit_payment import CAPTURED, PAYMENT_EVENT

_logger = logging.getLogger(__name__)

#: kinds of settlement report lines: a payment settled, the gateway's fee for one
PAYMENT_LINE = "payment"
FEE_LINE = "fee"
#: what a report line names a currency, a payment or a payout with (what the
#: exceptions repeat of it, nothing longer)
CURRENCY_CODE = re.compile(r"[A-Za-z]{3}")
REFERENCE_MAX_LENGTH = 100


def _is_reference(value, required=True):
    """Whether ``value`` is a gateway's id (payment, fee line, payout)."""
    if value is None and not required:
        return True
    return (
        isinstance(value, str)
        and bool(value.strip())
        and len(value) <= REFERENCE_MAX_LENGTH
    )


@dataclass
class SettlementReport:
    """One settlement report: a gateway's settlement of one date."""

    endpoint: object
    event_type: object
    date: str

    def ref(self, line):
        """The report as stored on the payments it settles (date, payout)."""
        payout = line.get("payout")
        return f"{self.date} / {payout}" if payout else self.date

    def label(self, env, line=None):
        payout = (line or {}).get("payout")
        if not self.date:
            return env._("Settlement of %(endpoint)s", endpoint=self.endpoint.name)
        if payout:
            return env._(
                "Settlement of %(endpoint)s of %(date)s (payout %(payout)s)",
                endpoint=self.endpoint.name,
                date=self.date,
                payout=payout,
            )
        return env._(
            "Settlement of %(endpoint)s of %(date)s",
            endpoint=self.endpoint.name,
            date=self.date,
        )


@dataclass
class SettlementOutcome:
    """What reconciling settlement lines did, for the sync run's counters."""

    exceptions: object
    settled: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list = field(default_factory=list)


class InteropVisitPayment(models.Model):
    """The reconciliation of the gateway's settlement reports with its payments."""

    _inherit = "interop.visit.payment"  # pylint: disable=consider-merging-classes-inherited

    # Settlement reconciliation
    #
    # The gateway's settlement report is reconciled as a whole, one report per
    # gateway and settlement date: each reported payment is matched once, and the
    # payments captured that day that the report does not list are missing. What the
    # report said of a payment is kept on it (settlement_state, settlement_ref), so
    # that a report read again (twice, or after a crash) settles nothing twice and
    # opens no exception twice, and a report read over several pages is complete.

    @api.model
    def _reconcile_settlement(self, report_rows, endpoint, event_type=None):
        """Reconcile the complete settlement reports in ``report_rows`` with the
        payments of the gateway ``endpoint``; return the exceptions of the mismatches
        (one per mismatch, those opened by an earlier read included).

        A row is ``{"id", "amount", "currency", "date"}`` (a payment of the report,
        ``"type": "payment"``), or ``{"type": "fee", "id", "payment_id", "amount",
        "currency", "date"}`` (the gateway's fee for a payment); ``"payout"`` names
        the payout, when the gateway gives it.
        """
        return self._settlement_reconcile_lines(endpoint, report_rows).exceptions

    @api.model
    def _settlement_reconcile_lines(self, endpoint, lines, complete_dates=None):
        """Reconcile settlement ``lines`` report by report (settlement date).

        ``complete_dates``: the reports whose lines have all been read, for which
        the payments not listed are missing (by default, every report in
        ``lines``). Returns the SettlementOutcome.
        """
        outcome = SettlementOutcome(exceptions=self.env["interop.exception"])
        event_type = self.env["interop.event.type"]._find(PAYMENT_EVENT)
        reports = {}
        for index, line in enumerate(lines):
            problem = self._settlement_line_problem(line)
            if problem:
                report = SettlementReport(endpoint, event_type, None)
                self._settlement_fail(
                    outcome,
                    report,
                    self.env._(
                        "Settlement of %(endpoint)s: line %(line)s of the report "
                        "cannot be read (%(problem)s).",
                        endpoint=endpoint.name,
                        line=index + 1,
                        problem=problem,
                    ),
                    self.env._(
                        "Ask the gateway to correct its report; the other lines are "
                        "reconciled."
                    ),
                )
                continue
            date = fields.Date.to_string(fields.Date.to_date(line["date"]))
            reports.setdefault(date, []).append(line)
        if complete_dates is None:
            complete_dates = set(reports)
        for date, report_lines in reports.items():
            self._settlement_reconcile_report(
                outcome, SettlementReport(endpoint, event_type, date), report_lines
            )
        for date in sorted(complete_dates):
            self._settlement_check_missing(
                outcome, SettlementReport(endpoint, event_type, date)
            )
        _logger.info(
            "Settlement of endpoint %s: %s lines, %s settled, %s mismatches",
            endpoint.id,
            len(lines),
            outcome.settled,
            outcome.failed,
        )
        return outcome

    @api.model
    def _settlement_line_problem(self, line):
        """Why a settlement line cannot be read, in words (no values), or None."""
        if not isinstance(line, dict):
            return self.env._("not a line")
        if line.get("type", PAYMENT_LINE) not in (PAYMENT_LINE, FEE_LINE):
            return self.env._("unknown line type")
        if not _is_reference(line.get("id")):
            return self.env._("no id")
        if line.get("type") == FEE_LINE and not _is_reference(
            line.get("payment_id"), required=False
        ):
            return self.env._("no payment id")
        if not _is_reference(line.get("payout"), required=False):
            return self.env._("no payout id")
        amount = line.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            return self.env._("no amount")
        currency = line.get("currency")
        if not isinstance(currency, str) or not CURRENCY_CODE.fullmatch(currency):
            return self.env._("no currency")
        try:
            if not fields.Date.to_date(line.get("date")):
                return self.env._("no settlement date")
        except (ValueError, TypeError):
            return self.env._("no settlement date")
        return None

    def _settlement_reconcile_report(self, outcome, report, lines):
        """Match the lines of one report (or of one page of it) with the payments."""
        payment_lines = [line for line in lines if line.get("type") != FEE_LINE]
        fee_lines = [line for line in lines if line.get("type") == FEE_LINE]
        names = {line["id"] for line in payment_lines} | {
            line["payment_id"] for line in fee_lines if line.get("payment_id")
        }
        payments = {
            payment.name: payment
            for payment in self.search(
                [
                    ("endpoint_id", "=", report.endpoint.id),
                    ("name", "in", list(names)),
                ]
            )
        }
        seen = set()
        for line in payment_lines:
            self._settlement_match_payment_line(
                outcome, report, line, payments.get(line["id"]), seen
            )
        for line in fee_lines:
            self._settlement_match_fee_line(
                outcome, report, line, payments.get(line.get("payment_id")), seen
            )

    def _settlement_admit_line(self, outcome, report, line, payment, seen):
        """Whether a line of the report is matched with ``payment``: listed once,
        for a payment Odoo captured. Otherwise its one exception is opened."""
        is_fee = line.get("type") == FEE_LINE
        key = (FEE_LINE if is_fee else PAYMENT_LINE, line["id"])
        label = report.label(self.env, line)
        reported = self._settlement_amount(
            abs(line["amount"]) if is_fee else line["amount"], line["currency"]
        )
        if key in seen:
            if is_fee:
                summary = self.env._(
                    "%(report)s: fee line %(fee)s is listed twice (%(amount)s).",
                    report=label,
                    fee=line["id"],
                    amount=reported,
                )
                action = self.env._(
                    "Check with the gateway that the fee is not charged twice."
                )
            else:
                summary = self.env._(
                    "%(report)s: payment %(payment)s is listed twice (%(amount)s).",
                    report=label,
                    payment=line["id"],
                    amount=reported,
                )
                action = self.env._(
                    "Check with the gateway that the payout does not pay it twice; "
                    "the payment was settled once."
                )
        else:
            seen.add(key)
            if payment and payment.status == CAPTURED:
                return True
            if is_fee:
                summary = self.env._(
                    "%(report)s: fee line %(fee)s (%(amount)s) is for payment "
                    "%(payment)s, which Odoo has no captured payment for.",
                    report=label,
                    fee=line["id"],
                    amount=reported,
                    payment=line.get("payment_id") or "-",
                )
                action = self.env._(
                    "Ask the gateway which payment the fee is for, and to correct "
                    "its report."
                )
            else:
                summary = self.env._(
                    "%(report)s: payment %(payment)s (%(amount)s) is settled by the "
                    "gateway but Odoo has no captured payment with this id.",
                    report=label,
                    payment=line["id"],
                    amount=reported,
                )
                action = self.env._(
                    "Look the payment up in the gateway's portal: if its capture "
                    "never reached Odoo, have the gateway send it again; otherwise "
                    "ask the gateway to correct the report."
                )
        self._settlement_fail(outcome, report, summary, action, payment)
        return False

    def _settlement_match_payment_line(self, outcome, report, line, payment, seen):
        if not self._settlement_admit_line(outcome, report, line, payment, seen):
            return None
        label = report.label(self.env, line)
        reported = self._settlement_amount(line["amount"], line["currency"])
        captured = self._settlement_amount(payment.amount, payment.currency_id.name)
        mismatch = None
        if line["currency"].upper() != payment.currency_id.name:
            mismatch = self.env._(
                "%(report)s: payment %(payment)s is settled in %(currency)s "
                "(%(amount)s), Odoo captured %(captured)s.",
                report=label,
                payment=line["id"],
                currency=line["currency"],
                amount=reported,
                captured=captured,
            )
        elif float_compare(
            line["amount"],
            payment.amount,
            precision_rounding=payment.currency_id.rounding,
        ):
            mismatch = self.env._(
                "%(report)s: payment %(payment)s is settled for %(amount)s, Odoo "
                "captured %(captured)s.",
                report=label,
                payment=line["id"],
                amount=reported,
                captured=captured,
            )
        if mismatch:
            if payment.settlement_state != "settled":
                payment._settlement_write(
                    {
                        "settlement_state": "mismatch",
                        "settlement_ref": report.ref(line),
                    }
                )
            return self._settlement_fail(
                outcome,
                report,
                mismatch,
                self.env._(
                    "Compare the payment with the gateway's portal: have the gateway "
                    "correct its settlement, or correct the payment in Accounting; "
                    "then resolve this exception."
                ),
                payment,
            )
        if payment.date_settled:
            if payment.settlement_ref == report.ref(line):
                outcome.unchanged += 1  # this report, read again
                return None
            return self._settlement_fail(
                outcome,
                report,
                self.env._(
                    "%(report)s: payment %(payment)s (%(amount)s) was already "
                    "settled in %(settled)s.",
                    report=label,
                    payment=line["id"],
                    amount=reported,
                    settled=payment.settlement_ref or "-",
                ),
                self.env._(
                    "Check with the gateway that it does not pay the payment twice."
                ),
                payment,
            )
        self._settlement_settle(payment, report.ref(line))
        outcome.settled += 1
        return None

    def _settlement_match_fee_line(self, outcome, report, line, payment, seen):
        if not self._settlement_admit_line(outcome, report, line, payment, seen):
            return None
        label = report.label(self.env, line)
        reported = self._settlement_amount(abs(line["amount"]), line["currency"])
        recorded = self._settlement_amount(payment.fees, payment.currency_id.name)
        if line["currency"].upper() != payment.currency_id.name or float_compare(
            abs(line["amount"]),
            payment.fees,
            precision_rounding=payment.currency_id.rounding,
        ):
            return self._settlement_fail(
                outcome,
                report,
                self.env._(
                    "%(report)s: fee line %(fee)s charges %(amount)s for payment "
                    "%(payment)s, the gateway announced %(recorded)s.",
                    report=label,
                    fee=line["id"],
                    amount=reported,
                    payment=payment.name,
                    recorded=recorded,
                ),
                self.env._(
                    "Check the fee against the gateway's contract and have the "
                    "gateway refund the difference, or book it in Accounting; then "
                    "resolve this exception."
                ),
                payment,
            )
        outcome.unchanged += 1
        return None

    def _settlement_check_missing(self, outcome, report):
        """The payments captured on the report's date that no report listed."""
        start = datetime.combine(fields.Date.to_date(report.date), time.min)
        missing = self.search(
            [
                ("endpoint_id", "=", report.endpoint.id),
                ("status", "=", CAPTURED),
                # not listed by any report read so far (missing ones again: the
                # report read again finds their exception)
                ("settlement_state", "in", [False, "missing"]),
                ("date_settled", "=", False),
                ("date_event", ">=", start),
                ("date_event", "<", start + timedelta(days=1)),
            ]
        )
        for payment in missing:
            if payment.settlement_state != "missing":
                payment._settlement_write({"settlement_state": "missing"})
            self._settlement_fail(
                outcome,
                report,
                self.env._(
                    "%(report)s: payment %(payment)s (%(amount)s), captured in Odoo, "
                    "is missing from the report.",
                    report=report.label(self.env),
                    payment=payment.name,
                    amount=self._settlement_amount(
                        payment.amount, payment.currency_id.name
                    ),
                ),
                self.env._(
                    "Ask the gateway when it settles the payment: it is settled (and "
                    "this exception resolved) when a later report lists it."
                ),
                payment,
            )

    def _settlement_settle(self, payment, ref):
        was_missing = payment.settlement_state == "missing"
        payment._settlement_write(
            {
                "date_settled": fields.Datetime.now(),
                "settlement_state": "settled",
                "settlement_ref": ref,
            }
        )
        payment.visit_id._update_reconciled_milestone()
        if was_missing:
            # sudo: the exceptions of this payment, closed by the settlement itself
            self.env["interop.exception"].sudo().search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "=", payment.id),
                    ("state", "in", ("open", "in_progress")),
                ]
            )._close(
                "resolved",
                self.env._("Settled in %(report)s.", report=ref),
            )

    @api.model
    def _settlement_amount(self, amount, currency_code):
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", (currency_code or "").upper())], limit=1)
        )
        digits = currency.decimal_places if currency else 2
        return f"{amount:.{digits}f} {currency_code}"

    def _settlement_fail(
        self, outcome, report, summary, suggested_action, payment=None
    ):
        """One exception per mismatch: a report read again finds the one it opened."""
        # sudo: the exception queue is written by the reconciliation, whoever runs it
        Exception_ = self.env["interop.exception"].sudo()
        exception = Exception_.search(
            [
                ("endpoint_id", "=", report.endpoint.id),
                ("name", "=", summary[:250]),
            ],
            limit=1,
        )
        if not exception:
            error = BusinessRuleError(
                summary,
                suggested_action=suggested_action,
                # the payment and the visit it pays
                records=[payment, payment.visit_id] if payment else None,
            )
            exception = Exception_._open(
                error, endpoint=report.endpoint, event_type=report.event_type
            )
        outcome.failed += 1
        outcome.exceptions |= exception.with_env(self.env)
        outcome.errors.append(summary)
        return exception
