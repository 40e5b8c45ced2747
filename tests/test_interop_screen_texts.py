# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import InteropCase


@tagged("post_install", "-at_install")
class TestScreenTexts(InteropCase):
    """What the screens say is what applies, in words."""

    def test_retention_zero_shows_the_effective_value_and_where_it_comes_from(self):
        endpoint = self.endpoint.with_user(self.user)
        self.assertEqual(endpoint.retention_days, 0)
        self.assertEqual(endpoint.retention_days_effective, 30)  # PHI default
        self.assertIn("PHI", endpoint.retention_note)
        self.env["ir.config_parameter"].set_param("interop.retention_days_phi", "45")
        endpoint.invalidate_recordset()
        self.assertEqual(endpoint.retention_days_effective, 45)
        self.endpoint.retention_days = 10
        endpoint.invalidate_recordset()
        self.assertEqual(endpoint.retention_days_effective, 10)
        self.assertIn("override", endpoint.retention_note)

    def test_endpoint_chatter_says_what_was_registered(self):
        self._enable_tracking()
        endpoint = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="test-chatter", name="Chatter Endpoint")
        )
        bodies = " ".join(endpoint.message_ids.mapped("body"))
        self.assertNotIn("Connector Endpoint created", bodies)
        self.assertIn("Endpoint registered (Production, PHI data)", bodies)


@tagged("post_install", "-at_install")
class TestEveryScreenExplainsItself(InteropCase):
    def test_every_interop_list_has_an_empty_state_help(self):
        menus = self.env["ir.ui.menu"].search(
            [("id", "child_of", self.env.ref("interop.interop_menu_root").id)]
        )
        missing = [
            menu.complete_name
            for menu in menus
            if menu.action
            and menu.action._name == "ir.actions.act_window"
            and menu.action.res_model != "res.config.settings"
            # a wizard opens a form in a dialog: there is no list to be empty
            and menu.action.target != "new"
            and "o_view_nocontent_smiling_face" not in (menu.action.help or "")
        ]
        self.assertEqual(missing, [])
