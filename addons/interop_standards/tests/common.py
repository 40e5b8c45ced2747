# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase
from odoo.tools import file_open

from odoo.addons.interop_gateway.tests.common import SECRET, TIMEOUT, sign
from odoo.addons.interop_revenue.tests.common import RevenueCase
from odoo.addons.queue_job.job import Job

HL7_TYPE = "x-application/hl7-v2+er7"


def data(name):
    """A sample message of ``tests/data`` (synthetic: no real patient)."""
    with file_open(f"interop_standards/tests/data/{name}", "rb") as sample:
        return sample.read().decode()


def segments(ack):
    """The segments of an HL7 answer, each as its list of fields."""
    return [line.split("|") for line in ack.split("\r") if line]


class StandardsCase(RevenueCase, HttpCase):
    """The scheduling platform of the revenue tests, calling the standards routes
    over HTTP with its API key, signed, as in production."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the adapters queue jobs: the tests run them as the job runner would
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=False))
        cls.key_record, cls.key = cls.env["interop.api.key"]._generate(
            cls.scheduling, "Standards test key"
        )
        cls.scheduling._set_gateway_secret(SECRET)
        cls.scheduling._interop_apply_write({"gateway_require_signature": True})

    def _post(
        self, path, body, content_type, key=None, signed=True, extra_headers=None
    ):
        if isinstance(body, str):
            body = body.encode()
        headers = {"Content-Type": content_type}
        if key is not False:
            headers["Authorization"] = f"Bearer {key or self.key}"
        if signed:
            headers.update(sign(body, path))
        headers.update(extra_headers or {})
        return self.opener.post(
            self.base_url() + path, data=body, headers=headers, timeout=TIMEOUT
        )

    def _post_hl7(self, text, **kwargs):
        kwargs.setdefault("content_type", HL7_TYPE)
        path = f"/interop/v1/hl7/{kwargs.pop('endpoint_code', self.scheduling.code)}"
        return self._post(path, text, **kwargs)

    def _originals(self, event_code):
        return self.env["interop.message"].search(
            [
                ("endpoint_id", "=", self.scheduling.id),
                ("event_type_id.code", "=", event_code),
            ]
        )

    def _derive(self, originals):
        """Process the original messages (their drain), as the job runner would:
        each stores its canonical event as its child. Returns the children."""
        for original in originals:
            self._run_jobs(original)
        return originals.child_ids

    def _assert_failed_without_values(self, message, words, values):
        """``message`` failed as invalid, its error saying ``words``, and none of
        ``values`` (of the payload: PHI) is in what the owner reads of the failure:
        its error, its attempts' and its exception."""
        self.assertEqual(message.state, "failed")
        for text in words:
            self.assertIn(text, message.last_error)
        exception = message.exception_ids
        self.assertEqual(exception.category_id.code, "validation")
        fields_ = ["name", "description", "suggested_action", "technical_detail"]
        shown = " ".join(
            str(value or "")
            for record in exception.read(fields_)
            for value in record.values()
        )
        shown += message.last_error + str(message.attempt_ids.mapped("error"))
        for value in values:
            self.assertNotIn(value, shown)

    def _run_jobs(self, message):
        """Run the jobs that process ``message``, as the job runner would."""
        self.env.invalidate_all()
        Queue = self.env["queue.job"]
        Dispatch = self.env["interop.message.dispatch"]
        identity = Dispatch._drain_identity(message.event_type_id)
        domain = [
            "|",
            ("uuid", "=", message.job_uuid or ""),
            ("identity_key", "=", identity),
        ]
        jobs = Queue.search(domain).filtered(lambda job: job.state == "pending")
        for job in jobs:
            Job.load(self.env, job.uuid).perform()
        self.env.invalidate_all()
