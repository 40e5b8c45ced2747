# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""X12 835 (health care claim payment/advice) in: the file is validated by
``pyx12`` against the 005010X221A1 implementation guide, read with its context
reader, checked to balance (BPR02 = Σ CLP04 − Σ PLB), and becomes a
remittance whose paid claims are ``payment.status`` events (captured, matched to
their invoice by CLP01) handed over to the revenue flow; denials and partial
payments go to the revenue owner with their reason codes in words."""

import io
import json
import logging
from collections import namedtuple
from decimal import Decimal, InvalidOperation

import pyx12.params
import pyx12.x12n_document

from odoo import api, models
from odoo.tools import file_open

from odoo.addons.interop.errors import BusinessRuleError
from odoo.addons.interop_gateway.errors import (
    BadRequest,
    IdempotencyConflict,
    ValidationFailed,
)
from odoo.addons.interop_gateway.models.interop_gateway import MESSAGE_URL, Answer

X12_PATH = "/interop/v1/x12/%s"
X12_CONTENT_TYPE = "application/edi-x12"
X12_MEDIA_TYPES = (X12_CONTENT_TYPE, "text/plain")
ORIGINAL_EVENT = "x12.remittance_835"
CANONICAL_EVENT = "payment.status"
DENIED = "4"
#: CLP02, the claim status codes
CLAIM_STATUSES = {
    "1": "Processed as primary",
    "2": "Processed as secondary",
    "3": "Processed as tertiary",
    "4": "Denied",
    "19": "Processed as primary, forwarded to additional payer(s)",
    "20": "Processed as secondary, forwarded to additional payer(s)",
    "21": "Processed as tertiary, forwarded to additional payer(s)",
    "22": "Reversal of previous payment",
    "23": "Not our claim, forwarded to additional payer(s)",
    "25": "Predetermination pricing only, no payment",
}
#: CAS01, the claim adjustment group codes
GROUP_CODES = {
    "CO": "Contractual obligation",
    "CR": "Correction and reversal",
    "OA": "Other adjustment",
    "PI": "Payer initiated reduction",
    "PR": "Patient responsibility",
}
#: CAS02, the claim adjustment reason codes (CARC) most remittances carry
REASON_CODES = {
    "1": "Deductible amount",
    "2": "Coinsurance amount",
    "3": "Co-payment amount",
    "4": "Procedure code inconsistent with the modifier",
    "5": "Procedure code inconsistent with the place of service",
    "11": "Diagnosis inconsistent with the procedure",
    "16": "Claim lacks information needed for adjudication",
    "18": "Exact duplicate claim or service",
    "22": "May be covered by another payer (coordination of benefits)",
    "23": "Impact of prior payer adjudication",
    "26": "Expenses incurred before coverage",
    "27": "Expenses incurred after coverage terminated",
    "29": "Time limit for filing has expired",
    "31": "Patient cannot be identified as our insured",
    "45": "Charge exceeds the fee schedule or maximum allowable",
    "50": "Not deemed a medical necessity by the payer",
    "96": "Non-covered charge(s)",
    "97": "Included in the payment of another service",
    "109": "Not covered by this payer or contractor",
    "119": "Benefit maximum for this period has been reached",
    "151": "Payment adjusted: the payer deems the information does not support "
    "this many services",
    "197": "Precertification or authorization absent",
    "204": "Service not covered under the patient's current benefit plan",
    "242": "Services not provided by network or primary care providers",
    "253": "Sequestration: reduction of federal payment",
}
#: PLB03-1, the provider-level adjustment reason codes most remittances carry
PLB_CODES = {
    "WO": "Overpayment recovery",
    "L6": "Interest owed",
    "FB": "Forwarding balance",
    "72": "Authorized return",
    "CS": "Adjustment",
    "J1": "Non-reimbursable",
    "IR": "Internal Revenue Service withholding",
}
#: IK4 (element) and IK3 (segment) error codes of pyx12's validation
ELEMENT_ERRORS = {
    "1": "a mandatory element is missing",
    "2": "a conditionally required element is missing",
    "3": "too many elements",
    "4": "the element is too short",
    "5": "the element is too long",
    "6": "the element holds an invalid character",
    "7": "the element holds an invalid code",
    "8": "the element holds an invalid date",
    "9": "the element holds an invalid time",
    "10": "an exclusion condition is violated",
    "12": "the element repeats too many times",
    "13": "the element has too many components",
}
SEGMENT_ERRORS = {
    "1": "unrecognized segment",
    "2": "unexpected segment",
    "3": "a mandatory segment is missing",
    "4": "the loop occurs too many times",
    "5": "the segment occurs too many times",
    "6": "the segment is not defined in this transaction set",
    "7": "the segment is out of sequence",
    "8": "the segment has element errors",
}

#: the result of an import: the remittance (or None), the original message, and
#: what refused the file (reasons, empty when imported)
Imported = namedtuple("Imported", "remittance message reasons repeat")

# pyx12 logs each error it finds with the value it found (payment amounts, member
# names): its logger is kept off the server log. What it found is reported in words
# by _validate, from its error report.
_PYX12_LOGGER = logging.getLogger("pyx12")
_PYX12_LOGGER.addHandler(logging.NullHandler())
_PYX12_LOGGER.propagate = False


def _amount(value):
    try:
        return Decimal((value or "0").strip() or "0")
    except InvalidOperation:
        return Decimal(0)


def reason_words(group, reason):
    """An adjustment's group and reason, in words and codes."""
    words = REASON_CODES.get(reason, f"(reason code {reason})")
    return f"{GROUP_CODES.get(group, 'Adjustment')} {group}-{reason} {words}"


