# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import hmac
import json
import time

from odoo.tests import HttpCase

from odoo.addons.interop.tests.common import InteropMessageCase
from odoo.addons.queue_job.job import Job

from ..errors import PROBLEM_CONTENT_TYPE

SECRET = "test-signing-secret-0001"
TIMEOUT = 12


def sign(body, path, idempotency_key="", secret=SECRET, timestamp=None):
    """The signature headers of a POST of ``body`` to ``path``, as a partner system
    computes them (README, Inbound gateway: the canonical string)."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    canonical = f"POST\n{path}\n{idempotency_key}\n{timestamp}\n".encode() + body
    digest = hmac.new(secret.encode(), canonical, hashlib.sha256).hexdigest()
    return {"X-Interop-Timestamp": timestamp, "X-Interop-Signature": f"sha256={digest}"}


def inbound_path(endpoint_code, event_code):
    return f"/interop/v1/inbound/{endpoint_code}/{event_code}"


class GatewayCase(InteropMessageCase, HttpCase):
    """The active test endpoint with an API key and a signing secret, receiving the
    contact event of the core fixtures over HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the gateway queues a job; tests run it themselves
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=False))
        cls.api_key, cls.key = cls.env["interop.api.key"]._generate(
            cls.endpoint, "Test key"
        )
        cls.endpoint._set_gateway_secret(SECRET)

    def _post(
        self,
        payload=None,
        *,
        body=None,
        key=None,
        event=None,
        endpoint_code=None,
        headers=None,
        signed=False,
    ):
        """POST an event as a partner system would; return the response."""
        if body is None:
            body = json.dumps(payload or self._payload()).encode()
        all_headers = {"Content-Type": "application/json"}
        if key is not False:
            all_headers["Authorization"] = f"Bearer {key or self.key}"
        all_headers.update(headers or {})
        endpoint_code = endpoint_code or self.endpoint.code
        url = inbound_path(endpoint_code, event or self.event_type.code)
        if signed:
            all_headers.update(sign(body, url, all_headers.get("Idempotency-Key", "")))
        return self.opener.post(
            self.base_url() + url, data=body, headers=all_headers, timeout=TIMEOUT
        )

    def _get(self, path, key=None):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return self.opener.get(self.base_url() + path, headers=headers, timeout=TIMEOUT)

    def assertProblem(self, response, status):
        """Assert ``response`` is an RFC 9457 problem of ``status``; return it."""
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.headers["Content-Type"], PROBLEM_CONTENT_TYPE)
        problem = response.json()
        self.assertEqual(problem["status"], status)
        self.assertTrue(problem["type"].startswith("urn:interop:problem:"))
        self.assertTrue(problem["title"])
        self.assertNotIn("Traceback", response.text)
        return problem

    def _messages(self):
        return (
            self.env["interop.message"]
            .with_context(active_test=False)
            .search([("endpoint_id", "=", self.endpoint.id)])
        )

    def _pending_jobs(self, message):
        """The jobs that will process ``message``: its own, or its event type's
        pending drain."""
        Job = self.env["queue.job"]
        if message.job_uuid:
            return Job.search([("uuid", "=", message.job_uuid)])
        identity = self.env["interop.message.dispatch"]._drain_identity(
            message.event_type_id
        )
        return Job.search([("identity_key", "=", identity), ("state", "=", "pending")])

    def _run_job(self, message):
        """Run the job that will process ``message``, as the job runner would."""
        self.env.invalidate_all()
        for job in self._pending_jobs(message):
            Job.load(self.env, job.uuid).perform()
        self.env.invalidate_all()
