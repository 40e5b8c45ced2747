# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import threading
from contextlib import contextmanager
from unittest.mock import patch

from odoo import http
from odoo.tests import tagged
from odoo.tools import config, mute_logger

from .. import serving
from .common import TIMEOUT, GatewayCase


@tagged("post_install", "-at_install")
class TestOneTransactionPerRequest(GatewayCase):
    """A gateway request that writes runs in the transaction that matched its route
    (serving._serve_gateway); the others are served as Odoo serves them."""

    @contextmanager
    def _transactions(self):
        """Count, by kind, the transactions the server opens for the requests sent
        in the block: ``registry`` (checks the registry, matches the route) and
        ``request`` (Odoo's own transaction for the route)."""
        counts = {"registry": 0, "request": 0}
        test_thread = threading.current_thread()
        Request = http.Request
        open_registry = Request._open_registry
        transactioning = Request._transactioning

        def spy(kind, method):
            def wrapper(request, *args, **kwargs):
                if threading.current_thread() is not test_thread:
                    counts[kind] += 1
                return method(request, *args, **kwargs)

            return wrapper

        with (
            patch.object(Request, "_open_registry", spy("registry", open_registry)),
            patch.object(Request, "_transactioning", spy("request", transactioning)),
        ):
            yield counts

    def test_posted_message_is_stored_in_one_transaction(self):
        self.assertIs(http.Request._serve_db, serving._serve_db)
        with self._transactions() as counts:
            response = self._post(signed=True)
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(counts, {"registry": 1, "request": 0})
        message = self._messages()
        self.assertEqual(len(message), 1)
        self.assertEqual(message.state, "queued")
        self.assertEqual(response.json()["correlation_id"], message.correlation_id)

    def test_refusal_in_one_transaction_keeps_nothing(self):
        with self._transactions() as counts:
            response = self._post(key="not-a-key")
        self.assertProblem(response, 401)
        self.assertEqual(counts, {"registry": 1, "request": 0})
        self.assertFalse(self._messages())

    def test_unexpected_error_is_a_500_problem_and_rolled_back(self):
        gateway = type(self.env["interop.gateway"])
        with (
            self._transactions() as counts,
            patch.object(gateway, "_store", side_effect=ValueError("PHI value")),
            mute_logger("odoo.addons.interop_gateway.controllers.interop_gateway"),
        ):
            response = self._post(signed=True)
        problem = self.assertProblem(response, 500)
        self.assertNotIn("PHI", response.text)
        self.assertEqual(problem["status"], 500)
        self.assertEqual(counts, {"registry": 1, "request": 0})
        self.assertFalse(self._messages())

    def test_read_only_route_is_served_as_odoo_does(self):
        with self._transactions() as counts:
            response = self._get("/interop/v1/openapi.json", key=self.key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn("paths", response.json())
        self.assertEqual(counts, {"registry": 1, "request": 1})

    def test_other_paths_are_served_as_odoo_does(self):
        with self._transactions() as counts:
            response = self.opener.get(self.base_url() + "/web/health", timeout=TIMEOUT)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(counts, {"registry": 1, "request": 1})

    def test_one_transaction_serving_is_switched_off_in_odoo_conf(self):
        with (
            patch.dict(config.options, {serving.ONE_TRANSACTION_OPTION: False}),
            self._transactions() as counts,
        ):
            response = self._post(signed=True)
        self.assertEqual(response.status_code, 202, response.text)
        # as Odoo serves it: the route in a transaction of its own
        self.assertEqual(counts, {"registry": 1, "request": 1})
        self.assertEqual(self._messages().state, "queued")


@tagged("post_install", "-at_install")
class TestOdooPatchedThroughHooks(GatewayCase):
    """The gateway changes Odoo's request serving only through the manifest's
    post_load hook, by wrapping Odoo's own methods."""

    def test_odoo_methods_mirrored_by_the_gateway_are_unchanged(self):
        changed = {
            name: digest
            for name, digest in serving.mirrored_sha256().items()
            if digest != serving.MIRRORED_SHA256[name]
        }
        self.assertFalse(
            changed,
            f"Odoo changed http.Request.{' and '.join(changed)}: "
            "serving._serve_gateway mirrors it. Review _serve_gateway against the "
            f"new Odoo code, then update serving.MIRRORED_SHA256 with {changed}. "
            "Until then the server serves gateway POSTs as Odoo does.",
        )
        self.assertTrue(serving._serve_db.mirror_matches)

    def test_patches_wrap_odoo_originals(self):
        for name in ("_serve_nodb", "_serve_db"):
            method = getattr(http.Request, name)
            self.assertIs(method, getattr(serving, name))
            self.assertEqual(method.original.__qualname__, f"Request.{name}")
