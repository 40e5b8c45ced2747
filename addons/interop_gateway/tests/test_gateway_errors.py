# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from types import SimpleNamespace
from unittest.mock import patch

from psycopg2 import InterfaceError, OperationalError

from odoo import http
from odoo.tests import BaseCase, tagged
from odoo.tools import mute_logger

from .. import serving
from ..errors import (
    PROBLEM_CONTENT_TYPE,
    RateLimited,
    Unauthorized,
    ValidationFailed,
    problem_from_exception,
)
from .common import TIMEOUT, GatewayCase


@tagged("post_install", "-at_install")
class TestProblemMapping(BaseCase):
    def test_refusal_becomes_its_problem(self):
        status, problem, headers = problem_from_exception(
            ValidationFailed("2 violations", message_id=7, violations=["a: b", "c: d"])
        )
        self.assertEqual(status, 422)
        self.assertEqual(
            problem,
            {
                "type": "urn:interop:problem:validation-failed",
                "title": "Payload Does Not Match Its Schema",
                "status": 422,
                "detail": "2 violations",
                "message_id": 7,
                "violations": ["a: b", "c: d"],
            },
        )
        self.assertEqual(headers, {})

    def test_rate_limit_says_when_to_retry(self):
        self.assertEqual(
            problem_from_exception(RateLimited(12))[2], {"Retry-After": "12"}
        )

    def test_credentials_refusal_has_one_wording(self):
        self.assertEqual(
            problem_from_exception(Unauthorized())[1]["detail"],
            "Missing or invalid credentials.",
        )

    def test_database_errors_are_503(self):
        status, problem, headers = problem_from_exception(OperationalError("gone"))
        self.assertEqual((status, headers), (503, {"Retry-After": "5"}))
        self.assertNotIn("gone", str(problem))

    def test_connection_closed_under_the_request_is_503(self):
        # PostgreSQL restarted while the request ran (found by the pg-restart drill)
        status, _problem, headers = problem_from_exception(
            InterfaceError("cursor already closed")
        )
        self.assertEqual((status, headers), (503, {"Retry-After": "5"}))

    def test_anything_else_is_a_bare_500(self):
        status, problem, _headers = problem_from_exception(ValueError("PHI value"))
        self.assertEqual(status, 500)
        self.assertEqual(set(problem), {"type", "title", "status"})


@tagged("post_install", "-at_install")
class TestWithoutDatabase(BaseCase):
    """PostgreSQL down: Odoo serves the request without a database."""

    def _request(self, path):
        return SimpleNamespace(httprequest=SimpleNamespace(path=path))

    def assertUnavailable(self, response):
        """Assert ``response`` is the gateway's 503 problem, with Retry-After."""
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.headers["Content-Type"], PROBLEM_CONTENT_TYPE)
        self.assertTrue(response.headers["Retry-After"])
        problem = json.loads(response.get_data())
        self.assertEqual(problem["type"], "urn:interop:problem:unavailable")

    def test_gateway_paths_answer_503_with_retry_after(self):
        self.assertIs(http.Request._serve_nodb, serving._serve_nodb)
        with mute_logger("odoo.addons.interop_gateway.serving"):
            response = serving._serve_nodb(self._request("/interop/v1/inbound/a/b.c"))
        self.assertUnavailable(response)

    def test_attack_path_forging_a_log_line_is_quoted(self):
        # a client's %0A in the URL decodes to a newline in the path
        forged = (
            "/interop/v1/x\n2026-12-04 10:00:00,000 1 ERROR db odoo: forged" + "y" * 500
        )
        lost = InterfaceError("connection already closed")
        with self.assertLogs("odoo.addons.interop_gateway.serving", "WARNING") as logs:
            serving._serve_nodb(self._request(forged))
            with patch.object(serving, "_serve_gateway", side_effect=lost):
                serving._serve_db(self._request(forged))
        for record in logs.records:
            message = record.getMessage()
            self.assertNotIn("\n", message)
            self.assertIn("\\n2026-12-04", message)  # shown escaped, on one line
            self.assertLess(len(message), 400)

    def test_other_paths_are_served_as_odoo_does(self):
        with patch.object(serving._serve_nodb, "original", return_value="odoo") as odoo:
            self.assertEqual(serving._serve_nodb(self._request("/web/login")), "odoo")
        odoo.assert_called_once()

    def test_connection_lost_during_a_gateway_request_is_503(self):
        # found by the pg-restart drill: PostgreSQL stopped under a request, whose
        # commit and cursor then fail in Odoo, after the gateway answered
        self.assertIs(http.Request._serve_db, serving._serve_db)
        lost = InterfaceError("connection already closed")
        with (
            patch.object(serving, "_serve_gateway", side_effect=lost),
            mute_logger("odoo.addons.interop_gateway.serving"),
        ):
            response = serving._serve_db(self._request("/interop/v1/inbound/a/b.c"))
        self.assertUnavailable(response)

    def test_connection_lost_elsewhere_is_left_to_odoo(self):
        lost = OperationalError("server closed the connection unexpectedly")
        with (
            patch.object(serving._serve_db, "original", side_effect=lost),
            self.assertRaises(OperationalError),
        ):
            serving._serve_db(self._request("/web/login"))

    def test_other_requests_are_served_as_odoo_does(self):
        with patch.object(serving._serve_db, "original", return_value="odoo") as odoo:
            response = serving._serve_db(self._request("/web/login"))
        self.assertEqual(response, "odoo")
        odoo.assert_called_once()


@tagged("post_install", "-at_install")
class TestUnknownResources(GatewayCase):
    def test_unknown_path_is_a_404_problem(self):
        response = self.opener.get(
            self.base_url() + "/interop/v1/nothing/here", timeout=TIMEOUT
        )
        self.assertProblem(response, 404)

    def test_message_id_that_is_not_a_number_is_a_404_problem(self):
        self.assertProblem(self._get("/interop/v1/messages/null", key=self.key), 404)

    def test_another_method_is_a_405_problem_with_allow(self):
        url = f"/interop/v1/inbound/{self.endpoint.code}/{self.event_type.code}"
        response = self.opener.get(self.base_url() + url, timeout=TIMEOUT)
        self.assertProblem(response, 405)
        self.assertEqual(response.headers["Allow"], "POST")
        response = self.opener.delete(
            self.base_url() + "/interop/v1/openapi.json", timeout=TIMEOUT
        )
        self.assertProblem(response, 405)
        self.assertEqual(response.headers["Allow"], "GET")
