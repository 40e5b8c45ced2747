# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import InteropMessageCase


@tagged("post_install", "-at_install")
class TestPayloadReveal(InteropMessageCase):
    """A payload is shown masked first; PHI readers reveal it, and that is recorded."""

    def _phi_views(self, message):
        return self.env["interop.audit.entry"].search_count(
            [
                ("event", "=", "phi_viewed"),
                ("res_model", "=", "interop.message"),
                ("res_id", "=", message.id),
            ]
        )

    def test_opening_the_form_as_phi_reader_logs_no_phi_view(self):
        message = self._receive()
        form = message.with_user(self.phi_user).web_read(
            {"payload_display": {}, "is_payload_masked": {}}
        )[0]
        self.assertNotIn("Jane Roe", form["payload_display"])
        self.assertTrue(form["is_payload_masked"])
        self.assertEqual(self._phi_views(message), 0)

    def test_reveal_shows_the_payload_and_logs_the_view(self):
        message = self._receive()
        action = message.with_user(self.phi_user).action_reveal_payload()
        revealed = message.with_user(self.phi_user).with_context(**action["context"])
        self.assertIn("Jane Roe", revealed.payload_display)
        self.assertEqual(self._phi_views(message), 1)

    def test_attack_non_phi_user_reveals_payload_over_rpc(self):
        message = self._receive()
        for user in (self.user, self.manager, self.auditor):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    message.with_user(user).action_reveal_payload()
                # the context the Reveal button sends unlocks nothing without PHI
                shown = (
                    message.with_user(user)
                    .with_context(interop_reveal_payload=True)
                    .payload_display
                )
                self.assertNotIn("Jane Roe", shown)
        self.assertEqual(self._phi_views(message), 0)