class InteropX12Adapter(models.AbstractModel):
    """The X12 835 adapter: files uploaded (wizard) or fetched by a batch sync."""

    _name = "interop.x12.adapter"
    _description = "Interop X12 835 Adapter"

    @api.model
    def _accept(self, endpoint_code, headers, read_body, length=None):
        """Import one 835 file posted to ``/interop/v1/x12/<endpoint>`` (a batch
        sync or a clearinghouse pushing its files): the JSON gateway's key,
        signature, throttling and size checks; the key must be allowed to send
        payment.status. 200 with the remittance, 422 with the reasons of a
        rejection (logged rejected), 409 for a trace number already imported
        with other content."""
        gateway = self.env["interop.gateway"]
        credential, endpoint, body = gateway._accept_standard(
            endpoint_code,
            X12_PATH % endpoint_code,
            headers,
            read_body,
            length,
            X12_MEDIA_TYPES,
        )
        gateway._get_event_type(endpoint, credential, CANONICAL_EVENT)
        try:
            text = body.decode()
        except UnicodeDecodeError:
            raise BadRequest("The body is not UTF-8 text.") from None
        # sudo: the record of the authenticated key's endpoint
        imported = self._import_835(
            self.env["interop.endpoint"].sudo().browse(endpoint.id), text
        )
        message_id = imported.message.id if imported.message else None
        if imported.reasons and imported.repeat:
            raise IdempotencyConflict(message_id=message_id)
        if imported.reasons:
            raise ValidationFailed(
                "The file was rejected whole: see the violations.",
                message_id=message_id,
                violations=imported.reasons,
            )
        remittance = imported.remittance
        return Answer(
            200,
            {
                "message_id": message_id,
                "status": "repeat" if imported.repeat else "imported",
                "trace": remittance.name if remittance else None,
                "claims": len(remittance.claim_ids) if remittance else 0,
            },
            {"Location": MESSAGE_URL % message_id} if message_id else {},
        )

    @api.model
    def _import_835(self, endpoint, text):
        """Import one 835 file sent by ``endpoint`` (a record); return an
        :data:`Imported`. A file that does not validate or balance is logged
        rejected, whole, with the reasons; the same file imported twice changes
        nothing."""
        endpoint.ensure_one()
        body = text.encode()
        profile = self.env["interop.endpoint"]._gateway_profile(endpoint.id)
        Adapter = self.env["interop.standards.adapter"]
        remittance = {"claims": [], "plb": [], "payer_name": "", "payer_id": ""}
        reasons = self._validate(text, remittance)
        if not reasons:
            reasons = self._check_balance(remittance)
        if not reasons:
            remittance["currency"] = endpoint.company_id.currency_id.name
        if reasons:
            message = Adapter._log_rejected(
                profile, ORIGINAL_EVENT, body, X12_CONTENT_TYPE, reasons
            )
            return Imported(None, message, reasons, False)
        key = f"835:{remittance['payer_id']}:{remittance['trace']}"
        repeat = Adapter._find_repeat(profile, key, body)
        if repeat:
            message = self.env["interop.message"].browse(repeat[0])
            if not repeat[1]:
                reason = self.env._(
                    "Trace number %(trace)s of this payer was already imported with "
                    "other content: nothing was changed.",
                    trace=remittance["trace"],
                )
                return Imported(None, message, [reason], True)
            # sudo: the remittance of the file already imported (a partner
            # system importing through the gateway reads nothing else of it)
            existing = (
                self.env["interop.remittance"]
                .sudo()
                .search([("message_id", "=", repeat[0])], limit=1)
            )
            return Imported(existing, message, [], True)
        paid = [
            claim
            for claim in remittance["claims"]
            if claim["status"] != DENIED and claim["paid"] > 0
        ]
        children = [
            (CANONICAL_EVENT, self._payment_payload(remittance, claim))
            for claim in paid
        ]
        stored = Adapter._log_accepted(
            profile,
            ORIGINAL_EVENT,
            body,
            X12_CONTENT_TYPE,
            key,
            children,
            business_key=remittance["trace"],
        )
        if stored.repeat:
            return Imported(None, None, [], True)
        record = (
            self.env["interop.remittance"]
            .sudo()
            ._create_from_835(
                endpoint,
                stored.original,
                remittance,
                dict(
                    zip((claim["ref"] for claim in paid), stored.children, strict=True)
                ),
            )
        )
        record._post_provider_adjustments()
        self._raise_claim_exceptions(endpoint, stored.original, record)
        return Imported(record, stored.original, [], False)

    @api.model
    def _import_demo_file(self, endpoint_xmlid, path, visit_names, trace):
        """Import the demo 835 of ``path`` (a template of this module's ``demo/``)
        for the invoices of three demo visits: the first paid in full, the second
        in part (contractual and coinsurance adjustments), the third denied."""
        endpoint = self.env.ref(endpoint_xmlid)
        Visit = self.env["interop.visit"].sudo()
        invoices = [
            Visit.search([("name", "=", name)], limit=1).invoice_id
            for name in visit_names
        ]
        if not all(invoice.state == "posted" for invoice in invoices):
            return False
        totals = [Decimal(str(invoice.amount_residual)) for invoice in invoices]
        paid2 = (totals[1] * Decimal("0.7")).quantize(Decimal("0.01"))
        patient2 = (totals[1] * Decimal("0.1")).quantize(Decimal("0.01"))
        plb = Decimal("25.00")
        values = {
            "TRACE": trace,
            "PAYER": "NORTH WEST HEALTH",
            "PAYEE": "MERIDIAN DIAGNOSTICS",
            "BPR": totals[0] + paid2 - plb,
            "PLB": plb,
            "INV1": invoices[0].name,
            "TOT1": totals[0],
            "PAT1": "BROOKS*DANIEL",
            "INV2": invoices[1].name,
            "TOT2": totals[1],
            "PAID2": paid2,
            "PR2": patient2,
            "CO2": totals[1] - paid2 - patient2,
            "PAT2": "GOMEZ*MARIA",
            "INV3": invoices[2].name,
            "TOT3": totals[2],
            "PAT3": "OKOYE*CHIDI",
        }
        with file_open(f"interop_standards/{path}", "rb") as template:
            text = template.read().decode()
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return self._import_835(endpoint, text).remittance

    # Reading

    def _validate(self, text, remittance=None):
        """pyx12's findings, in words: segment, element, line and the error's
        kind, never the value it found. One pass: the segments it validates are
        read into ``remittance`` (a dict, see :meth:`_read_segment`) as it
        walks them."""
        report = io.StringIO()
        if remittance is None:
            remittance = {"claims": [], "plb": [], "payer_name": "", "payer_id": ""}

        def read(seg, _src, _node, _valid):
            self._read_segment(remittance, seg)

        try:
            valid = pyx12.x12n_document.x12n_document(
                param=pyx12.params.params(),
                src_file=io.StringIO(text),
                fd_997=None,
                fd_html=None,
                fd_json=report,
                callback=read,
            )
        except Exception:  # noqa: BLE001 - pyx12 fails on what is no X12
            valid = False
        if valid:
            return []
        try:
            document = json.loads(report.getvalue() or "{}")
        except ValueError:
            document = {}
        reasons = []
        stack = [document]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(reversed(node))
                continue
            if not isinstance(node, dict):
                continue
            for error in node.get("errors") or []:
                if "seg_id" in node:
                    words = SEGMENT_ERRORS.get(error.get("err_cde"), "invalid segment")
                    reasons.append(
                        f"{node['seg_id']} (line {node.get('cur_line')}): {words}"
                    )
                elif "ele_pos" in node:
                    words = ELEMENT_ERRORS.get(error.get("err_cde"), "invalid element")
                    reasons.append(
                        f"{node['_seg_id']}{int(node['ele_pos']):02d} "
                        f"({node.get('name')}, line {node['_line']}): {words}"
                    )
                else:
                    reasons.append(
                        f"The envelope (ISA/GS/ST): error code {error.get('err_cde')}"
                    )
            for child_key in ("interchanges", "groups", "transactions", "segments"):
                stack.extend(reversed(node.get(child_key) or []))
            for element in node.get("elements") or []:
                stack.append(
                    dict(element, _seg_id=node["seg_id"], _line=node.get("cur_line"))
                )
        return reasons or [
            self.env._("The file is not an X12 835 file pyx12 can read.")
        ]

    def _read_segment(self, remittance, seg):
        """Read one segment of a remittance as pyx12 validates it: BPR, TRN,
        the payer's N1, each CLP (claim) with the CAS of its claim and service
        lines (those after it), PLB."""
        seg_id = seg.get_seg_id()
        if seg_id == "CLP":
            remittance["claims"].append(
                {
                    "ref": seg.get_value("CLP01"),
                    "status": seg.get_value("CLP02"),
                    "charged": _amount(seg.get_value("CLP03")),
                    "paid": _amount(seg.get_value("CLP04")),
                    "patient": _amount(seg.get_value("CLP05")),
                    "payer_ref": seg.get_value("CLP07") or "",
                    "adjustments": [],
                }
            )
        elif seg_id == "CAS" and remittance["claims"]:
            adjustments = remittance["claims"][-1]["adjustments"]
            group = seg.get_value("CAS01")
            # up to six reason/amount pairs: CAS02/03, 05/06, ... 17/18
            for position in range(2, 19, 3):
                reason = seg.get_value(f"CAS{position:02d}")
                if reason:
                    amount = _amount(seg.get_value(f"CAS{position + 1:02d}"))
                    adjustments.append((group, reason, amount))
        elif seg_id == "BPR":
            remittance["payments"] = remittance.get("payments", 0) + 1
            remittance["amount"] = _amount(seg.get_value("BPR02"))
            remittance["date"] = seg.get_value("BPR16")
        elif seg_id == "TRN":
            remittance["trace"] = seg.get_value("TRN02")
            remittance["payer_id"] = seg.get_value("TRN03") or ""
        elif seg_id == "N1" and seg.get_value("N101") == "PR":
            remittance["payer_name"] = seg.get_value("N102") or ""
        elif seg_id == "PLB":
            for position in range(3, 14, 2):
                code = seg.get_value(f"PLB{position:02d}")
                if code:
                    # a composite PLB03: the reason code is its first component
                    reason = seg.get_value(f"PLB{position:02d}-1") or code.split(":")[0]
                    remittance["plb"].append(
                        (reason, _amount(seg.get_value(f"PLB{position + 1:02d}")))
                    )

    def _check_balance(self, remittance):
        """BPR02 = Σ CLP04 − Σ PLB amounts, or the discrepancy in words."""
        if remittance.get("payments", 0) != 1:
            return [
                self.env._(
                    "The file holds %(count)s payments (BPR): import one 835 "
                    "transaction per file.",
                    count=remittance.get("payments", 0),
                )
            ]
        paid = sum((claim["paid"] for claim in remittance["claims"]), Decimal(0))
        plb = sum((amount for _code, amount in remittance["plb"]), Decimal(0))
        expected = paid - plb
        if expected == remittance.get("amount", Decimal(0)):
            return []
        return [
            self.env._(
                "The file does not balance: BPR02 (payment) is %(bpr)s but the claims "
                "paid %(paid)s minus the provider adjustments %(plb)s make "
                "%(expected)s, a discrepancy of %(diff)s.",
                bpr=remittance.get("amount"),
                paid=paid,
                plb=plb,
                expected=expected,
                diff=remittance.get("amount", Decimal(0)) - expected,
            )
        ]

    # Canonical events

    def _payment_payload(self, remittance, claim):
        """payment.status of a paid claim: captured, for the invoice CLP01."""
        date = remittance.get("date") or ""
        occurred = (
            f"{date[:4]}-{date[4:6]}-{date[6:8]}T00:00:00Z" if len(date) == 8 else None
        )
        payment = {
            "id": f"{remittance['trace']}/{claim['payer_ref'] or claim['ref']}",
            "invoice_ref": claim["ref"],
            "amount": float(claim["paid"]),
            "currency": remittance["currency"],
            "status": "captured",
        }
        if occurred:
            payment["occurred_at"] = occurred
        return {
            "event_id": f"x12:{remittance['trace']}:{claim['ref']}",
            "payment": payment,
        }

    def _raise_claim_exceptions(self, endpoint, original, remittance):
        """Denials and partial payments go to the revenue owner, with their
        reason codes in words: one exception for the denials of a remittance and
        one for its partial payments, each naming every claim (and linking its
        invoice), so that a file of thousands of claims opens two, not hundreds."""
        event_type = self.env["interop.event.type"].sudo()._find("service.completed")
        owner = event_type.business_owner_id or endpoint.business_owner_id
        claims = remittance.claim_ids
        denied = claims.filtered(lambda c: c.state == "denied")
        partial = claims.filtered(lambda c: c.state == "partial")
        errors = []
        if denied:
            lines = [
                self.env._(
                    "Claim %(claim)s: %(reasons)s.",
                    claim=claim.name,
                    reasons=claim.adjustment_summary or claim.status_label,
                )
                for claim in denied
            ]
            summary = self.env._(
                "%(count)s claim(s) of remittance %(trace)s denied by the payer: "
                "%(claims)s",
                count=len(denied),
                trace=remittance.name,
                claims=" ".join(lines),
            )
            action = self.env._(
                "Read the reasons, correct the claims or appeal the denials with "
                "the payer; the invoices stay open meanwhile."
            )
            errors.append((summary, action, denied))
        if partial:
            lines = [
                self.env._(
                    "Claim %(claim)s paid %(paid)s of %(charged)s: %(reasons)s.",
                    claim=claim.name,
                    paid=claim.amount_paid,
                    charged=claim.amount_charged,
                    reasons=claim.adjustment_summary or claim.status_label,
                )
                for claim in partial
            ]
            summary = self.env._(
                "%(count)s claim(s) of remittance %(trace)s partially paid by the "
                "payer: %(claims)s",
                count=len(partial),
                trace=remittance.name,
                claims=" ".join(lines),
            )
            action = self.env._(
                "Bill the patients' share, write off the contractual part or "
                "appeal with the payer; the invoices' residuals stay open."
            )
            errors.append((summary, action, partial))
        original_type = self.env["interop.event.type"].sudo()._find(ORIGINAL_EVENT)
        for summary, action, group in errors:
            error = BusinessRuleError(
                summary,
                suggested_action=action,
                owner=owner or None,
                records=group.invoice_id or group,
            )
            self.env["interop.exception"].sudo()._open(
                error,
                message=original,
                endpoint=endpoint,
                event_type=original_type,
            )
