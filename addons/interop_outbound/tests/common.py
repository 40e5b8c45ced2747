# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A real remote system on 127.0.0.1, and the fixtures of the outbound tests."""

import base64
import json
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user
from odoo.tools import mute_logger

from odoo.addons.interop.tests.common import InteropCase
from odoo.addons.queue_job.exception import RetryableJobError


@dataclass
class Answer:
    """What the remote does with one request."""

    status: int = 200
    body: object = field(default_factory=lambda: {"ok": True})
    headers: dict = field(default_factory=dict)
    #: close the connection without answering (a remote going down mid-call)
    drop: bool = False
    #: seconds to wait before answering (latency; never used to test timeouts)
    delay: float = 0.0


@dataclass
class Received:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a connection dropped on purpose is not an error of the test


class RemoteServer:
    """An HTTP server in a thread that answers what it is told, path by path.

    ``answer(path, *answers)`` queues answers for a path (the last one repeats);
    an answer may also be a callable ``(Received) -> Answer``. Everything received
    is kept in ``received``.
    """

    def __init__(self):
        self.answers = defaultdict(deque)
        self.received = []
        self._lock = threading.Lock()
        remote = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                request = Received(
                    method=self.command,
                    path=parts.path,
                    query={k: v[0] for k, v in parse_qs(parts.query).items()},
                    headers=dict(self.headers.items()),
                    body=self.rfile.read(length) if length else b"",
                )
                answer = remote._next_answer(request)
                if answer.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if answer.delay:
                    time.sleep(answer.delay)
                body = answer.body
                if isinstance(body, str):
                    body = body.encode()
                elif not isinstance(body, bytes):
                    body = json.dumps(body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _handle

            def log_message(self, format, *args):  # pylint: disable=redefined-builtin
                pass  # the test output is not the place for an access log

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path, *answers):
        with self._lock:
            self.answers[path].extend(answers)

    def reset(self):
        with self._lock:
            self.answers.clear()
            self.received.clear()

    def _next_answer(self, request):
        with self._lock:
            self.received.append(request)
            queue = self.answers.get(request.path)
            if not queue:
                return Answer()
            answer = queue.popleft() if len(queue) > 1 else queue[0]
        return answer(request) if callable(answer) else answer

    def requests_to(self, path):
        return [r for r in self.received if r.path == path]


def unused_port():
    """A port nothing listens on: a remote that is down refuses the connection."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OutboundCase(InteropCase):
    """An active, non-production endpoint of a real remote server on 127.0.0.1.

    The registry is put in test mode, as ``HttpCase`` does, so that the short
    transactions the delivery commits on its own (attempts, breaker) run on the
    test's transaction and vanish with it.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.remote = RemoteServer().start()
        cls.addClassCleanup(cls.remote.stop)
        cls.phi_user = new_test_user(
            cls.env,
            login="outbound_phi",
            groups="interop.group_interop_manager,interop.group_interop_phi",
        )
        cls.endpoint.write(
            {
                "base_url": cls.remote.url + "/api",
                "environment": "test",
                "direction": "both",
            }
        )
        cls.endpoint._activate()
        cls.credential = cls.env["interop.credential"].create(
            {
                "name": "Test API key",
                "kind": "api_key",
                "endpoint_id": cls.endpoint.id,
                "header_name": "X-Api-Key",
            }
        )
        cls.credential._set_secret("s3cr3t-api-key")
        # test setup, past change control (the endpoint is active)
        cls.endpoint._interop_apply_write({"outbound_credential_id": cls.credential.id})

    def setUp(self):
        super().setUp()
        self.remote.reset()
        self.addCleanup(self.remote.reset)

    def _send(self, payload=None, **kwargs):
        return self.endpoint._send(None, payload or {"invoice": "INV-1"}, **kwargs)

    def assertRetried(self, job_method):
        """Run a job method that must ask queue_job to retry it; return the error.

        Not ``assertRaises``: its savepoint would also roll back what the job
        committed in transactions of its own, which production keeps.
        """
        try:
            job_method()
        except RetryableJobError as error:
            return error
        self.fail("The job did not ask to be retried.")


#: secrets the attacks try to get
VICTIM_SECRET = "victim-api-key-0f3c9"
VICTIM_CLIENT_SECRET = "victim-client-secret-77aa"
#: how Odoo refuses a step of an attack
REFUSED = (AccessError, UserError, ValidationError)


def client_context(user, **extra):
    """The context a web client sends, with the keys an attacker would add."""
    return {
        "lang": "en_US",
        "tz": "Europe/Brussels",
        "uid": user.id,
        "allowed_company_ids": user.company_ids.ids,
        # keys that must unlock nothing
        "interop_vault_write": True,
        "interop_change_apply": True,
        **extra,
    }


class SecurityCase(OutboundCase):
    """Attacks as each role would make them: through the ORM with a client's context,
    against a second real server on 127.0.0.1 that stands for the attacker's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.attacker_server = RemoteServer().start()
        cls.addClassCleanup(cls.attacker_server.stop)
        cls.admin = new_test_user(
            cls.env,
            login="outbound_settings_admin",
            groups="base.group_system,interop.group_interop_manager",
        )
        cls.run_as = cls.env.ref("interop_outbound.user_interop_sync")
        cls.victim_key = cls.env["interop.credential"].create(
            {
                "name": "Victim key",
                "kind": "api_key",
                "endpoint_id": cls.endpoint.id,
                "header_name": "X-Api-Key",
            }
        )
        cls.victim_key._set_secret(VICTIM_SECRET)

    def setUp(self):
        super().setUp()
        self.attacker_server.reset()

    def as_client(self, records, user, **extra):
        return records.with_user(user).with_context(**client_context(user, **extra))

    def attempt(self, action, *args, **kwargs):
        """Run one step of an attack; return the refusal, or None if it went through."""
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                action(*args, **kwargs)
                self.env.flush_all()
        except REFUSED as error:
            self.env.invalidate_all()
            return error
        return None

    def assertSecretNeverArrived(self, *secrets):
        """Nothing the attacker's server received carries one of ``secrets``."""
        seen = []
        for request in self.attacker_server.received:
            text = " ".join(f"{k}: {v}" for k, v in request.headers.items())
            auth = request.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                text += " " + base64.b64decode(auth[6:]).decode(errors="replace")
            text += " " + request.body.decode(errors="replace")
            seen.append(text)
        for secret in secrets:
            self.assertFalse(
                [text for text in seen if secret in text],
                "the secret arrived at the attacker's server",
            )

    def _attacker_endpoint(self, user):
        Endpoint = self.as_client(self.env["interop.endpoint"], user)
        endpoint = Endpoint.create(
            self._endpoint_vals(
                code="attacker-test",
                name="Attacker Test",
                direction="outbound",
                environment="test",
                base_url=self.attacker_server.url + "/collect",
                business_owner_id=user.id,
                technical_owner_id=user.id,
            )
        )
        return endpoint

    def _run_pull(self, endpoint, user, **vals):
        """Create a pull sync of ``endpoint`` as ``user`` and Run Now; the refusal."""
        Sync = self.as_client(self.env["interop.sync"], user)
        sync = None

        def create():
            nonlocal sync
            sync = Sync.create(
                {
                    "name": "Harmless pull",
                    "endpoint_id": endpoint.id,
                    "direction": "pull",
                    "resource_path": "/catalog",
                    **vals,
                }
            )

        refused = self.attempt(create)
        if sync:
            self.attempt(sync.action_run_now)
        return refused
