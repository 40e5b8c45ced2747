# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.interop.models.interop_event_type import mask_payload

from .common import InteropMessageCase


@tagged("post_install", "-at_install")
class TestEventType(InteropMessageCase):
    def test_code_is_dotted_lower_case(self):
        with self.assertRaisesRegex(ValidationError, "dotted lower-case"):
            self.event_type.copy({"code": "ServiceCompleted"})

    def test_schema_must_be_a_json_schema(self):
        with self.assertRaisesRegex(ValidationError, "not valid JSON"):
            self.event_type.copy({"version": 5, "schema": "{not json"})
        with self.assertRaisesRegex(ValidationError, "not a valid JSON Schema"):
            self.event_type.copy({"version": 6, "schema": '{"type": "banana"}'})

    def test_handler_must_be_an_existing_handler_method(self):
        with self.assertRaisesRegex(ValidationError, "handler methods are named"):
            self.event_type.handler_method = "unlink"
        with self.assertRaisesRegex(ValidationError, "does not exist"):
            self.event_type.handler_model = "no.such.model"

    def test_used_schema_cannot_change_in_place(self):
        self._receive()
        with self.assertRaisesRegex(UserError, "approved change request"):
            self.event_type.schema = json.dumps({"type": "object"})
        with self.assertRaisesRegex(UserError, "Create a new version"):
            self.event_type.version = 7
        self.event_type.description = "Descriptions may change"

    def test_new_version_is_the_next_number(self):
        action = self.event_type.action_new_version()
        v2 = self.env["interop.event.type"].browse(action["res_id"])
        self.assertEqual((v2.code, v2.version), ("test.contact.updated", 2))
        self.assertEqual(
            self.env["interop.event.type"]._find("test.contact.updated"), v2
        )
        self.assertEqual(
            self.env["interop.event.type"]._find("test.contact.updated", version=1),
            self.event_type,
        )

    def test_validator_is_compiled_once(self):
        self.assertIs(
            self.event_type._get_validator(), self.event_type._get_validator()
        )

    def test_valid_payload_has_no_violation(self):
        self.assertEqual(self.event_type._validate_payload(self._payload()), [])

    def test_masking_follows_paths_lists_and_wildcards(self):
        payload = {
            "patient": {"name": "Jane", "mrn": "123"},
            "lines": [{"code": "X1", "note": "left knee"}, {"code": "X2", "note": ""}],
        }
        masked = mask_payload(payload, ["patient.*", "lines.note"])
        self.assertEqual(masked["patient"], {"name": "***", "mrn": "***"})
        self.assertEqual(
            masked["lines"], [{"code": "X1", "note": "***"}, {"code": "X2", "note": ""}]
        )
        self.assertEqual(payload["patient"]["name"], "Jane")  # the original is intact

    def test_field_map_must_name_target_fields(self):
        with self.assertRaisesRegex(ValidationError, "no_such_field"):
            self.event_type.record_field_map = json.dumps(
                {"ref": "contact.ref", "no_such_field": "x"}
            )
