# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import InteropCase


@tagged("post_install", "-at_install")
class TestScheduledActions(InteropCase):
    """Interop's scheduled actions run as *Interop System*, an Interop manager
    without rights on scheduled actions."""

    def test_administrator_runs_each_one_manually(self):
        for xmlid in (
            "interop.ir_cron_interop_escalate_exceptions",
            "interop.ir_cron_interop_message_retention",
            "interop.ir_cron_interop_message_dispatch",
        ):
            cron = self.assertRunsManually(xmlid)
            self.assertEqual(cron.user_id, self.env.ref("interop.user_interop_system"))

    def test_only_who_may_change_scheduled_actions_runs_them(self):
        cron = self.env.ref("interop.ir_cron_interop_message_dispatch")
        lastcall = cron.lastcall
        with self.assertRaises(AccessError):
            cron.with_user(self.manager).method_direct_trigger()
        self.assertEqual(cron.lastcall, lastcall)

    def test_odoo_runs_the_others_as_it_does(self):
        # a scheduled action of a settings administrator (OdooBot): Odoo's own run
        cron = self.env["ir.cron"].create(
            {
                "name": "Count contacts",
                "model_id": self.env.ref("base.model_res_partner").id,
                "state": "code",
                "code": "model.search_count([])",
                "user_id": self.env.ref("base.user_root").id,
                "interval_number": 1,
                "interval_type": "days",
            }
        )
        self.assertTrue(cron.user_id._is_system())
        self.assertRunsManually(cron)

    def test_odoo_runs_a_non_interop_action_of_a_plain_user_as_it_does(self):
        # Odoo's own run: the action runs as its user, who then may not record the
        # run on the scheduled action (Interop's run would record it)
        cron = self.env["ir.cron"].create(
            {
                "name": "Count contacts as a user",
                "model_id": self.env.ref("base.model_res_partner").id,
                "state": "code",
                "code": "model.search_count([])",
                "user_id": new_test_user(
                    self.env,
                    login="cron_employee",
                    groups="base.group_user,base.group_partner_manager",
                ).id,
                "interval_number": 1,
                "interval_type": "days",
            }
        )
        lastcall = cron.lastcall
        admin_cron = cron.with_user(self.env.ref("base.user_admin"))
        with self.assertRaises(AccessError):
            admin_cron.method_direct_trigger()
        self.assertEqual(cron.lastcall, lastcall)
