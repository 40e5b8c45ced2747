# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What partner systems get wrong, with the status the gateway documents for each.

Standard library only: run by the gateway's HTTP test (``test_gateway_bad_input``)
and by the resilience drills against a real prefork server (``bench/drills.py``).
Every refusal is its documented 4xx with an ``application/problem+json`` body;
the entries marked 2xx are valid (unusual unicode, an exact repeat) and must be
taken. Nothing may answer 5xx.
"""

import contextlib
import hashlib
import hmac
import http.client
import itertools
import json
import time
import uuid
from dataclasses import dataclass, replace

PROBLEM_CONTENT_TYPE = "application/problem+json"
_SEQUENCE = itertools.count()


@dataclass
class Target:
    """The endpoint the corpus is sent to.

    ``payload(text)`` returns a valid payload (a dict, unique per call) whose
    business key is ``text`` when given; ``invalid()`` one that breaks the event
    type's schema.
    """

    key: str
    secret: str
    endpoint_code: str
    event_code: str
    payload: object
    invalid: object
    max_body: int = 1024 * 1024

    @property
    def path(self):
        return f"/interop/v1/inbound/{self.endpoint_code}/{self.event_code}"


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes = b""
    #: send the body in chunks, without Content-Length
    chunked: bool = False


@dataclass
class Entry:
    """``build(target)`` returns the request, or a list of requests: the ones
    before the last must be answered 2xx, the last gets ``status``."""

    name: str
    status: int
    build: object
    #: refusals answer application/problem+json
    problem: bool = True


def sign(target, body, path, idempotency_key="", timestamp=None):
    """The signature headers of a POST: HMAC-SHA256 of the canonical string
    (method, path, Idempotency-Key, timestamp, each followed by a line feed, then
    the raw body)."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    canonical = f"POST\n{path}\n{idempotency_key}\n{timestamp}\n".encode() + body
    digest = hmac.new(target.secret.encode(), canonical, hashlib.sha256).hexdigest()
    return {"X-Interop-Timestamp": timestamp, "X-Interop-Signature": f"sha256={digest}"}


def signed(target, body, path=None, content_type="application/json", **headers):
    """A signed POST of ``body`` (bytes), as the target's partner sends it."""
    path = path or target.path
    all_headers = {
        "Content-Type": content_type,
        "Authorization": f"Bearer {target.key}",
        "Idempotency-Key": f"corpus-{uuid.uuid4()}",
    }
    all_headers.update(headers)
    key = all_headers["Idempotency-Key"]
    all_headers.update(sign(target, body, path, key if isinstance(key, str) else ""))
    return Request("POST", path, all_headers, body)


def dumps(payload):
    return json.dumps(payload).encode()


def _text(target, text):
    return signed(target, dumps(target.payload(text)))


def _raw(target, literal):
    """A valid payload whose business key is the raw JSON string ``literal``
    (bytes, quotes included): escapes and bytes json.dumps would not write."""
    marker = f"MARK-{uuid.uuid4().hex}"
    body = dumps(target.payload(marker)).replace(f'"{marker}"'.encode(), literal)
    return signed(target, body)


def _oversize(target, chunked=False):
    request = signed(target, b'{"pad": "' + b"x" * (target.max_body + 10) + b'"}')
    request.chunked = chunked
    return request


def _deep(target, opening, leaf, closing, depth=100_000):
    return signed(target, opening * depth + leaf + closing * depth)


def _without(target, *names):
    request = signed(target, dumps(target.payload()))
    for name in names:
        del request.headers[name]
    return request


def _authorization(target, value):
    request = signed(target, dumps(target.payload()))
    request.headers["Authorization"] = value
    return request


def _resigned(target, secret=None, timestamp=None):
    request = signed(target, dumps(target.payload()))
    other = replace(target, secret=secret or target.secret)
    request.headers.update(
        sign(
            other,
            request.body,
            request.path,
            request.headers["Idempotency-Key"],
            timestamp=timestamp,
        )
    )
    return request


