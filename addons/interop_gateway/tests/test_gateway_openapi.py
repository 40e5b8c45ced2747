# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from unittest.mock import patch

from openapi_spec_validator import validate
from psycopg2 import OperationalError

from odoo import sql_db
from odoo.tests import tagged

from ..models.interop_gateway_openapi import PUBLIC_PARAM
from .common import GatewayCase

INBOUND = "/interop/v1/inbound/{endpoint_code}/"


@tagged("post_install", "-at_install")
class TestGatewayOpenapi(GatewayCase):
    def _document(self, key=None):
        response = self._get("/interop/v1/openapi.json", key=key or self.key)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def test_attack_document_without_a_key_is_401(self):
        response = self._get("/interop/v1/openapi.json")
        problem = self.assertProblem(response, 401)
        self.assertNotIn("test.contact.updated", response.text)
        self.assertNotIn("paths", problem)
        self.assertProblem(self._get("/interop/v1/openapi.json", key="iop_nope"), 401)

    def test_attack_document_lists_no_event_type_of_another_company(self):
        other_company = self.env["res.company"].create({"name": "Meridian West"})
        self.event_type.copy(
            {"code": "west.patient.admitted", "company_id": other_company.id}
        )
        self.event_type.copy(
            {"code": "test.visit.completed", "company_id": self.endpoint.company_id.id}
        )
        document = self._document()
        self.assertNotIn(INBOUND + "west.patient.admitted", document["paths"])
        self.assertNotIn("west.patient.admitted.v1", document["components"]["schemas"])
        self.assertIn(INBOUND + "test.visit.completed", document["paths"])
        self.assertIn(INBOUND + "test.contact.updated", document["paths"])

    def test_document_lists_only_the_event_types_of_the_keys_scope(self):
        other = self.event_type.copy({"code": "test.visit.completed"})
        _scoped, key = self.env["interop.api.key"]._generate(
            self.endpoint, "Visits only", event_types=other
        )
        document = self._document(key=key)
        self.assertIn(INBOUND + "test.visit.completed", document["paths"])
        self.assertNotIn(INBOUND + "test.contact.updated", document["paths"])
        validate(document)

    def test_public_document_is_opt_in_and_lists_no_event_type(self):
        self.env["ir.config_parameter"].set_param(PUBLIC_PARAM, "True")
        response = self._get("/interop/v1/openapi.json")
        self.assertEqual(response.status_code, 200, response.text)
        document = response.json()
        validate(document)
        self.assertNotIn("test.contact.updated", response.text)
        self.assertIn(
            "/interop/v1/inbound/{endpoint_code}/{event_type_code}", document["paths"]
        )
        self.assertEqual(
            set(document["components"]["schemas"]),
            {"Problem", "MessageReference", "MessageStatus"},
        )
        # with a key: the key's own document, as always
        self.assertIn(INBOUND + "test.contact.updated", self._document()["paths"])

    def test_signing_is_described_with_the_canonical_string(self):
        description = self._document()["info"]["description"]
        self.assertIn("the Idempotency-Key header (empty without one)", description)
        self.assertIn(
            "/interop/v1/inbound/<endpoint_code>/<event_type_code>", description
        )

    def test_document_is_valid_openapi_3_1(self):
        document = self._document()
        self.assertEqual(document["openapi"], "3.1.0")
        validate(document)  # raises on any violation of the specification

    def test_each_inbound_event_type_is_a_path_with_its_schema(self):
        self.event_type.copy({"code": "test.contact.exported", "direction": "outbound"})
        self.event_type.copy({"code": "test.contact.merged", "active": False})
        v2 = self.event_type.copy({"version": 2})
        document = self._document()
        operation = document["paths"][INBOUND + "test.contact.updated"]["post"]
        reference = operation["requestBody"]["content"]["application/json"]["schema"]
        self.assertEqual(
            reference["$ref"], "#/components/schemas/test.contact.updated.v2"
        )
        self.assertEqual(
            document["components"]["schemas"]["test.contact.updated.v2"],
            json.loads(v2.schema),
        )
        self.assertNotIn(INBOUND + "test.contact.exported", document["paths"])
        self.assertNotIn(INBOUND + "test.contact.merged", document["paths"])

    def test_security_and_problems_are_described(self):
        document = self._document()
        schemes = document["components"]["securitySchemes"]
        self.assertEqual(schemes["apiKey"], schemes["apiKey"] | {"scheme": "bearer"})
        self.assertEqual(schemes["signature"]["name"], "X-Interop-Signature")
        self.assertEqual(schemes["signatureTimestamp"]["name"], "X-Interop-Timestamp")
        operation = document["paths"][INBOUND + "test.contact.updated"]["post"]
        self.assertEqual(
            set(operation["responses"]),
            {
                "200",
                "202",
                "400",
                "401",
                "403",
                "404",
                "409",
                "413",
                "415",
                "422",
                "429",
                "503",
            },
        )
        problem = document["components"]["responses"]["422"]["content"]
        self.assertIn("application/problem+json", problem)


@tagged("post_install", "-at_install")
class TestGatewayHealth(GatewayCase):
    def test_health_says_the_database_is_reachable_and_nothing_more(self):
        response = self._get("/interop/v1/health")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok", "database": "reachable"})
        self.assertNotIn("Set-Cookie", response.headers)

    def test_health_is_503_when_the_database_does_not_answer(self):
        execute = sql_db.TestCursor.execute

        def failing_execute(cursor, query, *args, **kwargs):
            if query == "SELECT 1":
                raise OperationalError("connection lost")
            return execute(cursor, query, *args, **kwargs)

        with patch.object(sql_db.TestCursor, "execute", failing_execute):
            response = self._get("/interop/v1/health")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(
            response.json(), {"status": "unavailable", "database": "unreachable"}
        )
