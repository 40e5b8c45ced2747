# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""FHIR R4B in: a transaction ``Bundle`` of an ``Encounter`` and its
``ChargeItem`` resources (with the ``Patient`` or ``RelatedPerson`` responsible
for the bill and the ``Coverage`` naming the payer) is validated with the
``fhir.resources`` R4B models and handed over as one ``service.completed``
event. Errors are ``OperationOutcome`` resources whose issues carry the FHIRPath
of the element at fault, never its value; an accepted bundle is answered with a
``transaction-response`` Bundle."""

import hashlib
import re
from datetime import UTC, datetime

from fhir.resources import R4B as fhir_r4b
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from pydantic import ValidationError

from odoo import api, models
from odoo.tools import file_open

from odoo.addons.interop_gateway.errors import GatewayError
from odoo.addons.interop_gateway.models.interop_gateway import MESSAGE_URL, Answer

FHIR_PATH = "/interop/v1/fhir/%s"
FHIR_CONTENT_TYPE = "application/fhir+json"
FHIR_MEDIA_TYPES = (FHIR_CONTENT_TYPE, "application/json")
ORIGINAL_EVENT = "fhir.bundle"
CANONICAL_EVENT = "service.completed"
#: the words of a pydantic error type, for an issue's diagnostics (never its text,
#: which may quote the value)
ERROR_WORDS = {
    "missing": ("required", "is required"),
    "extra_forbidden": ("structure", "is an element FHIR R4B does not define here"),
    "value_error": ("value", "has a value of the wrong format"),
    "string_type": ("value", "must be a string"),
    "int_parsing": ("value", "must be an integer"),
    "decimal_parsing": ("value", "must be a decimal"),
    "bool_parsing": ("value", "must be a boolean"),
    "list_type": ("structure", "must be an array"),
    "model_type": ("structure", "must be an object"),
    "dict_type": ("structure", "must be an object"),
    "enum": ("code-invalid", "holds a code outside its value set"),
    "literal_error": ("code-invalid", "holds a code outside its value set"),
}
_ELEMENT = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


class FhirError(Exception):
    """A refusal answered with an OperationOutcome: HTTP status and issues
    ``(code, FHIRPath, words)``."""

    def __init__(self, status, issues, log=True):
        super().__init__(issues[0][2] if issues else "")
        self.status = status
        self.issues = issues
        #: whether the bundle is logged (rejected) for the technical owner
        self.log = log


def _fhir_path(loc):
    """``Bundle.entry[1].resource.quantity.value`` from a pydantic location."""
    path = "Bundle"
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and _ELEMENT.fullmatch(part):
            path += f".{part}"
        else:
            path += ".*"
    return path


def _utc_text(moment):
    """A FHIR dateTime (a datetime, or a date) as ISO 8601 in UTC."""
    if not isinstance(moment, datetime):
        return f"{moment.isoformat()}T00:00:00Z"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _first(items):
    return items[0] if items else None


def _identifier(identifiers):
    for identifier in identifiers or []:
        if identifier.value:
            return identifier.value
    return None


class InteropFhirAdapter(models.AbstractModel):
    """The FHIR R4B adapter behind ``POST /interop/v1/fhir/<endpoint>``."""

    _name = "interop.fhir.adapter"
    _description = "Interop FHIR R4B Adapter"

    @api.model
    def _accept(self, endpoint_code, headers, read_body, length=None):
        """Take one transaction Bundle; return the :data:`Answer` (a
        transaction-response Bundle, or an OperationOutcome). Authentication,
        limits and signature are the JSON gateway's; their refusals raise its
        errors (problems)."""
        gateway = self.env["interop.gateway"]
        credential, endpoint, body = gateway._accept_standard(
            endpoint_code,
            FHIR_PATH % endpoint_code,
            headers,
            read_body,
            length,
            FHIR_MEDIA_TYPES,
        )
        header_key = gateway._get_header_idempotency_key(
            {name.lower(): value for name, value in headers.items()}
        )
        try:
            return self._receive(endpoint, credential, body, header_key)
        except FhirError as error:
            if error.log:
                self.env["interop.standards.adapter"]._log_rejected(
                    endpoint,
                    ORIGINAL_EVENT,
                    body,
                    FHIR_CONTENT_TYPE,
                    [f"{path}: {words} ({code})" for code, path, words in error.issues],
                )
            return self._outcome(error.status, error.issues)

    @api.model
    def _receive_demo_file(self, endpoint_xmlid, path):
        """Feed a demo Bundle (``demo/`` of this module) to the endpoint, as its
        partner system would send it."""
        endpoint = self.env.ref(endpoint_xmlid)
        profile = self.env["interop.endpoint"]._gateway_profile(endpoint.id)
        with file_open(f"interop_standards/{path}", "rb") as demo_file:
            return self._receive(profile, None, demo_file.read())

    def _receive(self, endpoint, credential, body, header_key=None):
        try:
            document = self.env["interop.gateway"]._parse_json(
                body, max_depth=endpoint.max_json_depth
            )
        except GatewayError as error:  # malformed, too deep
            raise FhirError(
                400, [("structure", "Bundle", error.detail)], log=False
            ) from None
        bundle = self._validate(document)
        key = (
            header_key
            or (bundle.identifier.value if bundle.identifier else None)
            or "sha256:" + hashlib.sha256(body).hexdigest()
        )
        Adapter = self.env["interop.standards.adapter"]
        repeat = Adapter._find_repeat(endpoint, key, body)
        if repeat:
            message_id, same = repeat
            if not same:
                raise FhirError(
                    409,
                    [
                        (
                            "conflict",
                            "Bundle.identifier",
                            (
                                "A bundle with this identifier was already "
                                "received with different content."
                            ),
                        )
                    ],
                    log=False,
                )
            return self._response(bundle, message_id)
        contract = self._contract(endpoint, credential)
        payload = self._payload(bundle)
        payload["event_id"] = f"fhir:{key}"
        violations = contract.check(payload)
        if violations:
            raise FhirError(
                422,
                [
                    ("invariant", "Bundle", f"The {CANONICAL_EVENT} event: {text}")
                    for text in violations
                ],
            )
        # queued: its processing reads it again and stores its canonical event
        # (_interop_handle_original)
        stored = Adapter._log_original(
            endpoint,
            ORIGINAL_EVENT,
            body,
            FHIR_CONTENT_TYPE,
            key,
            business_key=payload["visit"]["id"],
        )
        if stored.repeat:
            return self._response(bundle, stored.repeat[0])
        return self._response(bundle, stored.original.id)

    def _interop_handle_original(self, message, document):
        """Handler of the original FHIR bundles (``fhir.bundle``): the bundle
        read again as at intake and its ``service.completed`` event stored as its
        child, queued (``interop.standards.adapter._derive_child``). The event
        type lets the bundle's resources through to this handler (its PHI Copied
        to Records): they become the child, a log message encrypted and masked as
        the bundle is. A bundle that no longer converts fails, with the FHIRPath
        of each issue (never a value)."""
        Adapter = self.env["interop.standards.adapter"]
        Adapter._check_original(message, ORIGINAL_EVENT)
        try:
            bundle = self._validate(document)
            payload = self._payload(bundle)
        except FhirError as error:
            raise Adapter._not_converted(
                self.env._("The FHIR bundle"),
                [f"{path}: {words}" for _code, path, words in error.issues],
                self.env._(
                    "Check that the bundle's event type still lets its resources "
                    "through to its handler (PHI Copied to Records) and that the "
                    "canonical contract accepts it, then retry."
                ),
            ) from None
        payload["event_id"] = f"fhir:{message.sudo().idempotency_key}"
        Adapter._derive_child(message, ORIGINAL_EVENT, CANONICAL_EVENT, payload)

    def _contract(self, endpoint, credential):
        if credential is None:
            return self.env["interop.event.type"]._contract(CANONICAL_EVENT)
        return self.env["interop.gateway"]._get_event_type(
            endpoint, credential, CANONICAL_EVENT
        )

    # Reading

    def _validate(self, document):
        """The R4B Bundle of ``document``; its errors as issues with their paths."""
        if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
            raise FhirError(
                400, [("structure", "Bundle", "The body is not a FHIR Bundle.")]
            )
        entries = document.get("entry")
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            kind = resource.get("resourceType") if isinstance(resource, dict) else None
            try:
                fhir_r4b.get_fhir_model_class(str(kind))
            except ValueError:
                raise FhirError(
                    400,
                    [
                        (
                            "structure",
                            f"Bundle.entry[{index}].resource.resourceType",
                            "is not a FHIR R4B resource type",
                        )
                    ],
                ) from None
        try:
            bundle = Bundle.model_validate(document)
        except ValidationError as error:
            issues = []
            for detail in error.errors():
                code, words = ERROR_WORDS.get(
                    detail["type"], ("invalid", "is not valid FHIR R4B")
                )
                loc = list(detail["loc"])
                if detail["type"] == "extra_forbidden" and loc:
                    loc[-1] = None  # the sender's own name: never shown
                issues.append((code, _fhir_path(loc), words))
            raise FhirError(400, issues) from None
        if bundle.type != "transaction":
            raise FhirError(422, [("value", "Bundle.type", "must be transaction")])
        return bundle

    def _resources(self, bundle, kind):
        return [
            (index, entry.resource)
            for index, entry in enumerate(bundle.entry or [])
            if entry.resource is not None and entry.resource.get_resource_type() == kind
        ]

    def _one(self, bundle, kind, required=True):
        found = self._resources(bundle, kind)
        if len(found) > 1 or (required and not found):
            raise FhirError(
                422,
                [
                    (
                        "invariant",
                        "Bundle.entry",
                        (
                            f"The bundle must hold "
                            f"{'exactly' if required else 'at most'} one {kind}."
                        ),
                    )
                ],
            )
        return _first(found) or (None, None)

    def _payload(self, bundle):
        """The ``service.completed`` payload of a valid transaction Bundle."""
        index, encounter = self._one(bundle, "Encounter")
        charges = self._resources(bundle, "ChargeItem")
        if not charges:
            raise FhirError(
                422,
                [("invariant", "Bundle.entry", "The bundle holds no ChargeItem.")],
            )
        where = f"Bundle.entry[{index}].resource"
        visit_id = _identifier(encounter.identifier) or encounter.id
        end = encounter.period.end if encounter.period else None
        location = _first(encounter.location or [])
        location_code = None
        if location and location.location:
            location_code = (
                location.location.identifier.value
                if location.location.identifier
                else None
            )
        missing = [
            (f"{where}.{path}", what)
            for path, what, value in (
                ("identifier", "the visit id", visit_id),
                ("period.end", "the end of the encounter", end),
                (
                    "location[0].location.identifier.value",
                    "its location",
                    location_code,
                ),
            )
            if not value
        ]
        if missing:
            raise FhirError(
                422,
                [("required", path, f"{what} is required") for path, what in missing],
            )
        try:
            completed_at = _utc_text(end)
        except OverflowError:  # an offset that takes it past year 9999 in UTC
            raise FhirError(
                422,
                [("value", f"{where}.period.end", "is beyond the dates Odoo keeps")],
            ) from None
        visit = {
            "id": visit_id,
            "completed_at": completed_at,
            "location": location_code,
        }
        participant = _first(encounter.participant or [])
        if participant and participant.individual:
            provider = participant.individual.identifier
            if provider and provider.value:
                visit["provider"] = {"id": provider.value}
        return {
            "visit": visit,
            "responsible_party": self._party(bundle),
            "coverage": self._coverage(bundle),
            "lines": [self._line(index, charge) for index, charge in charges],
        }

    def _line(self, index, charge):
        code = _first(charge.code.coding or []) if charge.code else None
        if not code or not code.code:
            raise FhirError(
                422,
                [
                    (
                        "required",
                        f"Bundle.entry[{index}].resource.code.coding[0].code",
                        "the service code is required",
                    )
                ],
            )
        line = {
            "service_code": code.code,
            "quantity": float(charge.quantity.value)
            if charge.quantity and charge.quantity.value
            else 1.0,
            "modifiers": [],
        }
        occurrence = charge.occurrenceDateTime
        if occurrence:
            line["date"] = str(occurrence)[:10]
        return line

    def _party(self, bundle):
        """The RelatedPerson responsible for the bill, else the Patient."""
        index, person = self._one(bundle, "RelatedPerson", required=False)
        if person is None:
            index, person = self._one(bundle, "Patient")
        where = f"Bundle.entry[{index}].resource"
        name = _first(person.name or [])
        full_name = None
        if name:
            full_name = (
                name.text or " ".join([*(name.given or []), name.family or ""]).strip()
            )
        party_id = _identifier(person.identifier)
        missing = [
            (f"{where}.{path}", what)
            for path, what, value in (
                ("identifier", "the responsible party's identifier", party_id),
                ("name", "the responsible party's name", full_name),
            )
            if not value
        ]
        if missing:
            raise FhirError(
                422,
                [("required", path, f"{what} is required") for path, what in missing],
            )
        party = {"id": party_id, "name": full_name}
        for telecom in person.telecom or []:
            if telecom.system in ("phone", "email") and telecom.value:
                party.setdefault(telecom.system, telecom.value)
        if person.birthDate:
            party["birth_date"] = str(person.birthDate)
        address = _first(person.address or [])
        if address:
            values = {
                "street": _first(address.line or []),
                "city": address.city,
                "zip": address.postalCode,
                "country": address.country
                if address.country and len(address.country) == 2
                else None,
            }
            values = {key: value for key, value in values.items() if value}
            if values:
                party["address"] = values
        return party

    def _coverage(self, bundle):
        """The payer (Coverage.payor identifier) and plan (class "plan")."""
        index, coverage = self._one(bundle, "Coverage")
        payor = _first(coverage.payor or [])
        payer_code = payor.identifier.value if payor and payor.identifier else None
        if not payer_code:
            raise FhirError(
                422,
                [
                    (
                        "required",
                        f"Bundle.entry[{index}].resource.payor[0].identifier.value",
                        "the payer's identifier is required",
                    )
                ],
            )
        result = {"payer_code": payer_code}
        for coverage_class in coverage.class_fhir or []:
            codings = coverage_class.type.coding or [] if coverage_class.type else []
            if any(coding.code == "plan" for coding in codings):
                result["plan_ref"] = coverage_class.value
        return result

    # Answers

    def _outcome(self, status, issues):
        outcome = OperationOutcome(
            issue=[
                {
                    "severity": "error",
                    "code": code,
                    "diagnostics": words,
                    "expression": [path],
                }
                for code, path, words in issues
            ]
        )
        return Answer(
            status, outcome.model_dump_json(exclude_none=True), self._headers()
        )

    def _response(self, bundle, original_id):
        """The transaction-response: each entry accepted (202), at the logged
        bundle, whose processing stores the canonical event as its child."""
        location = MESSAGE_URL % original_id
        response = Bundle(
            type="transaction-response",
            entry=[
                {"response": {"status": "202 Accepted", "location": location}}
                for _entry in bundle.entry or []
            ],
        )
        headers = self._headers()
        headers["Location"] = MESSAGE_URL % original_id
        return Answer(200, response.model_dump_json(exclude_none=True), headers)

    def _headers(self):
        return {"Content-Type": FHIR_CONTENT_TYPE}
