# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from psycopg2 import InterfaceError, OperationalError

from odoo.tests import BaseCase, tagged

from ..errors import (
    RateLimited,
    Unauthorized,
    ValidationFailed,
    problem_from_exception,
)


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
