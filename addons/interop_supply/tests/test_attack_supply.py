# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields
from odoo.tests import tagged

from odoo.addons.interop_outbound.tests.common import Answer

from .common import SupplyCase
from .test_supply_bank import CAMT_ENTRY


@tagged("post_install", "-at_install")
class TestAttackSupply(SupplyCase):
    """The supply flows attacked by the partner systems, over the gateway."""

    def _received(self, order="T-ATK"):
        message = self._send(self.shop, "order.received", self._order_payload(order))
        self.assertEqual(message.state, "done", message.last_error)
        return self._order(order)

    def test_attack_shop_reports_its_own_order_delivered(self):
        """Only the 3PL the delivery was handed to reports it: the shop's key (or
        a care location's) saying "delivered" ships and invoices nothing."""
        order = self._received()
        picking = order.sudo().picking_id
        self.assertEqual(order.state, "reserved")
        for endpoint in (self.shop, self.locations):
            with self.subTest(endpoint=endpoint.code):
                message = self._send(
                    endpoint,
                    "dispatch.status",
                    self._status_payload("T-ATK", "delivered", n=endpoint.id),
                )
                self.assertEqual(message.state, "failed")
                self.assertEqual(order.state, "reserved")
                self.assertFalse(order.dispatch_status)
                self.assertEqual(picking.state, "assigned")
                self.assertFalse(order.sudo().invoice_id)
        # the 3PL itself still does
        message = self._send(
            self.logistics,
            "dispatch.status",
            self._status_payload("T-ATK", "delivered"),
        )
        self.assertEqual(message.state, "done", message.last_error)
        self.assertEqual(order.state, "invoiced")


@tagged("post_install", "-at_install")
class TestAttackSupplyBank(SupplyCase):
    """The bank's statements, as its server answers them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sync = cls.env["interop.sync"].create(
            {
                "name": "Test attack bank statements",
                "endpoint_id": cls.bank.id,
                "direction": "pull",
                "resource_path": "/statements",
                "pull_handler": "camt053",
                "bank_journal_id": cls.bank_journal.id,
                "is_scheduled": False,
            }
        )

    def _entry(self, key, date, direction="CRDT"):
        return CAMT_ENTRY.format(
            key=key,
            amount=7.0,
            currency=self.currency.name,
            direction=direction,
            date=date,
            debtor="Jane Testpatient",
            text="",
        )

    def test_attack_bank_entry_with_an_impossible_date_stops_every_import(self):
        """One entry booked on 30 February (a bank's bug, or a forged statement)
        is that entry's exception for finance: the other entries are imported,
        the watermark moves on, and nothing is logged as an error (the date was
        quoted in the log by the run that crashed, and every later run crashed on
        the same page)."""
        today = fields.Date.to_string(fields.Date.today())
        camt = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
            "<BkToCstmrStmt><Stmt><Id>STMT-ATK</Id>"
            f"{self._entry('BAD-1', '2026-02-30')}"
            f"{self._entry('GOOD-1', today, 'DBIT')}"
            "</Stmt></BkToCstmrStmt></Document>"
        )
        self.remote.answer(
            "/bank/statements",
            Answer(
                body={
                    "items": [{"id": "STMT-ATK", "camt053": camt}],
                    "next_cursor": "STMT-ATK",
                    "has_more": False,
                }
            ),
        )
        run = self.sync._run()
        self.env.invalidate_all()
        self.assertEqual(run.state, "done")
        self.assertEqual((run.read_count, run.failed_count), (2, 1))
        self.assertEqual(self.sync.watermark, "STMT-ATK")
        StLine = self.env["account.bank.statement.line"]
        self.assertTrue(StLine.search([("interop_import_key", "=like", "%:GOOD-1")]))
        self.assertFalse(StLine.search([("interop_import_key", "=like", "%:BAD-1")]))
        exception = self.env["interop.exception"].search(
            [("endpoint_id", "=", self.bank.id), ("state", "=", "open")]
        )
        self.assertEqual(len(exception), 1)
        for text in ("2026-02-30", "Testpatient"):
            self.assertNotIn(text, exception.name)
            self.assertNotIn(text, exception.technical_detail or "")
            self.assertNotIn(text, run.errors or "")
