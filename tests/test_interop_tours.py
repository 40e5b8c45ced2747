# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The demo's people at work, in Chromium: each tour clicks through the screens, then
the test checks what the clicks did in the database."""

import threading

import requests

from odoo import Command, sql_db
from odoo.http import root
from odoo.tests import HttpCase, tagged

from odoo.addons.interop.models.interop_exception import RETRY_AT_ONCE_LIMIT


@tagged("post_install", "-at_install")
class TestInteropTours(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Read every manifest now, in this thread (see TestOperatorScreens).
        cls.statics = root.statics

    def _user(self, login):
        return self.env["res.users"].search([("login", "=", login)])

    def test_rachel_fixes_a_mapping_and_retries_without_reloading(self):
        exception = self.env["interop.exception"].search(
            [("mapping_code", "=", "MEX"), ("state", "in", ("open", "in_progress"))]
        )
        self.assertEqual(len(exception), 1, "the demo's unmapped country code")
        message = exception.message_id
        self.start_tour(
            "/odoo", "interop_exception_retry_tour", login="revenue", timeout=180
        )
        exception.invalidate_recordset()
        message.invalidate_recordset()
        self.assertEqual(exception.state, "resolved")
        self.assertEqual(message.state, "done")
        line = self.env["interop.mapping.line"].search(
            [("table_id", "=", exception.res_id), ("external_code", "=", "MEX")]
        )
        self.assertEqual(line.target_ref, self.env.ref("base.mx"))
        self.assertEqual(line.create_uid, self._user("revenue"))

    def _run_job_runner(self, stop, after_job_id, ran, exception_id=None, start=None):
        """What the queue_job runner does, until ``stop``: it picks the jobs queued
        since ``after_job_id``, marks them enqueued and has the server run each one
        through ``/queue_job/runjob`` (a request of its own, committed). With
        ``exception_id``, ``ran`` also keeps the exception's state at each pick.
        With ``start``, it waits for that event before its first pick."""
        url = f"{self.base_url()}/queue_job/runjob"
        if start is not None:
            start.wait(120)
        while not stop.wait(0.5):
            with self.registry.cursor() as cr:
                cr.execute(
                    "UPDATE queue_job SET state = 'enqueued' WHERE id > %s "
                    "AND state = 'pending' AND (eta IS NULL OR eta <= "
                    # the clock, as the runner's: now() is the test transaction's
                    # start, and a drain waits for the messages that follow it
                    "clock_timestamp() at time zone 'utc') RETURNING uuid",
                    (after_job_id,),
                )
                uuids = [row[0] for row in cr.fetchall()]
                if uuids and exception_id:
                    cr.execute(
                        "SELECT state FROM interop_exception WHERE id = %s",
                        (exception_id,),
                    )
                    ran.append(("exception", cr.fetchone()[0]))
            for uuid in uuids:
                requests.get(
                    url, params={"db": self.env.cr.dbname, "job_uuid": uuid}, timeout=60
                )
                ran.append(uuid)

    def test_rachel_sees_her_queued_retry_end_over_the_bus_without_reloading(self):
        exception = self.env["interop.exception"].search(
            [("mapping_code", "=", "MEX"), ("state", "=", "open")]
        )
        self.assertEqual(len(exception), 1, "the demo's unmapped country code")
        demo_message = exception.message_id
        # more messages of the same cause than a request processes at once
        endpoint = demo_message.endpoint_id
        for number in range(RETRY_AT_ONCE_LIMIT):
            payload = {
                "event_id": f"crm-evt-bus-{number}",
                "party": {
                    "id": f"RP-{9100 + number}",
                    "name": f"Party {number}",
                    "email": f"party.{number}@example.com",
                    "address": {"city": "Monterrey", "country": "MEX"},
                },
            }
            endpoint.with_context(queue_job__no_delay=True)._receive_event(
                demo_message.event_type_id.code, payload
            )
        exception.invalidate_recordset()
        messages = exception.affected_message_ids
        self.assertGreater(len(messages), RETRY_AT_ONCE_LIMIT)
        self.assertEqual(set(messages.mapped("state")), {"failed"})
        # the cause is fixed: the code is mapped
        self.env["interop.mapping.line"].create(
            {
                "table_id": exception.res_id,
                "external_code": "MEX",
                "target_ref": f"res.country,{self.env.ref('base.mx').id}",
            }
        )
        self.env.cr.execute("SELECT coalesce(max(id), 0) FROM queue_job")
        after_job_id = self.env.cr.fetchone()[0]
        # A commit of the test server is a savepoint, whose post-commit hooks Odoo
        # drops: the bus's NOTIFY would never leave. Commit as PostgreSQL would, so
        # that the bus's own listener hears it and wakes the browser's websocket.
        commit = sql_db.TestCursor.commit

        def commit_and_notify(cr):
            cr.flush()
            cr.postcommit.run()
            return commit(cr)

        self.patch(sql_db.TestCursor, "commit", commit_and_notify)
        # The browser's login runs on the test's own cursor, outside the lock that
        # serialises the server's requests: the runner picks jobs only after it,
        # never on the cursor at the same moment.
        logged_in = threading.Event()
        authenticate = self.authenticate

        def authenticate_then_run_jobs(*args, **kwargs):
            try:
                return authenticate(*args, **kwargs)
            finally:
                logged_in.set()

        self.patch(self, "authenticate", authenticate_then_run_jobs)
        stop, ran = threading.Event(), []
        runner = threading.Thread(
            target=self._run_job_runner,
            args=(stop, after_job_id, ran, exception.id, logged_in),
        )
        runner.start()
        try:
            self.start_tour(
                f"/odoo/action-interop.interop_exception_action/{exception.id}",
                "interop_retry_refresh_tour",
                login="revenue",
                timeout=180,
            )
        finally:
            logged_in.set()
            stop.set()
            runner.join()
        picks = [entry[1] for entry in ran if isinstance(entry, tuple)]
        self.assertTrue(picks, "the retry was queued for the jobs, not run inline")
        self.assertEqual(
            picks[0], "in_progress", "the exception waits for the jobs it queued"
        )
        exception.invalidate_recordset()
        messages.invalidate_recordset()
        self.assertEqual(exception.state, "resolved")
        self.assertEqual(set(messages.mapped("state")), {"done"})

    def _modified_by(self, user):
        models = ("interop.exception", "interop.change.request", "interop.endpoint")
        return {
            model: self.env[model].search_count([("write_uid", "=", user.id)])
            for model in models
        }

    def test_auditor_exports_the_trail_and_finds_no_action_button(self):
        auditor = self._user("auditor")
        before = self._modified_by(auditor)
        # Odoo 18's export dialog posts a token its controller no longer takes, which
        # odoo.http logs as a warning: the sign that the export ran
        with self.assertLogs("odoo.http", "WARNING") as logs:
            self.start_tour(
                "/odoo/action-interop.interop_audit_entry_action",
                "interop_audit_export_tour",
                login="auditor",
                timeout=120,
            )
        self.assertEqual(len(logs.output), 1, logs.output)
        self.assertIn("web_export_xlsx> called ignoring args {'token'}", logs.output[0])
        records = (
            self.env["interop.exception"].search(
                [("state", "in", ("open", "in_progress"))], limit=1
            ),
            self.env["interop.change.request"].search(
                [("state", "=", "submitted")], limit=1
            ),
            self.env["interop.endpoint"].search([("state", "=", "active")], limit=1),
        )
        for record in records:
            self.assertTrue(record, "demo data to audit")
            action = {
                "interop.exception": "interop.interop_exception_action",
                "interop.change.request": "interop.interop_change_request_action",
                "interop.endpoint": "interop.interop_endpoint_action",
            }[record._name]
            with self.subTest(model=record._name):
                self.start_tour(
                    f"/odoo/action-{action}/{record.id}",
                    "interop_read_only_form_tour",
                    login="auditor",
                    timeout=90,
                )
        self.assertEqual(self._modified_by(auditor), before, "the auditor changed data")

    def test_systems_of_record_change_through_approved_requests(self):
        rule = self.env.ref("interop.system_of_record_partner_contact")
        self.assertTrue(rule.active)
        self.start_tour(
            f"/odoo/action-interop.interop_system_of_record_action/{rule.id}",
            "interop_system_of_record_edit_tour",
            login="integration",
            timeout=120,
        )
        rule.invalidate_recordset()
        self.assertEqual(rule.source, "endpoint", "applied without approval")
        Request = self.env["interop.change.request"]
        request = Request.search(
            [("res_model", "=", rule._name), ("res_id", "=", rule.id)]
        )
        self.assertEqual(request._values(), {"source": "odoo"})
        archived = self.env["interop.system.of.record"].create(
            {
                "entity": "responsible_party",
                "model_id": rule.model_id.id,
                "source": "endpoint",
                "endpoint_id": rule.endpoint_id.id,
                "field_ids": [
                    Command.set(self.env.ref("base.field_res_partner__mobile").ids)
                ],
                "active": False,
            }
        )
        routing = self.env["interop.exception.rule"].create(
            {
                "name": "Holiday cover",
                "user_id": self._user("integration").id,
                "active": False,
            }
        )
        for action, rule in (
            ("interop.interop_system_of_record_action", archived),
            ("interop.interop_exception_rule_action", routing),
        ):
            with self.subTest(model=rule._name):
                self.start_tour(
                    f"/odoo/action-{action}/{rule.id}",
                    "interop_rule_activation_tour",
                    login="integration",
                    timeout=120,
                )
                rule.invalidate_recordset()
                self.assertFalse(rule.active, "activated without approval")
                self.assertRecordValues(
                    Request.search(
                        [("res_model", "=", rule._name), ("res_id", "=", rule.id)]
                    ),
                    [
                        {
                            "state": "submitted",
                            "author_id": self._user("integration").id,
                            "reason": "Reviewed with the data owners.",
                        }
                    ],
                )

    def test_governed_edit_says_a_change_request_was_drafted(self):
        endpoint = self.env.ref("interop.endpoint_logistics")
        self.assertEqual(endpoint.state, "active")
        self.start_tour(
            f"/odoo/action-interop.interop_endpoint_action/{endpoint.id}",
            "interop_governed_edit_tour",
            login="integration",
            timeout=120,
        )
        endpoint.invalidate_recordset()
        self.assertEqual(endpoint.name, "MedSupply 3PL", "applied without approval")
        request = self.env["interop.change.request"].search(
            [("res_model", "=", "interop.endpoint"), ("res_id", "=", endpoint.id)]
        )
        self.assertRecordValues(
            request,
            [
                {
                    "state": "submitted",
                    "author_id": self._user("integration").id,
                    "reason": "The 3PL renamed its service.",
                }
            ],
        )
        self.assertIn("MedSupply 3PL Logistics", request.values_json)
