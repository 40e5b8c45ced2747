# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.interop.tests.common import InteropCase

from ..hooks import uninstall_hook

#: the home each demo role lands on after login
OVERVIEW = "interop_monitor.interop_monitor_reading_action"
HEALTH = "interop_monitor.interop_monitor_health_action"
DEMO_HOMES = {
    "interop.user_revenue_manager": OVERVIEW,
    "interop.user_finance_controller": OVERVIEW,
    "interop.user_supply_lead": OVERVIEW,
    "interop.user_integration_engineer": HEALTH,
    "interop.user_compliance_auditor": "interop.interop_audit_entry_action",
}


@tagged("post_install", "-at_install")
class TestMonitorHome(InteropCase):
    """Each role lands on the screen that fits it: the business leads on the
    Operations Overview, the engineers on the Integration Health, the operators on
    their exception queue, the auditors on the audit trail."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = cls.env.ref("interop.interop_menu_root")

    def _opened_by_the_app(self, user):
        """What the Interop app's menu opens for ``user``, as the web client asks."""
        kind, action_id = self.root.with_user(user).action._name, self.root.action.id
        action = self.env[kind].with_user(user).browse(action_id)
        return action.run()

    def test_each_demo_role_lands_on_its_own_home(self):
        for user_xmlid, action_xmlid in DEMO_HOMES.items():
            with self.subTest(user=user_xmlid):
                self.assertEqual(
                    self.env.ref(user_xmlid).action_id.id,
                    self.env.ref(action_xmlid).id,
                )

    def test_the_interop_app_opens_the_screen_of_each_role(self):
        expected = {
            self.manager: HEALTH,
            self.user: "interop.interop_exception_action",
            self.auditor: "interop.interop_audit_entry_action",
        }
        for user, action_xmlid in expected.items():
            with self.subTest(user=user.login):
                action = self._opened_by_the_app(user)
                self.assertEqual(action["id"], self.env.ref(action_xmlid).id)
                self.assertEqual(action["type"], "ir.actions.act_window")

    def test_attack_user_outside_interop_runs_the_app_action(self):
        outsider = new_test_user(self.env, login="outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            self._opened_by_the_app(outsider)

    def test_uninstalling_gives_the_app_its_exception_queue_back(self):
        app_action = "interop_monitor.interop_monitor_home_server_action"
        self.assertEqual(self.root.action, self.env.ref(app_action))
        uninstall_hook(self.env)
        self.assertEqual(
            self.root.action, self.env.ref("interop.interop_exception_action_queue")
        )
        # and the uptime counts, which have no model, go with it
        self.env.cr.execute("SELECT to_regclass('interop_monitor_uptime_hour')")
        self.assertIsNone(self.env.cr.fetchone()[0])
