# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import threading

from odoo import api, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError

from .common import CommittedRaceCase, InteropMessageCase


@tagged("post_install", "-at_install")
class TestGenericHandlerGuards(InteropMessageCase):
    """The generic upsert writes business records, never rights or settings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin_group = cls.env.ref("base.group_system")
        cls.tag = cls.env["res.partner.category"].create({"name": "VIP"})

    def _event_type_vals(self, **overrides):
        vals = {
            "code": "test.user.synced",
            "name": "User Synced",
            "schema": json.dumps({"type": "object"}),
            "data_classification": "internal",
            "handler_model": "interop.handler.record",
            "handler_method": "_interop_handle_upsert",
            "record_model_id": self.env.ref("base.model_res_users").id,
            "record_match_field": "login",
            "record_field_map": json.dumps({"login": "login", "groups_id": "groups"}),
        }
        vals.update(overrides)
        return vals

    def test_attack_manager_configures_upsert_on_users_to_grant_admin(self):
        EventType = self.env["interop.event.type"].with_user(self.manager)
        with self.assertRaisesRegex(ValidationError, "never writes res.users"):
            EventType.create(self._event_type_vals())
        for xmlid in (
            "base.model_res_groups",
            "base.model_ir_config_parameter",
            "base.model_ir_actions_server",
            "base.model_res_company",
            "base.model_res_partner_bank",
            "interop.model_interop_endpoint",
        ):
            with self.assertRaises(ValidationError, msg=xmlid):
                EventType.create(
                    self._event_type_vals(
                        code="test.other.synced",
                        record_model_id=self.env.ref(xmlid).id,
                        record_match_field=False,
                        record_field_map=False,
                    )
                )
        # nor by pointing an existing generic event type at users
        event_type = self.event_type.with_user(self.manager)
        with self.assertRaisesRegex(ValidationError, "never writes res.users"):
            event_type.write(
                {
                    "record_model_id": self.env.ref("base.model_res_users").id,
                    "record_match_field": "login",
                    "record_field_map": json.dumps({"login": "contact.ref"}),
                }
            )

    def test_attack_upsert_on_users_set_in_the_database_grants_nothing(self):
        # configured past the constraint (before the rule, or in SQL): processing
        # refuses it all the same, whatever the rights of the service user
        event_type = self.env["interop.event.type"].create(
            self._event_type_vals(
                record_model_id=self.env.ref("base.model_res_partner").id,
                record_match_field="ref",
                record_field_map=json.dumps({"ref": "login"}),
            )
        )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE interop_event_type SET record_model_id = %s,"
            " record_match_field = 'login', record_field_map = %s WHERE id = %s",
            [
                self.env.ref("base.model_res_users").id,
                json.dumps({"login": "login", "groups_id": "groups"}),
                event_type.id,
            ],
        )
        event_type.invalidate_recordset()
        self.endpoint.service_user_id.groups_id = [
            (4, self.env.ref("base.group_erp_manager").id)
        ]
        payload = {"login": self.user.login, "groups": [[4, self.admin_group.id]]}
        message = self.env["interop.message"]._receive(
            self.endpoint, event_type, payload
        )
        self.assertEqual(message.state, "failed")
        self.assertIn("never writes users", message.last_error)
        self.assertNotIn(self.admin_group, self.user.groups_id)
        self.assertEqual(len(message.exception_ids), 1)

    def test_attack_payload_with_commands_on_undeclared_relational_fields(self):
        self.event_type.record_field_map = json.dumps(
            {
                "ref": "contact.ref",
                "name": "contact.name",
                "category_id": "contact.tags",
                "user_ids": "contact.users",
                "parent_id": "contact.parent",
            }
        )
        payload = self._payload(
            ref="CMD-1",
            tags=[[6, 0, [self.tag.id]]],
            users=[[4, self.manager.id]],
            parent=self.env.company.partner_id.id,
        )
        message = self._receive(payload)
        self.assertEqual(message.state, "failed")
        self.assertIn("category_id, parent_id, user_ids", message.last_error)
        self.assertIn("Nothing was written", message.last_error)
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "CMD-1")]))
        self.assertFalse(self.manager.partner_id.parent_id)

    def test_unmapped_code_of_a_phi_field_is_not_named_in_its_exception(self):
        self.env["interop.mapping.table"].create(
            {
                "code": "test-clinic-codes",
                "name": "Test Clinic Codes",
                "code_system": "Clinic",
                "target_type": "value",
                "owner_id": self.user.id,
            }
        )
        self.event_type.write(
            {
                "phi_paths": "contact.name\ncontact.email\ncontact.clinic",
                "phi_copy_paths": "contact.name\ncontact.clinic",
                "record_field_map": json.dumps(
                    {
                        "ref": "contact.ref",
                        "name": "contact.name",
                        "city": {
                            "path": "contact.clinic",
                            "mapping": "test-clinic-codes",
                        },
                    }
                ),
            }
        )
        secret = "clinic-of-rare-disease-31f"
        message = self._receive(self._payload(ref="MAP-1", clinic=secret))
        self.assertEqual(message.state, "failed")
        exception = message.exception_ids
        self.assertRecordValues(
            exception, [{"user_id": self.user.id, "mapping_code": False}]
        )
        self.assertIn("contact.clinic", exception.name)
        for text in (exception.name, exception.description, message.last_error):
            self.assertNotIn(secret, text)

    def test_declared_relational_field_takes_ids_from_the_payload(self):
        schema = json.loads(self.event_type.schema)
        schema["properties"]["contact"]["properties"]["tags"] = {
            "type": "array",
            "items": {"type": "integer"},
        }
        self.event_type.write(
            {
                "schema": json.dumps(schema),
                "record_field_map": json.dumps(
                    {
                        "ref": "contact.ref",
                        "name": "contact.name",
                        "category_id": "contact.tags",
                    }
                ),
            }
        )
        message = self._receive(self._payload(ref="CMD-2", tags=[self.tag.id]))
        self.assertEqual(message.state, "done")
        partner = self.env["res.partner"].search([("ref", "=", "CMD-2")])
        self.assertEqual(partner.category_id, self.tag)


@tagged("post_install", "-at_install")
class TestGenericHandlerLookAlikes(InteropMessageCase):
    """The generic handler creates contacts through the one probable-duplicate
    check every handler creating contacts goes through."""

    def test_a_look_alike_contact_is_a_conflict_never_a_second_contact(self):
        existing = self.env["res.partner"].create(
            {"name": "Rosa Diaz", "ref": "CRM-5", "email": "rosa.diaz@example.com"}
        )
        contacts_before = self.env["res.partner"].search_count([])
        message = self._receive(
            self._payload(ref="DUP-1", name="R. Diaz", email="Rosa.Diaz@example.com")
        )
        self.assertEqual(message.state, "failed")
        exception = message.exception_ids
        self.assertRecordValues(exception, [{"category_code": "conflict"}])
        self.assertIn(f"#{existing.id}", exception.name)
        self.assertIn("same email", exception.name)
        for text in (exception.name, exception.description, message.last_error):
            self.assertNotIn("rosa.diaz", text.lower())
        self.assertEqual(
            [(link.res_model, link.res_id) for link in exception.link_ids],
            [("res.partner", existing.id)],
        )
        self.assertEqual(self.env["res.partner"].search_count([]), contacts_before)
        # a person decides it is the same contact: its reference, then retry
        existing.ref = "DUP-1"
        message._replay()
        self.assertEqual(message.state, "done")
        self.assertEqual(existing.name, "R. Diaz")
        self.assertEqual(exception.state, "resolved")
        self.assertEqual(self.env["res.partner"].search_count([]), contacts_before)

    def test_attack_a_percent_in_a_name_is_a_letter_not_a_pattern(self):
        self.env["res.partner"].create(
            {"name": "Harbor Home Care", "zip": "02110", "ref": "CRM-6"}
        )
        found, reason = self.env["res.partner"]._interop_probable_duplicates(
            {"name": "Harbor%", "zip": "02110", "ref": "NEW-6"}, ref="NEW-6"
        )
        self.assertFalse(found)
        self.assertIsNone(reason)
        found, reason = self.env["res.partner"]._interop_probable_duplicates(
            {"name": " harbor home care ", "zip": "02110"}, ref="NEW-6"
        )
        self.assertEqual(found.mapped("ref"), ["CRM-6"])
        self.assertEqual(reason, "same name and postcode")


@tagged("post_install", "-at_install")
class TestPhiCopiedToRecords(InteropMessageCase):
    """The event type lists the PHI its handler may copy into business records."""

    def test_attack_handler_copies_phi_the_event_type_does_not_list(self):
        self.event_type.phi_copy_paths = "contact.name"
        marker = "phi-copy-7c1d@private.example"
        message = self._receive(self._payload(ref="CP-1", email=marker))
        self.assertEqual(message.state, "done")
        partner = self.env["res.partner"].search([("ref", "=", "CP-1")])
        self.assertRecordValues(partner, [{"name": "Jane Roe", "email": False}])
        note = message.attempt_ids.note
        self.assertIn("contact.email", note)
        self.assertNotIn(marker, note)
        self.assertFalse(self.env["res.partner"].search([("email", "=", marker)]))

    def test_listed_phi_is_copied_without_a_note(self):
        message = self._receive(self._payload(ref="CP-2"))
        self.assertRecordValues(
            self.env["res.partner"].search([("ref", "=", "CP-2")]),
            [{"name": "Jane Roe", "email": "jane.cp-2@example.com"}],
        )
        self.assertFalse(message.attempt_ids.note)

    def test_copy_setting_is_governed_once_messages_exist(self):
        self._receive()
        with self.assertRaisesRegex(UserError, "approved change request"):
            self.event_type.with_user(self.manager).phi_copy_paths = "contact.*"


@tagged("post_install", "-at_install")
class TestUpsertInItsTransaction(InteropMessageCase):
    """The upsert checks for concurrent creations in its own transaction: no second
    connection, which would wait on the locks this transaction holds."""

    def _cancel_sessions_waiting_on(self, pid, stop, cancelled):
        """Cancel, from a connection of its own, every session that waits more than
        two seconds on a lock the session ``pid`` holds (the test fails instead of
        hanging)."""
        with self.registry.cursor() as cr:
            while not stop.wait(0.2):
                cr.execute(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE %s = ANY(pg_blocking_pids(pid))"
                    " AND now() - state_change > interval '2 seconds'",
                    [pid],
                )
                for (waiting,) in cr.fetchall():
                    cr.execute("SELECT pg_cancel_backend(%s)", [waiting])
                    cancelled.append(waiting)
                cr.rollback()

    def test_upsert_while_a_module_installs_never_waits_on_its_own_transaction(self):
        # installing a module that adds a column to contacts locks their table
        # until the installation commits, and its demo data may send messages
        self.env.flush_all()
        self.env.cr.execute("LOCK TABLE res_partner IN ACCESS EXCLUSIVE MODE")
        self.env.cr.execute("SELECT pg_backend_pid()")
        pid = self.env.cr.fetchone()[0]
        stop, cancelled = threading.Event(), []
        watchdog = threading.Thread(
            target=self._cancel_sessions_waiting_on, args=(pid, stop, cancelled)
        )
        watchdog.start()
        try:
            message = self._receive(self._payload(ref="LOCKED-1"))
        finally:
            stop.set()
            watchdog.join(timeout=10)
        self.assertEqual(cancelled, [], "a second connection waited on this one")
        self.assertEqual(message.state, "done")
        self.assertEqual(
            self.env["res.partner"].search_count([("ref", "=", "LOCKED-1")]), 1
        )


@tagged("post_install", "-at_install")
class TestConcurrentUpsert(CommittedRaceCase):
    """Two drains at once, in committed transactions of their own, each with the
    same ten contacts: the generic upsert creates each contact once."""

    PREFIX = "RP-77310"

    def _queue_messages(self, env):
        return self._queue_party_messages(
            env,
            [
                (
                    f"race-{number}",
                    {
                        "id": f"{self.PREFIX}{number % 10}",
                        "name": f"Race Party {number % 10}",
                    },
                )
                for number in range(60)
            ],
        )

    def test_two_drains_at_once_create_each_contact_once(self):
        start = fields.Datetime.now()
        event_type_id, message_ids = self._committed(self._queue_messages)
        barrier = threading.Barrier(2)

        def drain(ids, name):
            with self.registry.cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {"job_uuid": name})
                barrier.wait(timeout=10)
                env["interop.message.dispatch"]._job_drain(
                    event_type_id, message_ids=ids
                )
                cr.commit()  # pylint: disable=invalid-commit

        try:
            errors = self._race(
                (drain, message_ids[:30], "drain-a"),
                (drain, message_ids[30:], "drain-b"),
            )
            self.assertEqual(errors, [])

            def run_own_jobs(env):
                # the messages that met a contact committed meanwhile were handed
                # to jobs of their own: they run now, in a transaction that sees it
                messages = env["interop.message"].browse(message_ids)
                for message in messages.filtered(lambda m: m.state == "queued"):
                    message._job_process()
                return messages.mapped("state")

            states = self._committed(run_own_jobs)
            self.assertEqual(states, ["done"] * 60)

            def count(env):
                return env["res.partner"].search_count(
                    [("ref", "=like", f"{self.PREFIX}%")]
                )

            self.assertEqual(self._committed(count), 10)
        finally:
            self._cleanup(message_ids, start)

    def test_upsert_begun_before_a_concurrent_creation_runs_again_and_updates(self):
        """A job whose transaction began before another job created the contact
        and committed cannot see it: it does not create it a second time, it runs
        again (a transient fault) and updates the contact."""
        start = fields.Datetime.now()
        ref = f"{self.PREFIX}99"

        def queue(env):
            endpoint = env.ref("interop.endpoint_crm")
            event_type = env.ref("interop.event_type_responsible_party_updated")
            ids = []
            for side in ("early", "late"):
                message = env["interop.message"]._log_message(
                    endpoint,
                    event_type,
                    {
                        "event_id": f"race-{side}",
                        "party": {"id": ref, "name": f"Race Party {side}"},
                    },
                )
                message._validate()
                message._set_state("queued")
                ids.append(message.id)
            return ids

        first_id, second_id = self._committed(queue)
        began, committed = threading.Barrier(2), threading.Barrier(2)
        outcome = {}

        def begun_first():
            try:
                with self.registry.cursor() as cr:
                    # this transaction reads the database as it is now
                    cr.execute("SELECT count(*) FROM res_partner")
                    began.wait(timeout=10)
                    committed.wait(timeout=60)
                    env = api.Environment(cr, api.SUPERUSER_ID, {})
                    try:
                        env["interop.message"].browse(second_id)._job_process()
                        outcome["late"] = "processed"
                    except RetryableJobError:
                        outcome["late"] = "retry"
                    cr.rollback()
            except Exception as error:  # noqa: BLE001 - reported by the test
                outcome["error"] = repr(error)

        def creates_and_commits():
            try:
                with self.registry.cursor() as cr:
                    began.wait(timeout=10)
                    env = api.Environment(cr, api.SUPERUSER_ID, {})
                    env["interop.message"].browse(first_id)._job_process()
                    cr.commit()  # pylint: disable=invalid-commit
            except Exception as error:  # noqa: BLE001 - reported by the test
                outcome["error"] = repr(error)
            finally:
                committed.wait(timeout=60)

        try:
            threads = [
                threading.Thread(target=begun_first),
                threading.Thread(target=creates_and_commits),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            self.assertEqual(outcome, {"late": "retry"})

            def run_again(env):
                # the job runs again, in a new transaction
                messages = env["interop.message"].browse([first_id, second_id])
                messages.browse(second_id)._job_process()
                partners = env["res.partner"].search([("ref", "=", ref)])
                return messages.mapped("state"), partners.mapped("name")

            states, names = self._committed(run_again)
            self.assertEqual(states, ["done", "done"])
            self.assertEqual(names, ["Race Party late"])
        finally:
            self._cleanup([first_id, second_id], start)
