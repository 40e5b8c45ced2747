# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A real remote system on 127.0.0.1, and the fixtures of the outbound tests."""

import json
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from odoo.tests import new_test_user

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
        cls.endpoint.outbound_credential_id = cls.credential

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
