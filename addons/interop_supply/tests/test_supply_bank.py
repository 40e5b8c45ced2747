# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.interop_outbound.tests.common import Answer

from .common import SupplyCase

CAMT_ENTRY = """
<Ntry><NtryRef>{key}</NtryRef><Amt Ccy="{currency}">{amount:.2f}</Amt>
<CdtDbtInd>{direction}</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{date}</Dt></BookgDt>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{debtor}</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""


@tagged("post_install", "-at_install")
class TestSupplyBank(SupplyCase):
    """The bank's CAMT.053 statements, pulled by a sync from a real server on
    127.0.0.1, matched with the open invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sync = cls.env["interop.sync"].create(
            {
                "name": "Test bank statements",
                "endpoint_id": cls.bank.id,
                "direction": "pull",
                "resource_path": "/statements",
                "pull_handler": "camt053",
                "bank_journal_id": cls.bank_journal.id,
                "is_scheduled": False,
            }
        )

    def _camt(self, *entries, statement="STMT-1"):
        today = fields.Date.to_string(fields.Date.today())
        body = "".join(
            CAMT_ENTRY.format(
                key=entry.get("key", f"E{index}"),
                amount=abs(entry["amount"]),
                currency=entry.get("currency", self.currency.name),
                direction="DBIT" if entry["amount"] < 0 else "CRDT",
                date=today,
                debtor=entry.get("debtor", "SOMEONE"),
                text=entry.get("text", ""),
            )
            for index, entry in enumerate(entries)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
            f"<BkToCstmrStmt><Stmt><Id>{statement}</Id>{body}</Stmt></BkToCstmrStmt>"
            "</Document>"
        )

    def _pull(self, *entries, statement="STMT-1"):
        self.remote.answer(
            "/bank/statements",
            Answer(
                body={
                    "items": [
                        {
                            "id": statement,
                            "camt053": self._camt(*entries, statement=statement),
                        }
                    ],
                    "next_cursor": statement,
                    "has_more": False,
                }
            ),
        )
        run = self.sync._run()
        self.env.invalidate_all()
        return run

    def _invoice(self, partner, amount, reference=False):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "payment_reference": reference,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Supplies",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": False,
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _st_line(self, key):
        return self.env["account.bank.statement.line"].search(
            [("interop_import_key", "=like", f"%:{key}")]
        )

    def test_line_matched_by_payment_reference_reconciles_the_order_invoice(self):
        self._send(self.shop, "order.received", self._order_payload())
        for status in ("shipped", "delivered"):
            self._send(
                self.logistics, "dispatch.status", self._status_payload(status=status)
            )
        order = self._order()
        invoice = order.invoice_id
        run = self._pull({"key": "B1", "amount": 20.0, "text": "PAY-T-100 thanks"})
        self.assertEqual(run.state, "done")
        self.assertEqual(
            (run.read_count, run.updated_count, run.failed_count), (1, 1, 0)
        )
        self.assertEqual(invoice.payment_state, "paid")
        self.assertTrue(self._st_line("B1").is_reconciled)
        self.assertEqual(order.state, "reconciled")
        self.assertTrue(order.date_paid and order.date_reconciled)
        # the same statement read again imports nothing twice
        self._pull({"key": "B1", "amount": 20.0, "text": "PAY-T-100 thanks"})
        self.assertEqual(len(self._st_line("B1")), 1)

    def test_line_matched_by_amount_and_customer(self):
        partner = self.env["res.partner"].create({"name": "Harbor View Clinic"})
        invoice = self._invoice(partner, 55.0)
        self._invoice(partner, 70.0)
        self._pull({"key": "B2", "amount": 55.0, "debtor": "Harbor View Clinic"})
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self._st_line("B2").partner_id, partner)

    def test_attack_payment_in_another_currency_pays_an_invoice(self):
        # 55 of another currency is not 55 of the journal's: it pays nothing
        partner = self.env["res.partner"].create({"name": "Harbor View Clinic"})
        invoice = self._invoice(partner, 55.0)
        other = "USD" if self.currency.name != "USD" else "EUR"
        run = self._pull(
            {
                "key": "B9",
                "amount": 55.0,
                "debtor": "Harbor View Clinic",
                "text": invoice.name,
                "currency": other,
            }
        )
        self.assertEqual(run.failed_count, 1)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertFalse(self._st_line("B9"))
        exception = self.assertOpenException(
            self.finance_owner,
            "business_rule",
            res_model="account.journal",
            res_id=self.bank_journal.id,
        )
        self.assertIn(f"55.0 {other}", exception.name)

    def test_unmatched_line_is_a_reconciliation_exception_for_finance(self):
        run = self._pull({"key": "B3", "amount": 99.0, "text": "NO IDEA"})
        self.assertEqual(run.failed_count, 1)
        line = self._st_line("B3")
        self.assertTrue(line)
        self.assertFalse(line.is_reconciled)
        exception = self.assertOpenException(
            self.finance_owner, "business_rule", res_model=line._name, res_id=line.id
        )
        self.assertIn("matches no open invoice", exception.name)

    def test_ambiguous_line_is_an_exception_and_reconciles_nothing(self):
        partner = self.env["res.partner"].create({"name": "Twin Oaks Home"})
        first = self._invoice(partner, 30.0)
        second = self._invoice(partner, 30.0)
        self._pull({"key": "B4", "amount": 30.0, "debtor": "Twin Oaks Home"})
        self.assertEqual((first | second).mapped("payment_state"), ["not_paid"] * 2)
        line = self._st_line("B4")
        exception = self.assertOpenException(
            self.finance_owner, "business_rule", res_model=line._name, res_id=line.id
        )
        self.assertIn("could pay 2 open invoices", exception.name)

    def test_debit_line_is_recorded_without_exception(self):
        run = self._pull({"key": "B5", "amount": -12.0, "text": "BANK FEES"})
        self.assertEqual((run.read_count, run.failed_count), (1, 0))
        self.assertEqual(self._st_line("B5").amount, -12.0)

    def test_document_that_is_not_camt_is_an_exception(self):
        self.remote.answer(
            "/bank/statements",
            Answer(body={"items": [{"id": "BAD", "camt053": "<not-camt/>"}]}),
        )
        run = self.sync._run()
        self.assertEqual(run.failed_count, 1)
        self.assertOpenException(
            self.finance_owner, "business_rule", endpoint_id=self.bank.id
        )
