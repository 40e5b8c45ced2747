# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from collections import namedtuple

from lxml import etree

from odoo import fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import escape_psql, float_compare

from odoo.addons.interop.errors import unkept_error_detail

from ..errors import BankLineUnmatched

OPEN_PAYMENT_STATES = ("not_paid", "partial")

BankEntry = namedtuple(
    "BankEntry",
    "key statement date amount currency reference text debtor_name debtor_iban",
)


def _text(node, path):
    found = node.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def parse_camt053(document):
    """The credit and debit entries of a CAMT.053 (ISO 20022 bank-to-customer
    statement) document, whatever its version's namespace.

    :raise ValueError: the document is not a CAMT.053 statement
    """
    if isinstance(document, str):
        document = document.encode()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(document, parser=parser)
    except etree.XMLSyntaxError as error:
        raise ValueError("not well-formed XML") from error
    statements = list(root.iter("{*}Stmt"))
    if not statements:
        raise ValueError("no statement (Stmt) in the document")
    entries = []
    for statement in statements:
        statement_id = _text(statement, "{*}Id")
        for index, entry in enumerate(statement.iter("{*}Ntry"), start=1):
            amount_node = entry.find("{*}Amt")
            if amount_node is None or not amount_node.text:
                raise ValueError("an entry has no amount")
            amount = float(amount_node.text)
            if _text(entry, "{*}CdtDbtInd") == "DBIT":
                amount = -amount
            date = _text(entry, "{*}BookgDt/{*}Dt") or _text(entry, "{*}ValDt/{*}Dt")
            details = entry.find("{*}NtryDtls/{*}TxDtls")
            details = details if details is not None else entry
            reference = _text(
                details, "{*}RmtInf/{*}Strd/{*}CdtrRefInf/{*}Ref"
            ) or _text(details, "{*}Refs/{*}EndToEndId")
            text = " ".join(
                node.text.strip()
                for node in details.iterfind("{*}RmtInf/{*}Ustrd")
                if node.text
            )
            key = (
                _text(entry, "{*}AcctSvcrRef")
                or _text(entry, "{*}NtryRef")
                or f"{statement_id}/{index}"
            )
            entries.append(
                BankEntry(
                    key=key,
                    statement=statement_id,
                    date=date[:10],
                    amount=amount,
                    currency=amount_node.get("Ccy"),
                    reference=reference,
                    text=text,
                    debtor_name=_text(details, "{*}RltdPties/{*}Dbtr/{*}Nm")
                    or _text(details, "{*}RltdPties/{*}Dbtr/{*}Pty/{*}Nm"),
                    debtor_iban=_text(
                        details, "{*}RltdPties/{*}DbtrAcct/{*}Id/{*}IBAN"
                    ),
                )
            )
    return entries


