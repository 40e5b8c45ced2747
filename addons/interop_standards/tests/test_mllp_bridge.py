# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import socket
import threading

from odoo.tests import tagged

from odoo.addons.interop_gateway.tests.common import SECRET, TIMEOUT

from ..mllp import END, Forwarder, MllpServer, frame
from .common import StandardsCase, data, segments


@tagged("post_install", "-at_install")
class TestMllpBridge(StandardsCase):
    """The MLLP bridge of `make mllp`, framing and unframing for a sender that
    cannot speak HTTP, against the real HL7 route."""

    def _exchange(self, forwarder, *messages):
        server = MllpServer(("127.0.0.1", 0), forwarder)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        answers = []
        try:
            with socket.create_connection(
                server.server_address, timeout=TIMEOUT
            ) as conn:
                for message in messages:
                    conn.sendall(frame(message.encode()))
                    buffer = b""
                    while not buffer.endswith(END):
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        buffer += chunk
                    self.assertTrue(buffer.startswith(b"\x0b"))
                    answers.append(segments(buffer[1 : -len(END)].decode()))
        finally:
            server.shutdown()
            server.server_close()
        return answers

    def _forwarder(self, key=None, secret=SECRET):
        return Forwarder(self.base_url(), self.scheduling.code, key or self.key, secret)

    def test_framed_messages_are_forwarded_signed_and_acknowledged(self):
        dft, siu = self._exchange(
            self._forwarder(), data("dft_p03.hl7"), data("siu_s12.hl7")
        )
        self.assertEqual(
            next(s for s in dft if s[0] == "MSA")[1:3], ["AA", "T-DFT-0001"]
        )
        self.assertEqual(
            next(s for s in siu if s[0] == "MSA")[1:3], ["AA", "T-SIU-0012"]
        )
        self.assertEqual(
            sorted(self._originals("hl7.v2_message").mapped("idempotency_key")),
            ["T-DFT-0001", "T-SIU-0012"],
        )

    def test_attack_refusal_of_the_gateway_is_an_ar_without_detail(self):
        (ack,) = self._exchange(
            self._forwarder(key="iop_" + "2" * 40), data("dft_p03.hl7")
        )
        self.assertEqual(next(s for s in ack if s[0] == "MSA")[1], "AR")
        self.assertIn("(HTTP 401)", "|".join(next(s for s in ack if s[0] == "ERR")))
        self.assertFalse(self._originals("hl7.v2_message"))
