# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import copy
import json
import logging
import uuid

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import InteropMessageCase

#: every keyword kind a contract may use, each on a PHI field
KEYWORD_SCHEMA = {
    "type": "object",
    "required": ["event_id", "patient"],
    "properties": {
        "event_id": {"type": "string"},
        "patient": {
            "type": "object",
            "additionalProperties": False,
            "required": ["ssn"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 5},
                "email": {"type": "string", "format": "email"},
                "born": {"type": "string", "format": "date"},
                "mrn": {"type": "string", "pattern": "^M[0-9]+$"},
                "sex": {"enum": ["F", "M", "X"]},
                "site": {"const": "north"},
                "code": {"type": "string", "minLength": 80},
                "age": {"type": "integer", "minimum": 0, "maximum": 150},
                "tags": {"type": "array", "maxItems": 1, "uniqueItems": True},
                "ssn": {"type": "string"},
                "note": {"not": {"type": "string"}},
                "alias": {"anyOf": [{"type": "integer"}, {"type": "boolean"}]},
            },
        },
    },
}


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        try:
            self.lines.append(record.getMessage())
        except Exception:  # noqa: BLE001 - a record that cannot format is kept raw
            self.lines.append(repr(record.msg))
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


def _example(schema):
    """A value satisfying the simple JSON schemas of the demo contracts."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        return {
            name: _example(sub)
            for name, sub in schema.get("properties", {}).items()
            if "pattern" not in sub or name in schema.get("required", ())
        }
    if kind == "array":
        return [_example(schema.get("items", {"type": "string"}))]
    if kind in ("number", "integer"):
        return max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    formats = {"date": "2026-03-02", "date-time": "2026-03-02T10:00:00Z"}
    if schema.get("format") in formats:
        return formats[schema["format"]]
    return "x" * max(schema.get("minLength", 1), 2)


def _set_at(payload, pattern, value):
    """Put ``value`` at every place the PHI path ``pattern`` names (creating the
    last key of a path that names one key)."""
    nodes = [payload]
    parts = pattern.split(".")
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        following = []
        for node in nodes:
            items = node if isinstance(node, list) else [node]
            for item in items:
                if not isinstance(item, dict):
                    continue
                keys = list(item) if part == "*" else [part]
                for key in keys:
                    if last:
                        item[key] = copy.deepcopy(value)
                    elif isinstance(item.get(key), (dict, list)):
                        following.append(item[key])
                    elif part != "*":
                        item[key] = {}
                        following.append(item[key])
        nodes = following


@tagged("post_install", "-at_install")
class TestPhiNeverLeaks(InteropMessageCase):
    """A marker in every PHI field of every contract, valid or breaking each kind of
    rule, and in the values handlers choke on: nobody without PHI Access reads it,
    no column outside the encrypted payload holds it, no log line carries it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._enable_tracking()
        cls.marker = f"phimark{uuid.uuid4().hex[:12]}"
        cls.keyword_type = cls.env["interop.event.type"].create(
            {
                "code": "test.patient.checked",
                "name": "Patient Checked",
                "schema": json.dumps(KEYWORD_SCHEMA),
                "data_classification": "phi",
                "phi_paths": "patient.*",
                "id_field": "event_id",
                "handler_model": "interop.handler.record",
                "handler_method": "_interop_handle_log_only",
            }
        )
        # a generic flow whose target rejects what it is given, with the values
        # in the database's and Python's error texts
        cls.choking_type = cls.env["interop.event.type"].create(
            {
                "code": "test.contact.choked",
                "name": "Contact Choked",
                "schema": json.dumps({"type": "object"}),
                "data_classification": "phi",
                "phi_paths": "contact.name\ncontact.email\ncontact.color",
                "phi_copy_paths": "contact.name\ncontact.email\ncontact.color",
                "business_key_field": "contact.ref",
                "handler_model": "interop.handler.record",
                "handler_method": "_interop_handle_upsert",
                "record_model_id": cls.env.ref("base.model_res_partner").id,
                "record_match_field": "ref",
                "record_field_map": json.dumps(
                    {
                        "ref": "contact.ref",
                        "name": "contact.name",
                        "email": "contact.email",
                        "color": "contact.color",
                    }
                ),
            }
        )

    def _demo_event_types(self):
        """The inbound contracts with PHI of every installed suite module, each
        keeping the PHI in the log (copies into records are governed apart)."""
        event_types = (
            self.env["interop.event.type"]
            .search([("direction", "=", "inbound")])
            .filtered(
                lambda e: (
                    e.get_external_id()[e.id]
                    and not e.get_external_id()[e.id].startswith("__")
                    and e._phi_patterns()
                )
            )
        )
        self.assertGreaterEqual(len(event_types), 3, event_types.mapped("code"))
        for event_type in event_types:
            event_type._interop_apply_write({"phi_copy_paths": False})
        return event_types

    def _endpoint_for(self, event_type):
        Message = self.env["interop.message"].sudo()
        used = Message.search([("event_type_id", "=", event_type.id)], limit=1)
        return used.endpoint_id or self.endpoint

    def _valid_base(self, event_type):
        candidates = [_example(json.loads(event_type.schema))]
        demo = (
            self.env["interop.message"]
            .sudo()
            .search(
                [("event_type_id", "=", event_type.id), ("state", "!=", "rejected")],
                limit=5,
            )
        )
        candidates += [m._get_payload() for m in demo if not m.is_payload_pruned]
        for candidate in candidates:
            if isinstance(candidate, dict) and not event_type._validate_payload(
                candidate
            ):
                return candidate
        self.fail(f"no valid example payload for {event_type.code}")

    def _payloads(self, event_type, number):
        """A valid payload with the marker in every PHI field it fits, then one
        payload per PHI field breaking its rules with the marker."""
        base = self._valid_base(event_type)
        base["event_id"] = f"leak-{number}-0"
        valid = copy.deepcopy(base)
        payloads = []
        for index, path in enumerate(event_type._phi_patterns(), start=1):
            attempt = copy.deepcopy(valid)
            _set_at(attempt, path, self.marker)
            if not event_type._validate_payload(attempt):
                valid = attempt
            for variant, value in enumerate(
                (self.marker, [self.marker], {self.marker: self.marker})
            ):
                broken = copy.deepcopy(base)
                broken["event_id"] = f"leak-{number}-{index}-{variant}"
                _set_at(broken, path, value)
                payloads.append(broken)
        return [valid, *payloads]

    def _keyword_payloads(self):
        m = self.marker
        every_rule = {
            "name": m,
            "email": m,
            "born": m,
            "mrn": m,
            "sex": m,
            "site": m,
            "code": m,
            "age": m,
            "tags": [m, m],
            "note": m,
            "alias": m,
            m: m,
        }
        singles = [
            {"ssn": "1", "email": m},  # the compiled validator alone checks formats
            {"ssn": "1", "born": m},
            {"ssn": "1", "age": -1, "name": m},
            {"ssn": "1", "age": 1000},
            {"ssn": "1", m: m},
        ]
        return [
            {"event_id": f"kw-{index}", "patient": patient}
            for index, patient in enumerate([every_rule, *singles])
        ]

    def _choking_payloads(self):
        m = self.marker
        return [
            # contacts need a name: the check violation quotes the whole row
            {"contact": {"ref": "CH-1", "email": m}},
            # integer out of range: the failed INSERT is logged with its values
            {"contact": {"ref": "CH-2", "name": m, "email": m, "color": 10**20}},
            # not a number: Python's error quotes it
            {"contact": {"ref": "CH-3", "name": "x", "color": m}},
        ]

    def _non_phi_users(self):
        return self.user | self.manager | self.auditor

    def _interop_models(self):
        return [
            name
            for name, model in self.env.registry.items()
            if name.startswith("interop.")
            and not model._abstract
            and not model._transient
            and model._auto
        ]

    def _max_ids(self):
        result = {}
        for name in self._interop_models():
            self.env.cr.execute(
                SQL(
                    "SELECT COALESCE(MAX(id), 0) FROM %s",
                    SQL.identifier(self.env[name]._table),
                )
            )
            result[name] = self.env.cr.fetchone()[0]
        return result

    def _read_as(self, user, before):
        """Everything ``user`` reads of the Interop records written by the test."""
        texts = []
        for name, max_id in before.items():
            Model = self.env[name].with_user(user)
            try:
                records = Model.with_context(active_test=False).search(
                    [("id", ">", max_id)]
                )
            except AccessError:
                continue
            readable = list(Model.fields_get(attributes=["type"]))
            for fname in readable:
                try:
                    texts.append(str(records.read([fname])))
                except AccessError:
                    continue
            texts.append(str(records.mapped("display_name")))
        return texts

    def _columns_with_marker(self):
        """(table, column) of every text column holding the marker, outside the
        encrypted ones: what a pg_dump of the database would show."""
        encrypted = set()
        for name in self._interop_models():
            Model = self.env[name]
            for fname in getattr(Model, "_interop_encrypted_fields", ()):
                encrypted.add((Model._table, fname))
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT table_name, column_name FROM information_schema.columns
             WHERE table_schema = current_schema()
               AND (table_name LIKE 'interop\\_%%' OR table_name IN
                    ('mail_message', 'mail_tracking_value', 'mail_activity',
                     'mail_mail', 'mail_notification'))
               AND data_type IN ('text', 'character varying', 'jsonb', 'json')
            """
        )
        found = []
        for table, column in self.env.cr.fetchall():
            if (table, column) in encrypted:
                continue
            self.env.cr.execute(
                SQL(
                    "SELECT 1 FROM %s WHERE %s::text LIKE %s LIMIT 1",
                    SQL.identifier(table),
                    SQL.identifier(column),
                    f"%{self.marker}%",
                )
            )
            if self.env.cr.fetchone():
                found.append((table, column))
        return found

    def test_attack_phi_marker_never_reaches_non_phi_fields_nor_logs(self):
        before = self._max_ids()
        capture = _Capture()
        root = logging.getLogger()
        odoo_logger = logging.getLogger("odoo")
        levels = (root.level, odoo_logger.level)
        root.addHandler(capture)
        root.setLevel(logging.INFO)
        odoo_logger.setLevel(logging.INFO)
        try:
            received = self.env["interop.message"]
            sent = 0
            for number, event_type in enumerate(self._demo_event_types()):
                endpoint = self._endpoint_for(event_type)
                for payload in self._payloads(event_type, number):
                    received |= self.env["interop.message"]._receive(
                        endpoint, event_type, payload
                    )
                    sent += 1
            for event_type, payloads in (
                (self.keyword_type, self._keyword_payloads()),
                (self.choking_type, self._choking_payloads()),
            ):
                for payload in payloads:
                    received |= self.env["interop.message"]._receive(
                        self.endpoint, event_type, payload
                    )
                    sent += 1
            self.env.flush_all()
        finally:
            root.removeHandler(capture)
            root.setLevel(levels[0])
            odoo_logger.setLevel(levels[1])
        # the attack reached every path: rejections of each kind, handler failures
        self.assertEqual(len(received), sent)
        states = received.mapped("state")
        self.assertIn("rejected", states)
        self.assertIn("failed", states)
        reasons = "\n".join(
            received.filtered("rejection_reasons").mapped("rejection_reasons")
        )
        for keyword in (
            "type",
            "enum",
            "const",
            "pattern",
            "format",
            "minLength",
            "maxLength",
            "minimum",
            "maximum",
            "required",
            "additionalProperties",
            "maxItems",
            "uniqueItems",
            "not",
            "anyOf",
        ):
            self.assertIn(f"(keyword: {keyword})", reasons)
        choked = received.filtered(lambda m: m.event_type_id == self.choking_type)
        self.assertEqual(choked.mapped("state"), ["failed"] * 3)
        self.assertEqual(len(choked.exception_ids), 3)
        # nobody without PHI Access reads it ...
        for user in self._non_phi_users():
            with self.subTest(user=user.login):
                for text in self._read_as(user, before):
                    self.assertNotIn(self.marker, text)
        # ... no column holds it in clear ...
        self.assertEqual(self._columns_with_marker(), [])
        # ... and no log line carries it
        leaking = [line for line in capture.lines if self.marker in line]
        self.assertEqual(leaking, [])
        # while PHI Access shows it, where it belongs: in the payload
        checked = received.filtered(lambda m: m.event_type_id == self.keyword_type)
        revealed = (
            checked[:1]
            .with_user(self.phi_user)
            .with_context(interop_reveal_payload=True)
        )
        self.assertIn(self.marker, revealed.payload_display)
