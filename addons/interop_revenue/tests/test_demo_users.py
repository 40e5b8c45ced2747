# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT

# Each demo user and the groups of their role (what they imply comes with them).
ROLES = {
    "interop.user_revenue_manager": (
        "interop.group_interop_user",
        "account.group_account_invoice",
    ),
    "interop.user_finance_controller": (
        "interop.group_interop_user",
        "account.group_account_invoice",
    ),
    "interop.user_supply_lead": ("interop.group_interop_user",),
    "interop.user_integration_engineer": ("interop.group_interop_manager",),
    "interop.user_compliance_auditor": (
        "interop.group_interop_auditor",
        "account.group_account_readonly",
    ),
    "interop.user_service_patient_crm": (
        "interop.group_interop_service",
        "base.group_partner_manager",
    ),
}
# The service users the demo endpoints got on activation, and what their flows need.
SERVICE_ROLES = {
    "interop.endpoint_scheduling_platform": (
        "interop.group_interop_service",
        "base.group_partner_manager",
        "account.group_account_invoice",
    ),
    "interop.endpoint_payment_gateway": (
        "interop.group_interop_service",
        "base.group_partner_manager",
        "account.group_account_invoice",
    ),
    "interop.endpoint_crm": (
        "interop.group_interop_service",
        "base.group_partner_manager",
    ),
    "interop.endpoint_bank": ("interop.group_interop_service",),
    "interop.endpoint_logistics": ("interop.group_interop_service",),
    "interop.endpoint_scheduling_sandbox": ("interop.group_interop_service",),
}


@tagged("post_install", "-at_install")
class TestDemoUsers(TransactionCase):
    """The demo shows each role with its own rights: nobody is an accounting
    administrator because Invoicing was installed after them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.auditor = cls.env.ref("interop.user_compliance_auditor")

    def _role_groups(self, xmlids):
        groups = self.env["res.groups"]
        for xmlid in ("base.group_user", *xmlids):
            groups |= self.env.ref(xmlid)
        return groups | groups.trans_implied_ids

    def assertGroupsOfRole(self, user, xmlids):
        expected = self._role_groups(xmlids)
        self.assertEqual(
            sorted(user.groups_id.mapped("full_name")),
            sorted(expected.mapped("full_name")),
            f"{user.login} has other groups than those of its role",
        )

    def test_each_demo_user_has_exactly_the_groups_of_their_role(self):
        for xmlid, groups in ROLES.items():
            with self.subTest(user=xmlid):
                self.assertGroupsOfRole(self.env.ref(xmlid), groups)

    def test_each_demo_service_user_has_exactly_what_its_flows_need(self):
        for xmlid, groups in SERVICE_ROLES.items():
            with self.subTest(endpoint=xmlid):
                user = self.env.ref(xmlid).service_user_id
                self.assertTrue(user)
                self.assertGroupsOfRole(user, groups)

    def test_no_demo_user_is_an_accounting_administrator(self):
        administrators = self.env.ref("account.group_account_manager").users
        demo_users = self.env["res.users"].browse(
            [self.env.ref(xmlid).id for xmlid in ROLES]
        ) | self.env["res.users"].browse(
            [self.env.ref(xmlid).service_user_id.id for xmlid in SERVICE_ROLES]
        )
        self.assertFalse(demo_users & administrators)

    def test_attack_demo_auditor_creates_a_journal_entry(self):
        journal = self.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", self.env.company.id)],
            limit=1,
        )
        Move = self.env["account.move"].with_user(self.auditor)
        with self.assertRaises(AccessError):
            Move.create(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "date": fields.Date.today(),
                }
            )
        # read only: the invoices the visits produced
        self.assertTrue(Move.has_access("read"))

    def test_attack_demo_auditor_creates_or_changes_anything_of_interop(self):
        models = [
            name
            for name in sorted(self.env.registry.models)
            if name.startswith("interop.")
            and not self.env[name]._abstract
            and not self.env[name]._transient
        ]
        self.assertIn("interop.exception", models)
        for name in models:
            Model = self.env[name].with_user(self.auditor)
            with self.subTest(model=name):
                for operation in ("create", "write", "unlink"):
                    self.assertFalse(Model.has_access(operation), operation)