def _header(target, name, value):
    """A signed request whose header ``name`` is then replaced by ``value`` (text,
    or bytes sent as they are: not ASCII, not UTF-8)."""
    request = signed(target, dumps(target.payload()))
    request.headers[name] = value
    return request


def _replayed_with_another_key(target):
    """A captured signed request sent again with a new Idempotency-Key."""
    first = signed(target, dumps(target.payload()))
    again = Request(
        "POST",
        first.path,
        dict(first.headers, **{"Idempotency-Key": f"corpus-{uuid.uuid4()}"}),
        first.body,
    )
    return [first, again]


def _path(target, endpoint_code=None, event_code=None):
    other = replace(
        target,
        endpoint_code=endpoint_code or target.endpoint_code,
        event_code=event_code or target.event_code,
    )
    return signed(target, dumps(target.payload()), path=other.path)


def _replay(target, same_body):
    key = f"corpus-replay-{uuid.uuid4()}-{next(_SEQUENCE)}"
    body = dumps(target.payload())
    again = body if same_body else dumps(target.payload())
    return [
        signed(target, body, **{"Idempotency-Key": key}),
        signed(target, again, **{"Idempotency-Key": key}),
    ]


CORPUS = [
    # the body
    Entry("malformed JSON", 400, lambda t: signed(t, b'{"event_id": ')),
    Entry("empty body", 400, lambda t: signed(t, b"")),
    Entry("trailing comma", 400, lambda t: signed(t, b'{"a": 1,}')),
    Entry("NaN", 400, lambda t: signed(t, b'{"value": NaN}')),
    Entry("-Infinity", 400, lambda t: signed(t, b'{"value": -Infinity}')),
    Entry("number beyond a double", 400, lambda t: signed(t, b'{"v": 1e400}')),
    Entry(
        "integer of 5,000 digits",
        400,
        lambda t: signed(t, b'{"v": 1' + b"0" * 5000 + b"}"),
    ),
    Entry(
        "duplicate keys",
        400,
        lambda t: signed(t, b'{"event_id": "a", "event_id": "b"}'),
    ),
    # nested deeper than the endpoint accepts (32 levels by default): 422, unparsed
    Entry("100,000 nested arrays", 422, lambda t: _deep(t, b"[", b"", b"]")),
    Entry("100,000 nested objects", 422, lambda t: _deep(t, b'{"a":', b"1", b"}")),
    Entry(
        "600 nested objects",
        422,
        lambda t: _deep(t, b'{"a":', b"1", b"}", depth=600),
    ),
    Entry("overlong UTF-8 (C0 AF)", 400, lambda t: _raw(t, b'"\xc0\xaf"')),
    Entry("invalid UTF-8 byte", 400, lambda t: _raw(t, b'"\xff"')),
    Entry(
        "UTF-16 body",
        400,
        lambda t: signed(t, json.dumps(t.payload()).encode("utf-16")),
    ),
    Entry("escaped lone high surrogate", 400, lambda t: _raw(t, rb'"\ud800"')),
    Entry("escaped lone low surrogate", 400, lambda t: _raw(t, rb'"x\udfff"')),
    Entry("escaped NUL", 400, lambda t: _raw(t, rb'"a\u0000b"')),
    Entry("a JSON string, not an object", 422, lambda t: signed(t, b'"a string"')),
    Entry("a JSON array", 422, lambda t: signed(t, b"[1, 2]")),
    Entry("schema violation", 422, lambda t: signed(t, dumps(t.invalid()))),
    # valid unicode: taken
    Entry("right-to-left text", 202, lambda t: _text(t, "\u202eשלום"), problem=False),
    Entry("emoji, astral plane", 202, lambda t: _text(t, "P-😀-𝄞"), problem=False),
    Entry(
        "escaped surrogate pair",
        202,
        lambda t: _raw(t, rb'"P-\ud83d\ude00"'),
        problem=False,
    ),
    Entry(
        "combining mark, zero-width joiner, BOM",
        202,
        lambda t: _text(t, "e\u0301\u200d\ufeff"),
        problem=False,
    ),
    # media type and size
    Entry(
        "text/plain",
        415,
        lambda t: signed(t, dumps(t.payload()), content_type="text/plain"),
    ),
    Entry("no Content-Type", 415, lambda t: _without(t, "Content-Type")),
    Entry(
        "form encoded",
        415,
        lambda t: signed(t, b"a=1", content_type="application/x-www-form-urlencoded"),
    ),
    Entry(
        "charset iso-8859-1",
        415,
        lambda t: signed(
            t, dumps(t.payload()), content_type="application/json; charset=iso-8859-1"
        ),
    ),
    Entry(
        "charset utf-16",
        415,
        lambda t: signed(
            t, dumps(t.payload()), content_type="application/json; charset=utf-16"
        ),
    ),
    Entry("oversize body, announced", 413, _oversize),
    Entry("oversize body, chunked", 413, lambda t: _oversize(t, chunked=True)),
    # credentials: one answer for all
    Entry("no Authorization", 401, lambda t: _without(t, "Authorization")),
    Entry("unknown key", 401, lambda t: _authorization(t, "Bearer iop_" + "0" * 32)),
    Entry(
        "revoked-like key (known prefix, wrong secret)",
        401,
        lambda t: _authorization(t, f"Bearer {t.key[:-4]}zzzz"),
    ),
    Entry(
        "Basic instead of Bearer", 401, lambda t: _authorization(t, f"Basic {t.key}")
    ),
    Entry("empty Bearer", 401, lambda t: _authorization(t, "Bearer ")),
    Entry(
        "missing signature",
        401,
        lambda t: _without(t, "X-Interop-Signature", "X-Interop-Timestamp"),
    ),
    Entry("bad signature", 401, lambda t: _resigned(t, secret="not-the-secret")),
    Entry(
        "stale signature (an hour old)",
        401,
        lambda t: _resigned(t, timestamp=int(time.time()) - 3600),
    ),
    Entry(
        "captured signed request replayed with a new Idempotency-Key",
        401,
        _replayed_with_another_key,
    ),
    # hostile header values: each a 401 problem, never a 500
    Entry(
        "non-ASCII signature",
        401,
        lambda t: _header(t, "X-Interop-Signature", "sha256=" + "é" * 64),
    ),
    Entry(
        "UTF-8 bytes in the signature",
        401,
        lambda t: _header(t, "X-Interop-Signature", b"sha256=" + "é".encode()),
    ),
    Entry(
        "non-ASCII timestamp (superscript digits)",
        401,
        lambda t: _header(t, "X-Interop-Timestamp", "¹²³"),
    ),
    Entry(
        "non-ASCII timestamp (Arabic-Indic digits)",
        401,
        lambda t: _header(t, "X-Interop-Timestamp", "١٧٠٠٠٠٠٠٠٠".encode()),
    ),
    Entry(
        "timestamp of 5,000 digits",
        401,
        lambda t: _header(t, "X-Interop-Timestamp", "1" * 5000),
    ),
    Entry("negative timestamp", 401, lambda t: _header(t, "X-Interop-Timestamp", "-1")),
    Entry("empty timestamp", 401, lambda t: _header(t, "X-Interop-Timestamp", "")),
    Entry("empty signature", 401, lambda t: _header(t, "X-Interop-Signature", "")),
    Entry(
        "whitespace signature",
        401,
        lambda t: _header(t, "X-Interop-Signature", " \t "),
    ),
    Entry(
        "signature of 8,000 characters",
        401,
        lambda t: _header(t, "X-Interop-Signature", "sha256=" + "a" * 8000),
    ),
    Entry(
        "NUL in the signature",
        401,
        lambda t: _header(t, "X-Interop-Signature", "sha256=\x00" + "a" * 63),
    ),
    Entry(
        "API key in UTF-8 bytes",
        401,
        lambda t: _header(t, "Authorization", f"Bearer {t.key}é".encode()),
    ),
    Entry(
        "API key in latin-1 bytes",
        401,
        lambda t: _header(t, "Authorization", f"Bearer {t.key[:8]}é{t.key[9:]}"),
    ),
    Entry(
        "API key with a NUL",
        401,
        lambda t: _header(t, "Authorization", f"Bearer {t.key[:8]}\x00{t.key[9:]}"),
    ),
    Entry(
        "API key of 8,000 characters",
        401,
        lambda t: _header(t, "Authorization", "Bearer iop_" + "a" * 8000),
    ),
    Entry("Bearer and spaces", 401, lambda t: _header(t, "Authorization", "Bearer   ")),
    # routing
    Entry("wrong endpoint", 404, lambda t: _path(t, endpoint_code="not-my-endpoint")),
    Entry("unknown event type", 404, lambda t: _path(t, event_code="no.such.event")),
    Entry(
        "unknown code of 300 characters", 404, lambda t: _path(t, event_code="x" * 300)
    ),
    Entry(
        "unknown non-ASCII code", 404, lambda t: _path(t, event_code="%C3%A9v%C3%A9")
    ),
    Entry(
        "GET on the POST route",
        405,
        lambda t: Request("GET", t.path, {"Authorization": f"Bearer {t.key}"}),
    ),
    # idempotency
    Entry(
        "Idempotency-Key of 300 characters",
        400,
        lambda t: signed(t, dumps(t.payload()), **{"Idempotency-Key": "k" * 300}),
    ),
    Entry(
        "non-ASCII Idempotency-Key",
        400,
        lambda t: signed(t, dumps(t.payload()), **{"Idempotency-Key": "clé-é"}),
    ),
    Entry(
        "Idempotency-Key with a NUL",
        400,
        lambda t: signed(t, dumps(t.payload()), **{"Idempotency-Key": "k\x00k"}),
    ),
    Entry(
        "event type code with a NUL",
        404,
        lambda t: _path(t, event_code="no%00such"),
    ),
    Entry("exact repeat", 200, lambda t: _replay(t, same_body=True), problem=False),
    Entry("same key, another body", 409, lambda t: _replay(t, same_body=False)),
]


