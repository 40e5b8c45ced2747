# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import InteropMessageCase

# Configuration every company shares on purpose: no company, no company rule.
SHARED_MODELS = {
    "interop.exception.category",
    # interop_monitor: the one watermark of the rollup of the whole message log
    "interop.monitor.cursor",
}


@tagged("post_install", "-at_install")
class TestCompanyRecordRules(InteropMessageCase):
    """A user of another company sees nothing of Meridian's change control and of
    the timeline of its messages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_other_company()
        cls.west_auditor = new_test_user(
            cls.env,
            login="west_auditor",
            groups="interop.group_interop_auditor",
            company_id=cls.other_company.id,
            company_ids=[cls.other_company.id],
        )
        # Meridian's processed message: an attempt, and a link to its contact
        cls.message = cls.env["interop.message"]._receive(
            cls.endpoint, cls.event_type, cls._payload()
        )
        # Meridian's change of an active endpoint, approved: a request and a version
        cls.endpoint.with_user(cls.manager).with_context(
            interop_request_change=True
        ).write({"base_url": "https://v2.scheduling.example/api"})
        cls.request = cls.env["interop.change.request"].search(
            [("res_model", "=", "interop.endpoint"), ("res_id", "=", cls.endpoint.id)]
        )
        cls.request.reason = "New API version"
        cls.request.with_user(cls.manager).action_submit()
        approver = new_test_user(
            cls.env, login="approver", groups="interop.group_interop_manager"
        )
        cls.request.with_user(approver).action_approve()

    def test_meridian_has_the_records_under_test(self):
        self.assertEqual(self.message.state, "done")
        self.assertTrue(self.message.attempt_ids)
        self.assertTrue(self.message.link_ids)
        self.assertEqual(self.request.state, "applied")
        self.assertTrue(self.request.version_id)
        self.assertEqual(self.request.version_id.company_id, self.company)

    def test_attack_other_company_reads_change_control_and_message_timeline(self):
        records = {
            "interop.change.request": self.request,
            "interop.config.version": self.request.version_id,
            "interop.message.attempt": self.message.attempt_ids,
            "interop.message.link": self.message.link_ids,
        }
        for user in (self.other_manager, self.west_auditor):
            for model, mine in records.items():
                with self.subTest(user=user.login, model=model):
                    Model = self.env[model].with_user(user)
                    self.assertFalse(Model.search([("id", "in", mine.ids)]))
                    with self.assertRaises(AccessError):
                        mine.with_user(user).read(["display_name"])
        # Meridian's own people still see them
        for model, mine in records.items():
            with self.subTest(user=self.auditor.login, model=model):
                found = (
                    self.env[model]
                    .with_user(self.auditor)
                    .search([("id", "in", mine.ids)])
                )
                self.assertEqual(found, mine)

    def test_every_interop_model_is_filtered_by_company(self):
        Rule = self.env["ir.rule"]
        for name in sorted(self.env.registry.models):
            Model = self.env[name]
            if (
                not name.startswith("interop.")
                or Model._abstract
                or Model._transient
                or name in SHARED_MODELS
            ):
                continue
            with self.subTest(model=name):
                self.assertIn("company_id", Model._fields)
                self.assertTrue(
                    Rule.search(
                        [
                            ("model_id.model", "=", name),
                            ("domain_force", "like", "company_ids"),
                            ("global", "=", True),
                        ]
                    ),
                    f"{name} has no multi-company rule",
                )
