# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from unittest.mock import patch

from openapi_spec_validator import validate
from psycopg2 import OperationalError

from odoo import sql_db
from odoo.tests import tagged

from .common import GatewayCase

INBOUND = "/interop/v1/inbound/{endpoint_code}/"


@tagged("post_install", "-at_install")
class TestGatewayOpenapi(GatewayCase):
    def _document(self):
        response = self._get("/interop/v1/openapi.json")
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

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
