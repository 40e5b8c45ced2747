# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every Interop screen, opened in Chromium as each demo role.

Odoo's click bot opens every menu of the Interop app, every view mode of each action
and every filter of each view; an error dialog, an access error or a failed request
fails the test. On the server side, each screen a role opens must show it rows.
"""

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo import fields
from odoo.http import root
from odoo.osv import expression
from odoo.tests import HttpCase, tagged
from odoo.tools.safe_eval import datetime, safe_eval, time

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
        """The window actions the Interop menus ``user`` sees open, as dicts: a
        server action behind a menu is run as the user for the one it returns."""
        Menu = self.env["ir.ui.menu"].with_user(user)
        menus = Menu.search(
            [("id", "child_of", self.env.ref("interop.interop_menu_root").id)]
        )
        visible = menus.browse(list(Menu._visible_menu_ids())) & menus
        actions = []
        for menu in visible.filtered("action"):
            action = menu.action
            if action._name == "ir.actions.server":
                opened = action.with_user(user).run()
                if opened and opened.get("type") == "ir.actions.act_window":
                    actions.append(opened)
            elif action._name == "ir.actions.act_window":
                actions.append(action.sudo()._get_action_dict())
        return actions

    def _evaluation(self, user):
        return {
            "uid": user.id,
            "user": user,
            "context_today": lambda: fields.Date.context_today(user),
            "datetime": datetime,
            "relativedelta": relativedelta,
            "time": time,
        }

    def _evaluated(self, value, user):
        if isinstance(value, str):
            return safe_eval(value, dict(self._evaluation(user), context={}))
        return value or type(value)()

    def _default_filters_domain(self, action, user):
        """The domain of the filters an action turns on by default
        (``search_default_*``), as its search view combines them: the filters of one
        group (between separators) or-ed, the groups and-ed."""
        context = self._evaluated(action.get("context") or {}, user)
        defaults = {
            key.removeprefix("search_default_")
            for key, value in context.items()
            if key.startswith("search_default_") and value
        }
        if not defaults:
            return []
        Model = self.env[action["res_model"]].with_user(user)
        search_view = action.get("search_view_id") or False
        if isinstance(search_view, list | tuple):
            search_view = search_view[0]
        arch = Model.get_views([(search_view, "search")])["views"]["search"]["arch"]
        groups, group = [], []
        for node in etree.fromstring(arch):
            if node.tag == "filter":
                if node.get("name") in defaults and node.get("domain"):
                    # the web client's datetimes have to_utc(); a server-side
                    # approximation (the demo's rows are not hours old) drops it
                    domain = node.get("domain").replace(".to_utc()", "")
                    group.append(safe_eval(domain, self._evaluation(user)))
                continue
            if group:
                groups.append(expression.OR(group))
            group = []
        if group:
            groups.append(expression.OR(group))
        return expression.AND(groups) if groups else []

    def test_every_role_sees_rows_on_each_of_its_screens(self):
        empty = []
        for login in ROLES:
            user = self._user(login)
            self.assertTrue(user, f"demo user {login} is missing")
            actions = self._menu_actions(user)
            self.assertTrue(actions, f"{login} sees no Interop screen")
            for action in actions:
                if action["res_model"].endswith(".settings") or action.get(
                    "target"
                ) in ("new", "inline"):
                    continue
                if action.get("xml_id") in EMPTY_BY_DESIGN.get(login, ()):
                    continue
                domain = expression.AND(
                    [
                        self._evaluated(action.get("domain") or [], user),
                        # the filters it opens with: the role sees rows through them
                        self._default_filters_domain(action, user),
                    ]
                )
                Model = self.env[action["res_model"]].with_user(user)
                if not Model.search_count(domain, limit=1):
                    empty.append(f"{action['name']} ({login})")
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
