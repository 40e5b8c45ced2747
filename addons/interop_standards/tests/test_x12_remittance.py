# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64
from decimal import Decimal

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import StandardsCase, data


@tagged("post_install", "-at_install")
class TestX12Remittance(StandardsCase):
    """A payer's 835, uploaded: validated by pyx12, balanced, its paid claims
    posted on their invoices through payment.status, denials and partial
    payments for the revenue owner."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        inline = cls.scheduling.with_context(queue_job__no_delay=True)
        for visit, codes in (
            ("V-835-1", ("70551",)),
            ("V-835-2", ("85025", "71260")),
            ("V-835-3", ("70551",)),
        ):
            inline._receive_event(
                "service.completed", cls._completed_payload(visit, codes)
            )
        cls.invoices = [
            cls.env["interop.visit"].search([("name", "=", name)]).invoice_id
            for name in ("V-835-1", "V-835-2", "V-835-3")
        ]
        cls.gateway_key = cls.env["interop.api.key"]._generate(
            cls.gateway, "Remittance test key"
        )[1]
        cls.manager = new_test_user(
            cls.env,
            login="era_manager",
            groups="interop.group_interop_manager,account.group_account_invoice",
        )

    def _era(self, bpr="1125.00", paid2="300.00", trace="EFT-T-0001", **extra):
        values = {
            "BPR": bpr,
            "TRACE": trace,
            "PAYER": "TEST HEALTH PLAN",
            "PAYEE": "TEST CLINIC",
            "INV1": self.invoices[0].name,
            "TOT1": "850.00",
            "INV2": self.invoices[1].name,
            "TOT2": "455.00",
            "PAID2": paid2,
            "PR2": "100.00",
            "CO2": "55.00",
            "INV3": self.invoices[2].name,
            "TOT3": "850.00",
            "PLB": "25.00",
            "PAT1": "TESTPERSON*AVERY",
            "PAT2": "TESTPERSON*BLAKE",
            "PAT3": "TESTPERSON*CAMERON",
            **extra,
        }
        text = data("era_835.template")
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        return text

    def _import(self, text, user=None):
        wizard = (
            self.env["interop.remittance.import"]
            .with_user(user or self.manager)
            .create(
                {
                    "endpoint_id": self.gateway.id,
                    "file": base64.b64encode(text.encode()),
                    "filename": "era.835",
                }
            )
        )
        wizard.action_import()
        return wizard

    def _run_payments(self, remittance):
        for message in remittance.claim_ids.payment_message_id:
            self._run_jobs(message)

    def test_balanced_era_posts_and_reconciles_the_paid_claims(self):
        wizard = self._import(self._era())
        self.assertEqual(wizard.state, "done", wizard.result)
        remittance = wizard.remittance_id
        self.assertRecordValues(
            remittance,
            [{"name": "EFT-T-0001", "amount": 1125.0, "amount_plb": 25.0}],
        )
        self.assertEqual(
            remittance.claim_ids.mapped("state"), ["paid", "partial", "denied"]
        )
        original = remittance.message_id
        self.assertEqual(original.event_type_id.code, "x12.remittance_835")
        self.assertEqual(original.state, "done")
        payments = remittance.claim_ids.payment_message_id
        self.assertEqual(len(payments), 2)
        self.assertEqual(set(payments.mapped("parent_id")), {original})
        self.assertEqual(
            set(payments.mapped("correlation_id")), {original.correlation_id}
        )
        self._run_payments(remittance)
        self.assertEqual(payments.mapped("state"), ["done", "done"])
        self.assertEqual(self.invoices[0].payment_state, "paid")
        self.assertEqual(self.invoices[1].payment_state, "partial")
        self.assertAlmostEqual(self.invoices[1].amount_residual, 155.0)
        self.assertEqual(self.invoices[2].payment_state, "not_paid")
        self.assertEqual(self._visit("V-835-1").state, "paid")
        # the 25.00 the payer withheld (PLB WO) is posted on the payment journal
        entry = remittance.plb_move_id
        self.assertEqual(entry.state, "posted")
        self.assertEqual(entry.journal_id, self.journal)
        loss = entry.line_ids.filtered(
            lambda line: line.account_id == self.journal.loss_account_id
        )
        self.assertEqual(loss.debit, 25.0)
        self.assertEqual(sum(entry.line_ids.mapped("credit")), 25.0)
        self.assertIn("Overpayment recovery (WO): 25.00", remittance.plb_summary)

    def test_denial_and_partial_payment_reach_the_revenue_owner_in_words(self):
        remittance = self._import(self._era()).remittance_id
        exceptions = self.env["interop.exception"].search(
            [("affected_message_ids", "in", remittance.message_id.ids)]
        )
        self.assertEqual(len(exceptions), 2)
        self.assertEqual(set(exceptions.mapped("user_id")), {self.revenue_owner})
        denial = exceptions.filtered(lambda e: "denied" in e.name)
        self.assertIn(
            "Contractual obligation CO-197 Precertification or authorization absent",
            denial.description,
        )
        partial = exceptions.filtered(lambda e: "paid" in e.name and e != denial)
        self.assertIn(
            "Patient responsibility PR-2 Coinsurance amount", partial.description
        )
        self.assertIn(
            "Contractual obligation CO-45 Charge exceeds the fee schedule",
            partial.description,
        )
        for exception in exceptions:
            self.assertNotIn("TESTPERSON", exception.description)
            self.assertTrue(
                exception.activity_ids.filtered(
                    lambda a: a.user_id == self.revenue_owner
                )
            )

    def test_unbalanced_era_is_rejected_whole_with_the_discrepancy(self):
        wizard = self._import(self._era(bpr="1150.00"))
        self.assertEqual(wizard.state, "rejected")
        self.assertIn("discrepancy of 25.00", wizard.result)
        self.assertIn("BPR02 (payment) is 1150.00", wizard.result)
        self.assertFalse(self._remittances())
        self.assertEqual(wizard.message_id.state, "rejected")
        self.assertFalse(wizard.message_id.child_ids)
        self.assertEqual(self.invoices[0].payment_state, "not_paid")

    def test_invalid_era_is_rejected_naming_the_element(self):
        wizard = self._import(self._era(paid2="3O0.00", bpr="1125.00"))
        self.assertEqual(wizard.state, "rejected")
        self.assertIn("CLP04 (Claim Payment Amount, line", wizard.result)
        self.assertIn("invalid character", wizard.result)
        self.assertNotIn("3O0", wizard.result)
        self.assertNotIn("3O0", wizard.message_id.rejection_reasons)

    def test_reimport_changes_nothing(self):
        first = self._import(self._era())
        self._run_payments(first.remittance_id)
        again = self._import(self._era())
        self.assertEqual(again.state, "done")
        self.assertEqual(again.result, "Already imported: nothing changed.")
        self.assertEqual(again.remittance_id, first.remittance_id)
        self.assertEqual(len(self._remittances()), 1)
        self.assertEqual(len(self._originals_of_gateway()), 1)
        self.assertEqual(self.invoices[1].amount_residual, 155.0)

    def test_same_trace_with_other_content_is_refused(self):
        self._import(self._era())
        other = self._import(self._era(bpr="1025.00", paid2="200.00", CO2="155.00"))
        self.assertEqual(other.state, "rejected")
        self.assertIn("already imported with other content", other.result)
        self.assertEqual(len(self._remittances()), 1)

    def _remittances(self):
        return self.env["interop.remittance"].search(
            [("endpoint_id", "=", self.gateway.id)]
        )

    def _originals_of_gateway(self):
        return self.env["interop.message"].search(
            [
                ("endpoint_id", "=", self.gateway.id),
                ("event_type_id.code", "=", "x12.remittance_835"),
            ]
        )

    def test_attack_user_cannot_post_payments_from_a_forged_file(self):
        user = new_test_user(
            self.env, login="era_user", groups="interop.group_interop_user"
        )
        with self.assertRaises(AccessError):
            self._import(self._era(), user=user)
        self.assertFalse(self._originals_of_gateway())

    def test_attack_original_is_masked_for_readers_without_phi_access(self):
        remittance = self._import(self._era()).remittance_id
        reader = new_test_user(
            self.env, login="era_reader", groups="interop.group_interop_user"
        )
        shown = remittance.message_id.with_user(reader).payload_display
        self.assertNotIn("TESTPERSON", shown)
        self.assertIn("NM1*", shown)
        self.assertIn("ISA*", shown)

    # Through the gateway (a batch sync or a clearinghouse pushing its files)

    def _post_era(self, text, key=None):
        return self._post(
            f"/interop/v1/x12/{self.gateway.code}",
            text,
            "application/edi-x12",
            key=key or self.gateway_key,
            signed=False,
        )

    def test_era_posted_to_the_gateway_is_imported_once(self):
        answer = self._post_era(self._era())
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertEqual(answer.json()["status"], "imported")
        self.assertEqual(answer.json()["claims"], 3)
        again = self._post_era(self._era())
        self.assertEqual(again.json()["status"], "repeat")
        self.assertEqual(len(self._remittances()), 1)

    def test_unbalanced_era_posted_to_the_gateway_is_a_422_naming_it(self):
        answer = self._post_era(self._era(bpr="1150.00"))
        self.assertEqual(answer.status_code, 422, answer.text)
        problem = answer.json()
        self.assertIn("discrepancy of 25.00", problem["violations"][0])
        self.assertEqual(
            self.env["interop.message"].browse(problem["message_id"]).state, "rejected"
        )
        self.assertFalse(self._remittances())

    def test_attack_wrong_key_on_the_x12_route_is_refused_as_by_the_gateway(self):
        answer = self._post_era(self._era(), key="iop_" + "3" * 40)
        self.assertEqual(answer.status_code, 401)
        self.assertEqual(answer.headers["Content-Type"], "application/problem+json")
        self.assertFalse(self._originals_of_gateway())

    # Many claims at once

    def _many_claims_era(self, invoices, trace="EFT-T-MANY"):
        """An 835 paying ``invoices``: every 50th denied, every 50th + 25 paid
        70 % (contractual and coinsurance adjustments), the others in full; a
        provider-level adjustment of 10.00."""
        segments = data("era_835.template").split("~\n")
        header = segments[: segments.index("LX*1") + 1]
        claims, paid_total = [], Decimal(0)
        expected = {"paid": 0, "partial": 0, "denied": 0}
        for n, invoice in enumerate(invoices, start=1):
            total = Decimal(str(invoice.amount_total)).quantize(Decimal("0.01"))
            if n % 50 == 0:
                expected["denied"] += 1
                claims += [f"CLP*{invoice.name}*4*{total}*0*0*12*PCN{n}*11*1"]
                claims += [f"CAS*CO*197*{total}"]
            elif n % 50 == 25:
                expected["partial"] += 1
                paid = (total * Decimal("0.7")).quantize(Decimal("0.01"))
                patient = (total * Decimal("0.1")).quantize(Decimal("0.01"))
                claims += [
                    f"CLP*{invoice.name}*1*{total}*{paid}*{patient}*12*PCN{n}*11*1"
                ]
                claims += [f"CAS*CO*45*{total - paid - patient}", f"CAS*PR*2*{patient}"]
                paid_total += paid
            else:
                expected["paid"] += 1
                claims += [f"CLP*{invoice.name}*1*{total}*{total}*0*12*PCN{n}*11*1"]
                paid_total += total
            claims += [f"NM1*QC*1*TESTPERSON*N{n}****MI*MEMBER{n}", "DTM*232*20261201"]
        plb = Decimal("10.00")
        body = [*header, *claims, f"PLB*1234567893*20261231*WO:OVP0001*{plb}"]
        count = len(body) - 2 + 1
        body += [f"SE*{count}*0001", "GE*1*101", "IEA*1*000000101"]
        values = {
            "BPR": str(paid_total - plb),
            "TRACE": trace,
            "PAYER": "TEST HEALTH PLAN",
            "PAYEE": "TEST CLINIC",
        }
        text = "~\n".join(body) + "~\n"
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        return text, expected, paid_total

    def _many_invoices(self, count):
        partner = self.invoices[0].partner_id
        invoices = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": f"Service {n}",
                                "quantity": 1,
                                "price_unit": 100 + n,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
                for n in range(count)
            ]
        )
        invoices.action_post()
        # the visits they bill (the revenue flow pays a visit's invoice)
        self.env["interop.visit"].create(
            [
                {
                    "name": f"V-MANY-{n}",
                    "endpoint_id": self.scheduling.id,
                    "partner_id": partner.id,
                    "state": "invoiced",
                    "invoice_id": invoice.id,
                }
                for n, invoice in enumerate(invoices)
            ]
        )
        return invoices

    def test_many_claims_are_imported_with_their_invoices_and_amounts(self):
        invoices = self._many_invoices(100)
        text, expected, paid_total = self._many_claims_era(invoices)
        wizard = self._import(text)
        self.assertEqual(wizard.state, "done", wizard.result)
        remittance = wizard.remittance_id
        claims = remittance.claim_ids
        self.assertEqual(len(claims), 100)
        self.assertEqual(
            {state: claims.mapped("state").count(state) for state in expected},
            expected,
        )
        # each claim on its own invoice, with the amounts of the file
        self.assertEqual(claims.invoice_id, invoices)
        for claim in claims:
            self.assertEqual(claim.invoice_id.name, claim.name)
            self.assertAlmostEqual(claim.amount_charged, claim.invoice_id.amount_total)
        self.assertAlmostEqual(sum(claims.mapped("amount_paid")), float(paid_total))
        self.assertAlmostEqual(remittance.amount, float(paid_total) - 10.0)
        self.assertAlmostEqual(remittance.amount_plb, 10.0)
        payments = claims.payment_message_id
        self.assertEqual(len(payments), expected["paid"] + expected["partial"])
        self.assertEqual(set(payments.mapped("state")), {"queued"})
        partial = claims.filtered(lambda c: c.state == "partial")
        self.assertTrue(
            all("PR-2 Coinsurance amount" in c.adjustment_summary for c in partial)
        )
        exceptions = self.env["interop.exception"].search(
            [("affected_message_ids", "in", remittance.message_id.ids)]
        )
        # one exception for the denials, one for the partial payments, each
        # naming its claims and linking their invoices
        self.assertEqual(len(exceptions), 2)
        self.assertEqual(set(exceptions.mapped("user_id")), {self.revenue_owner})
        denial = exceptions.filtered(lambda e: "denied" in e.name)
        self.assertIn(f"{expected['denied']} claim(s)", denial.name)
        for claim in claims.filtered(lambda c: c.state == "denied"):
            self.assertIn(f"Claim {claim.name}: Contractual", denial.description)
        self.assertEqual(
            set(denial.link_ids.mapped("res_id")),
            set(claims.filtered(lambda c: c.state == "denied").invoice_id.ids),
        )
        # the payments posted at once by the revenue flow: several invoices paid
        for _drain in range(60):
            pending = payments.filtered(lambda m: m.state == "queued")
            if not pending:
                break
            self._run_jobs(pending[0])
        self.assertEqual(set(payments.mapped("state")), {"done"})
        paid = claims.filtered(lambda c: c.state == "paid").invoice_id
        self.assertEqual(set(paid.mapped("payment_state")), {"paid"})
        for claim in partial:
            self.assertAlmostEqual(
                claim.invoice_id.amount_residual,
                claim.amount_charged - claim.amount_paid,
            )
        denied = claims.filtered(lambda c: c.state == "denied").invoice_id
        self.assertEqual(set(denied.mapped("payment_state")), {"not_paid"})
        # the same file again changes nothing
        again = self._import(text)
        self.assertEqual(again.remittance_id, remittance)
        self.assertEqual(len(self._remittances()), 1)
        self.assertEqual(
            len(
                self.env["interop.exception"].search(
                    [("affected_message_ids", "in", remittance.message_id.ids)]
                )
            ),
            len(exceptions),
        )