class InteropSync(models.Model):
    """The bank's CAMT.053 statements, pulled by a sync and matched with the open
    customer invoices; what does not match is finance's exception."""

    _inherit = "interop.sync"

    pull_handler = fields.Selection(
        selection_add=[("camt053", "Bank Statements (CAMT.053)")],
        ondelete={"camt053": "set default"},
    )
    bank_journal_id = fields.Many2one(
        "account.journal",
        tracking=True,
        check_company=True,
        domain="[('type', '=', 'bank')]",
        help="Bank statements: the journal the statement lines are recorded in.",
    )

    def _get_interop_governed_fields(self):
        return super()._get_interop_governed_fields() + ("bank_journal_id",)

    def _pull_process_page(self, run, message, page):
        if self.pull_handler != "camt053":
            return super()._pull_process_page(run, message, page)
        return self._pull_process_statement_page(run, message, page)

    def _pull_process_statement_page(self, run, message, page):
        """Import the statements of one page, entry by entry (each in a savepoint);
        an entry imported before is skipped, so a page read twice imports nothing
        twice. Returns whether more remains."""
        counts = {"read": 0, "created": 0, "updated": 0, "failed": 0}
        for index, item in enumerate(page["items"]):
            label = self.env._(
                "statement %(statement)s",
                statement=(item or {}).get("id") or f"#{index + 1}",
            )
            try:
                entries = parse_camt053((item or {}).get("camt053") or "")
            except (ValueError, TypeError, AttributeError) as error:
                self._record_failure(
                    run,
                    BankLineUnmatched(
                        self.env._(
                            "%(sync)s: %(item)s is not a CAMT.053 statement.",
                            sync=self.name,
                            item=label,
                        ),
                        detail=unkept_error_detail(self.env, error),
                    ),
                    label,
                    message=message,
                )
                counts["failed"] += 1
                continue
            for entry in entries:
                counts["read"] += 1
                try:
                    with self.env.cr.savepoint():
                        outcome = self._import_bank_entry(run, message, entry)
                except (UserError, ValidationError, ValueError, TypeError) as error:
                    # that entry's failure (e.g. booked on 30 February), the others
                    # are imported: kept as its type, never its text (it quotes
                    # the entry's values)
                    self._record_failure(
                        run,
                        error,
                        self.env._("bank line %(line)s", line=entry.key),
                        message=message,
                    )
                    outcome = "failed"
                if outcome != "read":
                    counts[outcome] += 1
        run._add_counts(
            read=counts["read"],
            created=counts["created"],
            updated=counts["updated"],
            failed=counts["failed"],
        )
        cursor = page.get("next_cursor")
        if cursor:
            self._advance_watermark(str(cursor))
        return bool(page.get("has_more")) and bool(cursor) and bool(page["items"])

    def _import_camt_document(self, document, label="upload"):
        """Import one CAMT.053 document handed over outside a pull (a file a person
        received, the demo's statement), as a run of this sync."""
        self.ensure_one()
        run = (
            self.env["interop.sync.run"]
            .sudo()
            .create({"sync_id": self.id, "watermark_start": self.watermark})
        )
        page = {"items": [{"id": label, "camt053": document}]}
        with self.env.cr.savepoint():
            self._pull_process_statement_page(run, None, page)
        run._finish("done")
        return run

    def _bank_journal(self):
        self.ensure_one()
        # sudo: the sync's Run As user moves data, it does not keep the books
        return self.sudo().bank_journal_id or self.env["account.journal"].sudo().search(
            [("type", "=", "bank"), ("company_id", "=", self.company_id.id)], limit=1
        )

    def _import_bank_entry(self, run, message, entry):
        """Record one entry as a statement line; reconcile it with the invoice it
        pays, or tell finance why not. Returns created, updated (matched) or
        failed."""
        journal = self._bank_journal()
        # sudo: the bank's lines are recorded by Interop itself, not by the sync's
        # Run As user (which has no accounting rights)
        StLine = self.env["account.bank.statement.line"].sudo()
        unique = f"{self.endpoint_id.code}:{entry.statement}:{entry.key}"[:200]
        if StLine.search_count([("interop_import_key", "=", unique)], limit=1):
            return "read"
        kept = journal.currency_id or journal.company_id.currency_id
        if entry.currency and entry.currency != kept.name:
            # booked as the journal's currency it would be another sum of money
            error = BankLineUnmatched(
                self.env._(
                    "Bank line %(line)s of %(date)s (%(amount)s %(currency)s) is not "
                    "in %(kept)s, the currency of the journal %(journal)s: it is "
                    "neither recorded nor reconciled.",
                    line=entry.key,
                    date=entry.date,
                    amount=entry.amount,
                    currency=entry.currency,
                    kept=kept.name,
                    journal=journal.display_name,
                ),
                suggested_action=self.env._(
                    "Record the line in Accounting with its exchange rate, reconcile "
                    "it with the invoice it pays, then resolve this exception."
                ),
                records=journal,
            )
            self._record_failure(run, error, entry.key, message=message)
            return "failed"
        partner = self._bank_partner(entry)
        invoices, reason = self._match_invoices(entry, partner)
        vals = {
            "journal_id": journal.id,
            "date": entry.date or fields.Date.context_today(self),
            "amount": entry.amount,
            "payment_ref": entry.reference or entry.text or entry.key,
            "partner_id": partner.id,
            "partner_name": entry.debtor_name or False,
            "account_number": entry.debtor_iban or False,
            "interop_import_key": unique,
        }
        if len(invoices) == 1:
            invoice = invoices
            receivable = invoice.line_ids.filtered(
                lambda line: (
                    line.account_id.account_type == "asset_receivable"
                    and not line.reconciled
                )
            )
            vals.update(
                partner_id=invoice.commercial_partner_id.id,
                counterpart_account_id=receivable.account_id[:1].id,
            )
            st_line = StLine.create(vals)
            counterpart = st_line.move_id.line_ids.filtered(
                lambda line: line.account_id == receivable.account_id[:1]
            )
            (counterpart | receivable).reconcile()
            orders = (
                self.env["interop.supply.order"]
                .sudo()
                .search([("invoice_id", "=", invoice.id)])
            )
            orders._update_payment_milestones(reconciled=True)
            return "updated"
        st_line = StLine.create(vals)
        if entry.amount <= 0:
            # a debit: not a customer's payment, left for the bank reconciliation
            return "created"
        amount = self.env._(
            "%(amount)s %(currency)s", amount=entry.amount, currency=entry.currency
        )
        if invoices:
            summary = self.env._(
                "Bank line %(line)s of %(date)s (%(amount)s) could pay %(count)s open "
                "invoices (%(reason)s): it is not reconciled.",
                line=entry.key,
                date=entry.date,
                amount=amount,
                count=len(invoices),
                reason=reason,
            )
        else:
            summary = self.env._(
                "Bank line %(line)s of %(date)s (%(amount)s) matches no open invoice "
                "by payment reference, nor by amount and customer.",
                line=entry.key,
                date=entry.date,
                amount=amount,
            )
        error = BankLineUnmatched(
            summary,
            suggested_action=self.env._(
                "Find the invoice this payment is for and reconcile the statement "
                "line with it in Accounting, then resolve this exception."
            ),
            records=st_line,
        )
        self._record_failure(run, error, entry.key, message=message)
        return "failed"

    def _bank_partner(self, entry):
        """The customer who paid: by the account the money came from, else by name."""
        Partner = self.env["res.partner"].sudo()
        if entry.debtor_iban:
            sanitized = re.sub(r"\W+", "", entry.debtor_iban).upper()
            bank_account = (
                self.env["res.partner.bank"]
                .sudo()
                .search([("sanitized_acc_number", "=", sanitized)], limit=1)
            )
            if bank_account:
                return bank_account.partner_id.commercial_partner_id
        if entry.debtor_name:
            name = escape_psql(entry.debtor_name)
            found = Partner.search([("name", "=ilike", name)], limit=2)
            if len(found) == 1:
                return found.commercial_partner_id
        return Partner

    def _match_invoices(self, entry, partner):
        """(open invoices the entry may pay, how): by payment reference first, then
        by amount and customer."""
        Move = self.env["account.move"].sudo()
        base = [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", OPEN_PAYMENT_STATES),
            ("company_id", "=", self.company_id.id),
        ]
        if entry.amount <= 0:
            return Move, None
        tokens = {
            token
            for token in re.split(r"[\s,;]+", f"{entry.reference} {entry.text}")
            if len(token) >= 3
        }
        if tokens:
            by_reference = Move.search(
                base
                + [
                    "|",
                    ("payment_reference", "in", list(tokens)),
                    ("name", "in", list(tokens)),
                ]
            )
            if by_reference:
                return by_reference, self.env._("same payment reference")
        if not partner:
            return Move, None
        candidates = Move.search(
            base + [("commercial_partner_id", "=", partner.commercial_partner_id.id)]
        )
        same_amount = candidates.filtered(
            lambda move: (
                float_compare(
                    move.amount_residual,
                    entry.amount,
                    precision_rounding=move.currency_id.rounding,
                )
                == 0
            )
        )
        return same_amount, self.env._("same amount and customer")
