# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""HL7 v2 (ER7) in, HL7 ACK out: each message of a request (a batch is split) is
read with the ``hl7`` library, checked, logged, and handed over as its canonical
event; the answer acknowledges each one (original mode: AA, AE or AR, with an ERR
segment per error naming the segment and the field)."""

import math
import re
import time

import hl7
from hl7.exceptions import HL7Exception

from odoo import api, models
from odoo.tools import file_open

from odoo.addons.interop_gateway.errors import RateLimited
from odoo.addons.interop_gateway.models.interop_gateway import MESSAGE_URL, Answer
from odoo.addons.interop_gateway.rate_limit import seconds_to_next_window

from ..hl7_er7 import (
    Hl7Error,
    Hl7Reject,
    Outcome,
    ack_text,
    field_repeats,
    field_value,
    parse,
    person_name,
    required,
    segments_of,
    timestamp,
)

HL7_PATH = "/interop/v1/hl7/%s"
HL7_CONTENT_TYPE = "x-application/hl7-v2+er7"
HL7_MEDIA_TYPES = (HL7_CONTENT_TYPE, "text/plain")
ORIGINAL_EVENT = "hl7.v2_message"
SUPPORTED_VERSIONS = (
    "2.3",
    "2.3.1",
    "2.4",
    "2.5",
    "2.5.1",
    "2.6",
    "2.7",
    "2.7.1",
    "2.8",
    "2.8.1",
    "2.8.2",
)
#: (message type, trigger event): canonical event type
TRIGGERS = {
    ("DFT", "P03"): "service.completed",
    ("SIU", "S12"): "appointment.booked",
    ("SIU", "S13"): "appointment.rescheduled",
    ("SIU", "S14"): "appointment.modified",
    ("SIU", "S15"): "appointment.cancelled",
    ("ADT", "A08"): "party.updated",
}
#: HL7 table 0357, the error codes an ACK names
ERROR_CODES = {
    100: "Segment sequence error",
    101: "Required field missing",
    102: "Data type error",
    200: "Unsupported message type",
    201: "Unsupported event code",
    203: "Unsupported version id",
    205: "Duplicate key identifier",
    207: "Application internal error",
}
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")
#: an ACK's own control id is the acknowledged one's, prefixed (bounded to 20)
ACK_PREFIX = "ACK"


class InteropHl7Adapter(models.AbstractModel):
    """The HL7 v2 adapter behind ``POST /interop/v1/hl7/<endpoint>``."""

    _name = "interop.hl7.adapter"
    _description = "Interop HL7 v2 Adapter"

    @api.model
    def _accept(self, endpoint_code, headers, read_body, length=None):
        """Take the HL7 messages of one request; return the :data:`Answer` whose
        body is their ACK (a batch of ACKs for a batch). Authentication, rate
        limit, size and signature are the JSON gateway's; their refusals raise its
        errors."""
        credential, endpoint, body = self.env["interop.gateway"]._accept_standard(
            endpoint_code,
            HL7_PATH % endpoint_code,
            headers,
            read_body,
            length,
            HL7_MEDIA_TYPES,
        )
        try:
            text = body.decode()
        except UnicodeDecodeError:
            text = None
        return self._receive(endpoint, credential, text)

    @api.model
    def _receive(self, endpoint, credential, text):
        """The :data:`Answer` to the HL7 ``text`` of an authenticated request
        (``credential`` None: a server-side import, e.g. the demo data)."""
        texts = self._split(text) if text else []
        if credential is not None and len(texts) > 1:
            self._count_batch(endpoint, len(texts) - 1)
        headers = {"Content-Type": HL7_CONTENT_TYPE}
        if not texts:
            ack = self._ack_without_header(
                Hl7Reject(100, "MSH", None, "The body holds no HL7 v2 message.")
            )
            return Answer(200, ack, headers)
        prepared = [self._prepare(endpoint, credential, er7) for er7 in texts]
        outcomes = [self._store(endpoint, item) for item in prepared]
        if len(outcomes) == 1 and outcomes[0].message_id:
            headers["Location"] = MESSAGE_URL % outcomes[0].message_id
        acks = [outcome.ack for outcome in outcomes]
        if len(texts) == 1 and not hl7.isbatch(text):
            return Answer(200, acks[0], headers)
        return Answer(200, self._batch(acks, prepared), headers)

    def _count_batch(self, endpoint, extra):
        """Count the ``extra`` messages of a batch (its request counted one)
        against the endpoint's rate limit, as the JSON gateway counts each
        message: a batch over the limit is refused whole (429)."""
        limit = endpoint.rate_limit
        if not limit:
            return
        gateway = self.env["interop.gateway"]
        now = time.time()
        for _message in range(extra):
            if gateway._count_request(endpoint.id, now, limit) > limit:
                raise RateLimited(retry_after=seconds_to_next_window(now))

    @api.model
    def _receive_demo_file(self, endpoint_xmlid, path):
        """Feed a demo file of HL7 messages (``demo/`` of this module) to the
        endpoint, as its partner system would send it."""
        endpoint = self.env.ref(endpoint_xmlid)
        profile = self.env["interop.endpoint"]._gateway_profile(endpoint.id)
        with file_open(f"interop_standards/{path}", "rb") as demo_file:
            text = demo_file.read().decode()
        return self._receive(profile, None, text)

    # Reading

    def _split(self, text):
        """The ER7 texts of the messages of ``text`` (one message, or a batch or
        file of them: FHS/BHS headers and trailers are dropped). Line feeds between
        segments are accepted as carriage returns."""
        text = text.replace("\r\n", "\r").replace("\n", "\r").strip()
        if not text.startswith(("MSH", "BHS", "FHS")):
            return []
        if hl7.ishl7(text):
            return [text + "\r"]
        return [
            str(message)
            for message in hl7.split_file(text)
            if str(message).startswith("MSH")
        ]

    def _prepare(self, endpoint, credential, er7):
        """Read and check one message. Returns a dict: its text, the message (or
        None when it cannot be read), its control id, its canonical event and
        payload, or the errors that refuse it; a repeat of an earlier message."""
        item = {"er7": er7, "parsed": None, "control_id": "", "errors": []}
        try:
            parsed = parse(er7)
            item["parsed"] = parsed
            self._check_segments(parsed)
            msh = parsed.segment("MSH")
            item["control_id"] = field_value(msh, 10)[:199]
            code = self._check_header(msh)
        except (Hl7Error, HL7Exception, IndexError, KeyError, ValueError) as error:
            if not isinstance(error, Hl7Error):
                error = Hl7Reject(100, "MSH", None, "The message cannot be read.")
            item["errors"] = [error]
            return item
        # A repeat of a control id is found when the original is stored (its
        # insert claims the id, as the JSON gateway's does), or, for a message
        # refused here, by _store before it answers: a new message costs no lookup.
        contract = self._contract(endpoint, credential, code)
        item["event"] = code
        try:
            payload = getattr(self, "_payload_" + code.split(".")[0])(parsed, code)
        except Hl7Error as error:
            item["errors"] = [error]
            return item
        payload["event_id"] = f"hl7:{item['control_id']}"
        violations = contract.check(payload)
        if violations:
            item["errors"] = [
                Hl7Error(
                    207,
                    "MSH",
                    9,
                    f"The converted {code} event does not match its contract: {text}",
                )
                for text in violations
            ]
            return item
        item["payload"] = payload
        return item

    def _contract(self, endpoint, credential, code):
        """The contract of the canonical event type ``code``; a key that may not
        send it is refused as by the JSON gateway (403)."""
        if credential is None:
            return self.env["interop.event.type"]._contract(code)
        return self.env["interop.gateway"]._get_event_type(endpoint, credential, code)

    def _check_segments(self, message):
        for index, segment in enumerate(message, start=1):
            if not _SEGMENT_ID.fullmatch(str(segment[0])):
                raise Hl7Reject(
                    100,
                    f"segment {index}",
                    None,
                    "The segment does not start with a segment id (three capital "
                    "letters or digits).",
                )

    def _check_header(self, msh):
        """The canonical event type of the message; AR errors for its header."""
        if not field_value(msh, 10):
            raise Hl7Reject(101, "MSH", 10, "The message control id is missing.")
        version = field_value(msh, 12)
        if version not in SUPPORTED_VERSIONS:
            raise Hl7Reject(
                203,
                "MSH",
                12,
                f"This HL7 version is not supported ({SUPPORTED_VERSIONS[0]} to "
                f"{SUPPORTED_VERSIONS[-1]} are).",
            )
        kind, trigger = field_value(msh, 9, 1), field_value(msh, 9, 2)
        if kind not in {kind for kind, _trigger in TRIGGERS}:
            raise Hl7Reject(
                200,
                "MSH",
                9,
                "This message type is not accepted (DFT, SIU and ADT are).",
            )
        code = TRIGGERS.get((kind, trigger))
        if not code:
            accepted = ", ".join(sorted(t for k, t in TRIGGERS if k == kind))
            raise Hl7Reject(
                201,
                "MSH",
                9,
                f"This trigger event is not accepted for this message type "
                f"({accepted} are).",
                component=2,
            )
        return code

    # Canonical payloads

    def _payload_service(self, message, code):
        """DFT^P03 → service.completed: the visit (PV1), the responsible party
        (GT1, else the patient), the coverage (IN1) and one line per FT1. Codes
        are those of the sender: the revenue handler maps them through the
        endpoint's mapping tables (service, payer and location codes)."""
        pv1 = self._one(message, "PV1")
        charges = segments_of(message, "FT1")
        if not charges:
            raise Hl7Error(100, "FT1", None, "The message has no charge (FT1).")
        in1 = self._one(message, "IN1")
        lines = []
        for sequence, ft1 in enumerate(charges, start=1):
            service = field_value(ft1, 25) or required(
                ft1, "FT1", 7, "The transaction code", sequence=sequence
            )
            quantity = field_value(ft1, 10) or "1"
            try:
                quantity = float(quantity)
                if not math.isfinite(quantity):  # "NaN" passes any minimum
                    raise ValueError(quantity)
            except ValueError:
                raise Hl7Error(
                    102, "FT1", 10, "The quantity is not a number.", sequence
                ) from None
            date = timestamp(
                required(ft1, "FT1", 4, "The transaction date", sequence=sequence),
                "FT1",
                4,
                "The transaction date",
                sequence,
            )
            lines.append(
                {
                    "service_code": service,
                    "quantity": quantity,
                    "date": date[:10],
                    "modifiers": field_repeats(ft1, 26),
                }
            )
        completed = timestamp(
            required(charges[0], "FT1", 4, "The transaction date"),
            "FT1",
            4,
            "The transaction date",
        )
        visit = {
            "id": required(pv1, "PV1", 19, "The visit number"),
            "completed_at": completed,
            "location": required(pv1, "PV1", 3, "The patient location"),
        }
        provider = field_value(charges[0], 20) or field_value(pv1, 7)
        if provider:
            visit["provider"] = {"id": provider}
        coverage = {"payer_code": required(in1, "IN1", 3, "The insurance company id")}
        if field_value(in1, 2):
            coverage["plan_ref"] = field_value(in1, 2)
        return {
            "visit": visit,
            "responsible_party": self._party(message),
            "coverage": coverage,
            "lines": lines,
        }

    def _payload_appointment(self, message, code):
        """SIU^S12–S15 → appointment.*: the appointment (SCH, AIS, AIL), its
        patient (PID) and visit (PV1)."""
        sch = self._one(message, "SCH")
        appointment = {
            "id": field_value(sch, 2)
            or required(sch, "SCH", 1, "The appointment id (SCH-1 or SCH-2)")
        }
        ais = segments_of(message, "AIS")
        ail = segments_of(message, "AIL")
        start = field_value(sch, 11, 4) or (field_value(ais[0], 4) if ais else "")
        if start:
            appointment["start"] = timestamp(start, "SCH", 11, "The start")
        elif code != "appointment.cancelled":
            raise Hl7Error(101, "SCH", 11, "The start is missing.", component=4)
        duration = field_value(sch, 9) or (field_value(ais[0], 7) if ais else "")
        if duration:
            try:
                appointment["duration_minutes"] = int(float(duration))
            except (ValueError, OverflowError):
                raise Hl7Error(102, "SCH", 9, "The duration is not a number.") from None
        location = field_value(ail[0], 3) if ail else ""
        if location:
            appointment["location"] = location
        if ais and field_value(ais[0], 3):
            appointment["service_code"] = field_value(ais[0], 3)
        if field_value(sch, 7):
            appointment["reason_code"] = field_value(sch, 7)
        pv1 = segments_of(message, "PV1")
        if pv1 and field_value(pv1[0], 19):
            appointment["visit_id"] = field_value(pv1[0], 19)
        pid = self._one(message, "PID")
        patient = {"id": required(pid, "PID", 3, "The patient identifier")}
        if person_name(pid, 5):
            patient["name"] = person_name(pid, 5)
        return {"appointment": appointment, "patient": patient}

    def _payload_party(self, message, code):
        """ADT^A08 → party.updated: the responsible party's new details."""
        return {"party": self._party(message)}

    def _party(self, message):
        """The responsible party: the guarantor (GT1), else the patient (PID)."""
        guarantors = segments_of(message, "GT1")
        if guarantors:
            segment, segment_id = guarantors[0], "GT1"
            # number, name, address, phone (XTN: 1 number, 4 email), birth date
            fields_ = (2, 3, 5, 6, 8)
            what = ("The guarantor number", "The guarantor name")
        else:
            segment, segment_id = self._one(message, "PID"), "PID"
            fields_ = (3, 5, 11, 13, 7)
            what = ("The patient identifier", "The patient name")
        id_field, name_field, address_field, phone_field, birth_field = fields_
        party = {
            "id": required(segment, segment_id, id_field, what[0]),
            "name": person_name(segment, name_field)
            or required(segment, segment_id, name_field, what[1]),
        }
        if field_value(segment, phone_field):
            party["phone"] = field_value(segment, phone_field)
        email = field_value(segment, phone_field, 4)
        if "@" in email:
            party["email"] = email
        birth = field_value(segment, birth_field)
        if birth:
            party["birth_date"] = timestamp(
                birth, segment_id, birth_field, "The birth date"
            )[:10]
        address = {
            key: field_value(segment, address_field, component)
            for key, component in (("street", 1), ("city", 3), ("zip", 5))
            if field_value(segment, address_field, component)
        }
        country = field_value(segment, address_field, 6)
        if len(country) == 2:
            address["country"] = country.upper()
        if address:
            party["address"] = address
        return party

    def _one(self, message, segment_id):
        found = segments_of(message, segment_id)
        if not found:
            raise Hl7Error(
                100, segment_id, None, f"The message has no {segment_id} segment."
            )
        return found[0]

    # Storing and answering

    def _store(self, endpoint, item):
        """Log the message (rejected, or accepted and queued: its processing
        stores its canonical event as its child) and build its ACK."""
        Adapter = self.env["interop.standards.adapter"]
        body = item["er7"].encode()
        errors = item["errors"]
        if errors and item["parsed"] is not None and item["control_id"]:
            repeat = Adapter._find_repeat(endpoint, item["control_id"], body)
            if repeat:
                return self._repeat_outcome(item, repeat)
        if errors:
            if item["parsed"] is None:
                return Outcome(self._ack_without_header(errors[0]), None)
            Adapter._log_rejected(
                endpoint,
                ORIGINAL_EVENT,
                body,
                HL7_CONTENT_TYPE,
                [error.reason() for error in errors],
            )
            verdict = "AR" if isinstance(errors[0], Hl7Reject) else "AE"
            return Outcome(self._ack(item, verdict, errors), None)
        # queued: its processing reads it again and stores its canonical event
        # (_interop_handle_original)
        stored = Adapter._log_original(
            endpoint,
            ORIGINAL_EVENT,
            body,
            HL7_CONTENT_TYPE,
            item["control_id"],
            business_key=self._business_key(item["event"], item["payload"]),
        )
        if stored.repeat:  # the control id was taken (before, or concurrently)
            return self._repeat_outcome(item, stored.repeat)
        return Outcome(self._ack(item, "AA", []), stored.original.id)

    def _interop_handle_original(self, message, er7):
        """Handler of the original HL7 messages (``hl7.v2_message``): the message
        read again as at intake and its canonical event stored as its child,
        queued (``interop.standards.adapter._derive_child``). A message that no
        longer converts (its canonical event type's contract changed since it was
        acknowledged) fails, with the reasons (segment, field, rule; no value)."""
        Adapter = self.env["interop.standards.adapter"]
        Adapter._check_original(message, ORIGINAL_EVENT)
        item = self._prepare(message.sudo().endpoint_id, None, er7 or "")
        if item["errors"]:
            raise Adapter._not_converted(
                self.env._("The HL7 message"),
                [error.reason() for error in item["errors"]],
                self.env._(
                    "Compare the canonical event type's contract with the message's "
                    "segments, then retry."
                ),
            )
        Adapter._derive_child(message, ORIGINAL_EVENT, item["event"], item["payload"])

    def _repeat_outcome(self, item, repeat):
        """A control id already received: the same message is acknowledged again
        (AA, nothing changes), other content under it is refused (AR, 205)."""
        message_id, same = repeat
        if same:
            return Outcome(self._ack(item, "AA", []), message_id)
        return Outcome(
            self._ack(
                item,
                "AR",
                [
                    Hl7Reject(
                        205,
                        "MSH",
                        10,
                        "This message control id was already received with "
                        "different content.",
                    )
                ],
            ),
            None,
        )

    def _business_key(self, event, payload):
        if event == "service.completed":
            return payload["visit"]["id"]
        if event == "party.updated":
            return payload["party"]["id"]
        return payload["appointment"]["id"]

    def _ack(self, item, verdict, errors):
        """The ACK of a message: MSH, MSA, and one ERR per error."""
        message = item["parsed"]
        ack = ack_text(message, verdict, f"{ACK_PREFIX}{item['control_id']}"[:20])
        # the ERR segments of the message's separators and escape character
        return ack + "".join(
            f"{self._err_segment(message, error)}\r" for error in errors
        )

    def _err_segment(self, ack, error):
        err = ack.create_segment([ack.create_field(["ERR"])])
        # ERR-2 error location (ERL): segment id ^ sequence ^ field ^ repetition ^
        # component; ERR-3 the HL7 error code; ERR-4 severity; ERR-8 in words
        err.assign_field(error.segment, 2, 1, 1)
        err.assign_field(str(error.sequence), 2, 1, 2)
        if error.field:
            err.assign_field(str(error.field), 2, 1, 3)
            err.assign_field("1", 2, 1, 4)
            err.assign_field(str(error.component or 1), 2, 1, 5)
        err.assign_field(str(error.code), 3, 1, 1)
        err.assign_field(ERROR_CODES[error.code], 3, 1, 2)
        err.assign_field("HL70357", 3, 1, 3)
        err.assign_field("E", 4)
        err.assign_field(ack.escape(f"{error.location}: {error.text}"), 8)
        return err

    def _ack_without_header(self, error):
        """The AR answering a body that holds no readable message header."""
        minimal = hl7.parse(
            "MSH|^~\\&|||||||ACK^ACK^ACK|NONE|P|2.5.1\r", encoding="utf-8"
        )
        ack = minimal.create_ack(
            ack_code="AR",
            message_id=hl7.generate_message_control_id()[:20],
            application="INTEROP",
            facility="INTEROP",
        )
        ack.segment("MSA").assign_field("", 2)
        ack.append(self._err_segment(ack, error))
        return str(ack)

    def _batch(self, acks, prepared):
        """The ACKs of a batch, in a batch (BHS ... BTS with their count)."""
        first = next((item["parsed"] for item in prepared if item["parsed"]), None)
        separator = str(first.segment("MSH")(1)) if first else "|"
        encoding = str(first.segment("MSH")(2)) if first else "^~\\&"
        header = f"BHS{separator}{encoding}{separator}INTEROP{separator}INTEROP"
        trailer = f"BTS{separator}{len(acks)}"
        return "\r".join([header, *(ack.rstrip("\r") for ack in acks), trailer]) + "\r"