def send(host, port, request, timeout=60):
    """Send one corpus request on a new connection; return (status, headers, body)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = dict(request.headers, Connection="close")
        if request.chunked:
            size = 64 * 1024
            chunks = (
                request.body[i : i + size] for i in range(0, len(request.body), size)
            )
            headers["Transfer-Encoding"] = "chunked"
            kwargs = {"body": chunks, "headers": headers, "encode_chunked": True}
        else:
            kwargs = {"body": request.body, "headers": headers}
        # The server may answer before the body is over (an oversize body is refused
        # unread) and close the connection: its answer is there all the same.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.request(request.method, request.path, **kwargs)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def check(entry, status, headers, body):
    """What is wrong with the answer to ``entry`` ("" when it is as documented)."""
    problems = []
    if status != entry.status:
        problems.append(f"status {status}, documented {entry.status}")
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if entry.problem:
        if not content_type.startswith(PROBLEM_CONTENT_TYPE):
            problems.append(f"Content-Type {content_type!r}, not problem+json")
        else:
            try:
                problem = json.loads(body)
            except ValueError:
                problems.append("the problem is not JSON")
            else:
                if problem.get("status") != status or not problem.get("title"):
                    problems.append("the problem lacks its status or title")
    if b"Traceback" in body:
        problems.append("a traceback in the answer")
    return "; ".join(problems)


def run(host, port, target, entries=None):
    """Send every entry; return [(entry, status, what is wrong or "")]."""
    results = []
    for entry in entries or CORPUS:
        requests = entry.build(target)
        requests = requests if isinstance(requests, list) else [requests]
        wrong = ""
        for first in requests[:-1]:
            status, _headers, _body = send(host, port, first)
            if not 200 <= status < 300:
                wrong = f"its first request was answered {status}"
        try:
            status, headers, body = send(host, port, requests[-1])
        except OSError as error:
            results.append((entry, None, f"no answer ({type(error).__name__})"))
            continue
        wrong = wrong or check(entry, status, headers, body)
        results.append((entry, status, wrong))
    return results
