# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""MLLP bridge for HL7 senders that cannot speak HTTP (``make mllp``).

A small process apart from Odoo: it listens for MLLP connections (each message
framed ``<VT> message <FS><CR>``), posts each message as it came to the HL7 route
of the gateway (``/interop/v1/hl7/<endpoint>``) with the endpoint's API key and,
when a secret is given, its signature, and frames the ACK back. Whatever the
gateway refuses (key, signature, rate limit) is answered with an ``AR`` ACK, in
words, without the message's values.

Configuration, from the environment: ``INTEROP_URL`` (``http://localhost:8069``),
``INTEROP_ENDPOINT``, ``INTEROP_API_KEY``, ``INTEROP_SECRET`` (optional),
``MLLP_HOST`` (``127.0.0.1``), ``MLLP_PORT`` (``2575``).
"""

import hashlib
import hmac
import logging
import os
import socketserver
import time

import hl7
import requests
from hl7.exceptions import HL7Exception

_logger = logging.getLogger(__name__)

START, END = b"\x0b", b"\x1c\x0d"
#: seconds a call to the gateway may take
TIMEOUT = 30
#: bytes a framed message may hold
MAX_MESSAGE = 10 * 1024 * 1024
HL7_TYPE = "x-application/hl7-v2+er7"
MINIMAL_HEADER = "MSH|^~\\&|||||||ACK^ACK^ACK|NONE|P|2.5.1\r"


def frame(payload):
    return START + payload + END


def refusal_ack(message, status):
    """The AR answering a message the gateway refused before reading it: built
    by the ``hl7`` library from the message's header (or a minimal one)."""
    try:
        source = hl7.parse(message.decode().replace("\n", "\r"))
        source.segment("MSH")
    except (ValueError, KeyError, IndexError, UnicodeDecodeError, HL7Exception):
        source = hl7.parse(MINIMAL_HEADER)
    ack = source.create_ack(
        ack_code="AR",
        message_id=hl7.generate_message_control_id()[:20],
        application="INTEROP",
        facility="INTEROP",
    )
    err = ack.create_segment([ack.create_field(["ERR"])])
    err.assign_field("MSH", 2, 1, 1)
    err.assign_field("1", 2, 1, 2)
    err.assign_field("207", 3, 1, 1)
    err.assign_field("Application internal error", 3, 1, 2)
    err.assign_field("HL70357", 3, 1, 3)
    err.assign_field("E", 4)
    err.assign_field(f"The gateway refused the message (HTTP {status}).", 8)
    ack.append(err)
    return str(ack).encode()


class Forwarder:
    """Posts one HL7 message to the gateway; returns the ACK's bytes."""

    def __init__(self, url, endpoint, api_key, secret=None, session=None):
        self.path = f"/interop/v1/hl7/{endpoint}"
        self.url = url.rstrip("/") + self.path
        self.api_key = api_key
        self.secret = secret
        self.session = session or requests.Session()

    def headers(self, body):
        headers = {"Content-Type": HL7_TYPE, "Authorization": f"Bearer {self.api_key}"}
        if self.secret:
            timestamp = str(int(time.time()))
            canonical = f"POST\n{self.path}\n\n{timestamp}\n".encode() + body
            digest = hmac.new(
                self.secret.encode(), canonical, hashlib.sha256
            ).hexdigest()
            headers["X-Interop-Timestamp"] = timestamp
            headers["X-Interop-Signature"] = f"sha256={digest}"
        return headers

    def forward(self, body):
        try:
            response = self.session.post(
                self.url, data=body, headers=self.headers(body), timeout=TIMEOUT
            )
        except requests.RequestException as error:
            _logger.warning(
                "MLLP bridge: gateway unreachable (%s)", type(error).__name__
            )
            return refusal_ack(body, 503)
        if response.status_code == 200 and response.headers.get(
            "Content-Type", ""
        ).startswith(HL7_TYPE):
            return response.content
        _logger.info("MLLP bridge: gateway answered %s", response.status_code)
        return refusal_ack(body, response.status_code)


class MllpHandler(socketserver.StreamRequestHandler):
    """One connection: any number of framed messages, each answered in turn."""

    def handle(self):
        buffer = b""
        while True:
            chunk = self.request.recv(65536)
            if not chunk:
                return
            buffer += chunk
            if len(buffer) > MAX_MESSAGE:
                _logger.warning("MLLP bridge: message over %s bytes", MAX_MESSAGE)
                return
            while START in buffer and END in buffer:
                start = buffer.index(START)
                end = buffer.find(END, start)
                if end < 0:
                    break
                message, buffer = buffer[start + 1 : end], buffer[end + len(END) :]
                self.request.sendall(frame(self.server.forwarder.forward(message)))


class MllpServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address, forwarder):
        super().__init__(address, MllpHandler)
        self.forwarder = forwarder


def main():
    logging.basicConfig(level=logging.INFO)
    forwarder = Forwarder(
        os.environ.get("INTEROP_URL", "http://localhost:8069"),
        os.environ["INTEROP_ENDPOINT"],
        os.environ["INTEROP_API_KEY"],
        os.environ.get("INTEROP_SECRET"),
    )
    address = (
        os.environ.get("MLLP_HOST", "127.0.0.1"),
        int(os.environ.get("MLLP_PORT", "2575")),
    )
    with MllpServer(address, forwarder) as server:
        _logger.info("MLLP bridge listening on %s:%s", *address)
        server.serve_forever()


if __name__ == "__main__":
    main()
