# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Attacks on the gateway, each over real HTTP as a hostile partner would send it."""

import http.client
import json
import select
import socket
import time
from unittest.mock import patch
from urllib.parse import urlsplit

from werkzeug import serving

from odoo.tests import tagged

from ..errors import PROBLEM_CONTENT_TYPE
from ..strict_json import json_depth_exceeds
from .common import GatewayCase, inbound_path, sign

#: the endpoint's body limit in these tests, and what the attacker sends chunked
SMALL_LIMIT = 64 * 1024
CHUNK = 64 * 1024
ATTACK_SIZE = 48 * 1024 * 1024


class _ReadCounter:
    """Counts the body bytes the server reads from chunked requests (werkzeug's
    DechunkedInput), calling the real method: instrumentation, not a mock."""

    def __init__(self):
        self.read = 0
        original = serving.DechunkedInput.readinto
        counter = self

        def readinto(stream, buf):
            count = original(stream, buf)
            counter.read += count
            return count

        self.patch = patch.object(serving.DechunkedInput, "readinto", readinto)

    def __enter__(self):
        self.patch.start()
        return self

    def __exit__(self, *exc):
        self.patch.stop()


@tagged("post_install", "-at_install")
class TestGatewayAttacks(GatewayCase):
    def _flush(self):
        """What the test wrote, visible to the server (as the test's HTTP opener
        does before each request)."""
        self.env.cr.flush()
        self.env.cr.clear()

    def _send_chunked(self, path, headers, total=ATTACK_SIZE):
        """POST ``total`` bytes chunked on a raw socket, as an attacker streams
        them: stop when the server answers or drops the connection. Returns
        ``(status line, bytes of the answer, bytes handed to the socket)``."""
        url = urlsplit(self.base_url())
        self._flush()
        sock = socket.create_connection((url.hostname, url.port), timeout=30)
        sent = 0
        answer = b""
        try:
            head = [f"POST {path} HTTP/1.1", f"Host: {url.hostname}:{url.port}"]
            head += [f"{name}: {value}" for name, value in headers.items()]
            head += ["Transfer-Encoding: chunked", "", ""]
            sock.sendall("\r\n".join(head).encode("latin-1"))
            chunk = b"%x\r\n" % CHUNK + b"x" * CHUNK + b"\r\n"
            deadline = time.monotonic() + 60
            while sent < total and time.monotonic() < deadline:
                readable, _w, _x = select.select([sock], [], [], 0)
                if readable:
                    break  # the server answers before the body is over
                try:
                    sock.sendall(chunk)
                except OSError:
                    break  # the server closed the connection
                sent += CHUNK
            else:
                if sent >= total:
                    sock.sendall(b"0\r\n\r\n")
            sock.settimeout(30)
            while True:
                try:
                    data = sock.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                answer += data
        finally:
            sock.close()
        status_line = answer.split(b"\r\n", 1)[0].decode("latin-1")
        return status_line, answer, sent

    def _problem_of(self, answer):
        head, _sep, body = answer.partition(b"\r\n\r\n")
        self.assertIn(b"application/problem+json", head.lower())
        if b"transfer-encoding: chunked" in head.lower():
            body = body.split(b"\r\n", 1)[1].rsplit(b"\r\n0\r\n", 1)[0]
        return json.loads(body)

    # 1. chunked bodies

    def test_attack_chunked_body_over_the_limit_is_not_read_whole(self):
        self.endpoint._interop_apply_write({"gateway_max_body_bytes": SMALL_LIMIT})
        headers = {
            "Authorization": f"Bearer {self.key}",
            "Content-Type": "application/json",
        }
        path = inbound_path(self.endpoint.code, self.event_type.code)
        with _ReadCounter() as counter:
            status, answer, sent = self._send_chunked(path, headers)
        self.assertIn(" 413 ", status, answer[:500])
        problem = self._problem_of(answer)
        self.assertEqual(problem["status"], 413)
        # the server read one byte more than the limit, not the 48 MiB sent
        self.assertLessEqual(counter.read, SMALL_LIMIT + 1)
        # the sender stopped long before the end (what the sockets buffered aside)
        self.assertLess(sent, ATTACK_SIZE // 2)
        self.assertFalse(self._messages())

    def test_attack_chunked_form_body_is_not_parsed_before_the_route(self):
        # a form body would be parsed by Odoo's dispatcher, whole, before the route
        headers = {
            "Authorization": f"Bearer {self.key}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        path = inbound_path(self.endpoint.code, self.event_type.code)
        with _ReadCounter() as counter:
            status, answer, sent = self._send_chunked(path, headers)
        self.assertIn(" 415 ", status, answer[:500])
        self.assertEqual(self._problem_of(answer)["status"], 415)
        self.assertEqual(counter.read, 0)
        self.assertLess(sent, ATTACK_SIZE // 2)

    def test_attack_chunked_form_body_to_the_document_route_is_not_parsed(self):
        headers = {"Content-Type": "multipart/form-data; boundary=x"}
        with _ReadCounter() as counter:
            _status, _answer, sent = self._send_chunked(
                "/interop/v1/openapi.json", headers
            )
        self.assertEqual(counter.read, 0)
        self.assertLess(sent, ATTACK_SIZE // 2)

    # 2. replay

    def test_attack_replay_of_a_signed_request_with_a_new_idempotency_key(self):
        self.endpoint._interop_apply_write({"gateway_require_signature": True})
        body = json.dumps(self._payload()).encode()
        path = inbound_path(self.endpoint.code, self.event_type.code)
        captured = {
            "Idempotency-Key": "partner-key-1",
            **sign(body, path, "partner-key-1"),
        }
        self.assertEqual(self._post(body=body, headers=captured).status_code, 202)
        replayed = dict(captured, **{"Idempotency-Key": "attacker-key-2"})
        self.assertProblem(self._post(body=body, headers=replayed), 401)
        self.assertEqual(len(self._messages()), 1)

    def test_attack_replay_of_a_signed_request_without_any_key(self):
        # an event type without an id field: nothing but the signature tells a replay
        self.event_type._interop_apply_write({"id_field": False})
        self.endpoint._interop_apply_write({"gateway_require_signature": True})
        body = json.dumps(self._payload()).encode()
        path = inbound_path(self.endpoint.code, self.event_type.code)
        captured = sign(body, path)
        first = self._post(body=body, headers=captured)
        self.assertEqual(first.status_code, 202, first.text)
        again = self._post(body=body, headers=captured)
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["message_id"], first.json()["message_id"])
        self.assertEqual(len(self._messages()), 1)

    def test_signature_covers_the_path(self):
        self.endpoint._interop_apply_write({"gateway_require_signature": True})
        other = self.event_type.copy({"code": "test.visit.completed"})
        body = json.dumps(self._payload()).encode()
        # signed for the contact event type, sent to another one
        headers = sign(body, inbound_path(self.endpoint.code, self.event_type.code))
        response = self._post(body=body, headers=headers, event=other.code)
        self.assertProblem(response, 401)

    # 3. hostile headers

    def _hostile(self, name, value, status=401, signed=True):
        """A signed request whose header ``name`` is then replaced by ``value``
        (text, or bytes sent as they are), sent with the standard library's client,
        which sends what requests would refuse (leading blanks, any bytes)."""
        self.endpoint._interop_apply_write({"gateway_require_signature": signed})
        body = json.dumps(self._payload(ref="P-2")).encode()
        path = inbound_path(self.endpoint.code, self.event_type.code)
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.key}",
            "Idempotency-Key": "hostile-1",
            **sign(body, path, "hostile-1"),
        }
        headers[name] = value
        url = urlsplit(self.base_url())
        self._flush()
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
        finally:
            connection.close()
        self.assertEqual(response.status, status, (name, value, answer))
        self.assertEqual(response.getheader("Content-Type"), PROBLEM_CONTENT_TYPE)
        self.assertEqual(json.loads(answer)["status"], status)
        self.assertFalse(self._messages(), (name, value))

    def test_attack_non_ascii_signature_is_401_not_500(self):
        with self.assertNoLogs("odoo.addons.interop_gateway", "ERROR"):
            self._hostile("X-Interop-Signature", "sha256=" + "é" * 64)
            self._hostile("X-Interop-Signature", "sha256=é".encode())

    def test_attack_non_ascii_timestamp_is_401_not_500(self):
        with self.assertNoLogs("odoo.addons.interop_gateway", "ERROR"):
            self._hostile("X-Interop-Timestamp", "¹²³")
            self._hostile("X-Interop-Timestamp", "١٧٠٠٠٠٠٠٠٠".encode())

    def test_attack_timestamp_of_5000_digits_is_401_not_500(self):
        with self.assertNoLogs("odoo.addons.interop_gateway", "ERROR"):
            self._hostile("X-Interop-Timestamp", "1" * 5000)

    def test_empty_whitespace_and_huge_signature_headers_are_401(self):
        with self.assertNoLogs("odoo.addons.interop_gateway", "ERROR"):
            for value in ("", " \t ", "sha256=", "sha256=" + "a" * 8000, "=" * 100):
                self._hostile("X-Interop-Signature", value)
            for value in ("", " ", "-1", "1e9", "0x10", "12 34"):
                self._hostile("X-Interop-Timestamp", value)

    def test_attack_api_key_with_a_nul_or_in_another_encoding_is_401(self):
        key = self.key
        with self.assertNoLogs("odoo.addons.interop_gateway", "ERROR"):
            for value in (
                f"Bearer {key[:8]}\x00{key[9:]}",
                f"Bearer {key[:8]}é{key[9:]}",
                f"Bearer {key}é".encode(),
                "Bearer iop_" + "a" * 8000,
                "Bearer    ",
                "Bearer\t" + key,
            ):
                self._hostile("Authorization", value)

    def test_attack_idempotency_key_with_a_nul_or_not_ascii_is_400(self):
        with self.assertNoLogs("odoo.addons.interop_gateway", "ERROR"):
            # on an endpoint without signatures: the key reaches the message log
            for value in ("k\x00k", "clé", "é".encode()):
                self._hostile("Idempotency-Key", value, status=400, signed=False)

    def test_attack_event_type_code_with_a_nul_is_404_not_500(self):
        with self.assertNoLogs("odoo.addons.interop_gateway", "ERROR"):
            self.assertProblem(self._post(event="test%00contact"), 404)
            self.assertProblem(self._post(event="x" * 300), 404)

    def test_attack_nul_in_a_message_status_request_is_401(self):
        response = self._get("/interop/v1/messages/1", key=self.key[:8] + "\x00" * 30)
        self.assertProblem(response, 401)

    # 4. nesting

    def _nested(self, depth):
        payload = self._payload()
        payload["notes"] = json.loads("[" * depth + "]" * depth)
        return payload

    def test_attack_600_levels_of_nesting_are_refused_before_parsing(self):
        problem = self.assertProblem(self._post(self._nested(600)), 422)
        self.assertEqual(problem["type"], "urn:interop:problem:nesting-too-deep")
        self.assertIn("32 levels", problem["detail"])
        self.assertFalse(self._messages())

    def test_nesting_up_to_the_endpoint_limit_is_taken(self):
        # 32 levels: the payload object, then 31 levels of notes
        self.assertEqual(self._post(self._nested(31)).status_code, 202)
        self.assertProblem(self._post(self._nested(32)), 422)
        self.endpoint._interop_apply_write({"gateway_max_json_depth": 40})
        payload = self._nested(39)
        payload["event_id"] = "evt-deeper"
        self.assertEqual(self._post(payload).status_code, 202)

    def test_brackets_inside_strings_do_not_count(self):
        payload = self._payload(name='[{"[' * 100 + '\\"]' * 50)
        self.assertEqual(self._post(payload).status_code, 202)

    def test_depth_scan_stays_linear_on_unterminated_strings(self):
        # a quote, then escaped quotes: a naive scan retries each quote to the end
        body = b'["' + b'\\"' * 500_000 + b"[" * 40
        started = time.monotonic()
        self.assertFalse(json_depth_exceeds(body, 32))
        self.assertLess(time.monotonic() - started, 2)
        self.assertTrue(json_depth_exceeds(b"[" * 33 + b"]" * 33, 32))
        self.assertFalse(json_depth_exceeds(b"[" * 32 + b"]" * 32, 32))
        self.assertFalse(json_depth_exceeds(b'["' + b"[" * 100 + b'"]', 32))

    # 5. logs

    def test_attack_unexpected_error_text_is_not_logged(self):
        Gateway = self.registry["interop.gateway"]
        with (
            patch.object(Gateway, "_store", side_effect=KeyError("Jane Roe PHI")),
            self.assertLogs(
                "odoo.addons.interop_gateway.controllers.interop_gateway", "ERROR"
            ) as logs,
        ):
            response = self._post()
        self.assertProblem(response, 500)
        self.assertIn("KeyError", logs.output[0])
        self.assertNotIn("Jane Roe PHI", "\n".join(logs.output))
