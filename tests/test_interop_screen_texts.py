# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re

from lxml import etree

from odoo.tests import tagged

from .common import InteropCase

#: words of the integration engineer's trade, unknown to the business users who read
#: visits, payments, orders and the exceptions about them; and raw model names
JARGON = re.compile(
    r"\b(fingerprints?|payloads?|hash(es)?|preprocessors?|handlers?|json|"
    r"correlation|idempotency|drains?|dispatcher|res_model|res_id|uuid|queue_job|"
    r"endpoints?)\b|\binterop\.[a-z_.]+",
    re.IGNORECASE,
)

#: the screens business owners work in, each with the demo user who reads it
BUSINESS_SCREENS = {
    "interop.visit": "revenue",
    "interop.visit.payment": "finance",
    "interop.supply.order": "supply",
    "interop.exception": "revenue",
}


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

    def test_every_interop_list_can_be_filtered_and_grouped(self):
        """Each list behind an Interop menu has a search view offering at least one
        filter and one group-by: people narrow and group what they read."""
        menus = self.env["ir.ui.menu"].search(
            [("id", "child_of", self.env.ref("interop.interop_menu_root").id)]
        )
        missing = []
        for menu in menus:
            action = menu.action
            if (
                not action
                or action._name != "ir.actions.act_window"
                or action.target == "new"
                or "list" not in (action.view_mode or "").split(",")
            ):
                continue
            views = self.env[action.res_model].get_views(
                [(action.search_view_id.id or False, "search")]
            )
            filters = list(
                etree.fromstring(views["views"]["search"]["arch"]).iter("filter")
            )
            if not any(f.get("domain") for f in filters):
                missing.append(f"{menu.complete_name}: no filter")
            if not any("group_by" in (f.get("context") or "") for f in filters):
                missing.append(f"{menu.complete_name}: no group-by")
        self.assertEqual(missing, [])


@tagged("post_install", "-at_install")
class TestBusinessScreensSpeakBusiness(InteropCase):
    """What a business owner reads on its screens is in its words."""

    def _texts(self, model, login):
        """(where, text) of every label, help, button and text a user reads on the
        model's list, form, search and kanban views."""
        user = self.env["res.users"].search([("login", "=", login)])
        self.assertTrue(user, f"demo user {login} is missing")
        Model = self.env[model].with_user(user)
        views = Model.get_views(
            [(False, kind) for kind in ("list", "form", "search", "kanban")]
        )
        described = Model.fields_get(attributes=["string", "help", "selection"])
        for kind, view in views["views"].items():
            arch = etree.fromstring(view["arch"])
            for node in arch.iter():
                if node.get("invisible") in ("1", "True") or node.get(
                    "column_invisible"
                ) in ("1", "True"):
                    continue
                for attribute in ("string", "help", "placeholder", "title", "confirm"):
                    if node.get(attribute):
                        yield f"{kind} {node.tag} {attribute}", node.get(attribute)
                if isinstance(node.tag, str) and (node.text or "").strip():
                    yield f"{kind} {node.tag} text", node.text.strip()
                name = node.get("name")
                # a kanban card shows values, not labels
                if node.tag == "field" and name in described and kind != "kanban":
                    field = described[name]
                    if not node.get("string"):
                        yield f"{name} label", field.get("string") or ""
                    if not node.get("help"):
                        yield f"{name} help", field.get("help") or ""
                    for __, label in field.get("selection") or ():
                        yield f"{name} value", label

    def test_business_owner_forms_explain_their_fields(self):
        """Each labelled field of a business owner's form says what it means when
        hovered (a help text, on the field or in the view)."""
        unexplained = set()
        for model, login in BUSINESS_SCREENS.items():
            if model not in self.env:
                continue
            user = self.env["res.users"].search([("login", "=", login)])
            Model = self.env[model].with_user(user)
            arch = Model.get_views([(False, "form")])["views"]["form"]["arch"]
            described = Model.fields_get(attributes=["help", "type"])
            for node in etree.fromstring(arch).iter("field"):
                name = node.get("name")
                if (
                    name not in described
                    or node.get("invisible") in ("1", "True")
                    or described[name]["type"] in ("one2many", "many2many")
                    # labelled: in a group of the form, not in a list of lines
                    or not node.xpath("ancestor::group")
                    or node.xpath("ancestor::field")
                ):
                    continue
                if not (node.get("help") or described[name].get("help")):
                    unexplained.add(f"{model}.{name}")
        self.assertEqual(sorted(unexplained), [], "fields without a help text")

    def test_business_owner_screens_have_no_technical_jargon(self):
        found = [
            f"{model} ({where}): {text}"
            for model, login in BUSINESS_SCREENS.items()
            if model in self.env
            for where, text in self._texts(model, login)
            if JARGON.search(text)
        ]
        self.assertEqual(found, [], "words a business user does not understand")
