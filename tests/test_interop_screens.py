# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every Interop screen, opened in Chromium as each demo role.

Odoo's click bot opens every menu of the Interop app, every view mode of each action
and every filter of each view; an error dialog, an access error or a failed request
fails the test. On the server side, each screen a role opens must show it rows.
"""

from odoo.http import root
from odoo.tests import HttpCase, tagged
from odoo.tools.safe_eval import safe_eval

#: the demo's people, by role (each password is the login)
ROLES = ("integration", "revenue", "finance", "supply", "auditor", "admin")

#: screens that are empty by design for a role, with the reason
EMPTY_BY_DESIGN = {}

CLICKBOT = (
    "odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader')"
    ".startClickEverywhere('interop.interop_menu_root');"
)


@tagged("post_install", "-at_install")
class TestScreensAsEachRole(HttpCase):
    allow_end_on_form = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Read every manifest now, in this thread (see TestOperatorScreens).
        cls.statics = root.statics

    def _user(self, login):
        return self.env["res.users"].search([("login", "=", login)])

    def _menu_actions(self, user):
        """The window actions of the Interop menus ``user`` sees."""
        Menu = self.env["ir.ui.menu"].with_user(user)
        menus = Menu.search(
            [("id", "child_of", self.env.ref("interop.interop_menu_root").id)]
        )
        visible = menus.browse(list(Menu._visible_menu_ids())) & menus
        return [
            menu.action
            for menu in visible
            if menu.action and menu.action._name == "ir.actions.act_window"
        ]

    def test_every_role_sees_rows_on_each_of_its_screens(self):
        empty = []
        for login in ROLES:
            user = self._user(login)
            self.assertTrue(user, f"demo user {login} is missing")
            actions = self._menu_actions(user)
            self.assertTrue(actions, f"{login} sees no Interop screen")
            for action in actions:
                if action.res_model.endswith(".settings") or action.target in (
                    "new",
                    "inline",
                ):
                    continue
                if action.xml_id in EMPTY_BY_DESIGN.get(login, ()):
                    continue
                domain = safe_eval(
                    action.domain or "[]", {"uid": user.id, "user": user}
                )
                Model = self.env[action.res_model].with_user(user)
                if not Model.search_count(domain, limit=1):
                    empty.append(f"{action.name} ({login})")
        self.assertEqual(empty, [], "screens without a row for a role that opens them")

    def test_every_screen_opens_for_every_role(self):
        for login in ROLES:
            with self.subTest(login=login):
                self.browser_js(
                    "/odoo",
                    CLICKBOT,
                    "odoo.isReady === true",
                    login=login,
                    timeout=900,
                    success_signal="clickbot test succeeded",
                )
