# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import threading

from odoo import Command, api, fields
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT


class InteropCase(TransactionCase):
    """Users of each Interop group and a ready-to-activate endpoint."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.company = cls.env.company
        cls.user = new_test_user(
            cls.env, login="interop_user", groups="interop.group_interop_user"
        )
        cls.manager = new_test_user(
            cls.env, login="interop_manager", groups="interop.group_interop_manager"
        )
        cls.auditor = new_test_user(
            cls.env, login="interop_auditor", groups="interop.group_interop_auditor"
        )
        cls.endpoint = cls.env["interop.endpoint"].create(
            cls._endpoint_vals(code="test-scheduling", name="Test Scheduling")
        )

    @classmethod
    def _setup_other_company(cls):
        """A second company and an Interop manager who works only there."""
        cls.other_company = cls.env["res.company"].create({"name": "Meridian West"})
        cls.other_manager = new_test_user(
            cls.env,
            login="west_manager",
            groups="interop.group_interop_manager",
            company_id=cls.other_company.id,
            company_ids=[cls.other_company.id],
        )

    @classmethod
    def _enable_tracking(cls):
        """Switch tracking back on, for the tests of what the chatter records."""
        cls.env = cls.env(
            context=dict(
                cls.env.context,
                tracking_disable=False,
                mail_notrack=False,
                mail_create_nolog=False,
            )
        )

    def assertRunsManually(self, cron):
        """Run the scheduled action ``cron`` (a record or its XML id) as an
        administrator does with *Run Manually* (the action runs as its own user);
        assert the run is recorded."""
        if isinstance(cron, str):
            cron = self.env.ref(cron)
        cron = cron.with_user(self.env.ref("base.user_admin"))
        before = fields.Datetime.now()
        cron.method_direct_trigger()
        self.assertGreaterEqual(cron.lastcall, before)
        return cron

    def _approve_pending(self, record, approver=None):
        """Submit the draft change requests of ``record`` and have ``approver`` (by
        default the Interop manager) approve them, as two people do."""
        requests = self.env["interop.change.request"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("state", "=", "draft"),
            ]
        )
        self.assertTrue(requests, f"no draft change request for {record.display_name}")
        requests.filtered(lambda r: not r.reason).reason = "Reviewed in the test"
        requests.action_submit()
        requests.with_user(approver or self.manager).action_approve()
        return requests

    @classmethod
    def _endpoint_vals(cls, **overrides):
        vals = {
            "code": "test-endpoint",
            "name": "Test Endpoint",
            "system_kind": "scheduling",
            "direction": "both",
            "base_url": "https://scheduling.example/api",
            "environment": "production",
            "data_classification": "phi",
            "business_owner_id": cls.user.id,
            "technical_owner_id": cls.manager.id,
        }
        vals.update(overrides)
        return vals


PARTNER_SCHEMA = {
    "type": "object",
    "required": ["event_id", "contact"],
    "properties": {
        "event_id": {"type": "string"},
        "contact": {
            "type": "object",
            "required": ["ref", "name"],
            "properties": {
                "ref": {"type": "string"},
                "name": {"type": "string", "minLength": 1},
                "email": {"type": "string"},
                "birth_date": {"type": "string"},
            },
        },
    },
}


class InteropMessageCase(InteropCase):
    """An active endpoint and a contact event processed by the generic handler."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=True))
        # the tests say which system owns what, whatever the demo data configured
        cls.env["interop.system.of.record"].search([]).unlink()
        cls.phi_user = new_test_user(
            cls.env,
            login="interop_phi",
            groups="interop.group_interop_user,interop.group_interop_phi",
        )
        cls.team = cls.env["interop.team"].create(
            {"name": "Test Revenue", "lead_id": cls.manager.id}
        )
        cls.endpoint.write({"team_id": cls.team.id})
        cls.endpoint._activate()
        # the flows of this endpoint create contacts
        cls.endpoint.service_user_id.groups_id = [
            (4, cls.env.ref("base.group_partner_manager").id)
        ]
        cls.event_type = cls.env["interop.event.type"].create(
            {
                "code": "test.contact.updated",
                "name": "Contact Updated",
                "schema": json.dumps(PARTNER_SCHEMA),
                "data_classification": "phi",
                "phi_paths": "contact.name\ncontact.email\ncontact.birth_date",
                "phi_copy_paths": "contact.name\ncontact.email",
                "id_field": "event_id",
                "business_key_field": "contact.ref",
                "handler_model": "interop.handler.record",
                "handler_method": "_interop_handle_upsert",
                "record_model_id": cls.env.ref("base.model_res_partner").id,
                "record_match_field": "ref",
                "record_field_map": json.dumps(
                    {
                        "ref": "contact.ref",
                        "name": "contact.name",
                        "email": "contact.email",
                    }
                ),
            }
        )

    @classmethod
    def _payload(cls, ref="P-1001", name="Jane Roe", **contact):
        return {
            "event_id": f"evt-{ref}",
            "contact": {
                "ref": ref,
                "name": name,
                # one email per contact: the same email is a probable duplicate
                "email": f"jane.{ref.lower()}@example.com",
                **contact,
            },
        }

    def _receive(self, payload=None, **extra):
        return self.env["interop.message"]._receive(
            self.endpoint, self.event_type, payload or self._payload(), **extra
        )


class InteropMappingCase(InteropCase):
    """A record table of payer ids and a value table of site codes, owned by a user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.payer_northwind = cls.env["res.partner"].create(
            {"name": "Northwind Health Plan", "is_company": True}
        )
        cls.payer_blue_meadow = cls.env["res.partner"].create(
            {"name": "Blue Meadow Insurance", "is_company": True}
        )
        cls.payer_table = cls.env["interop.mapping.table"].create(
            cls._mapping_table_vals(
                code="test-payer-codes",
                name="Test Payer Codes",
                target_model_id=cls.env.ref("base.model_res_partner").id,
                line_ids=[
                    Command.create(
                        {"external_code": "NWH-001", "res_id": cls.payer_northwind.id}
                    ),
                    Command.create(
                        {
                            "external_code": "BMI-220",
                            "res_id": cls.payer_blue_meadow.id,
                            "date_from": "2026-01-01",
                            "date_to": "2026-12-31",
                        }
                    ),
                ],
            )
        )
        cls.location_table = cls.env["interop.mapping.table"].create(
            cls._mapping_table_vals(
                code="test-location-codes",
                name="Test Location Codes",
                target_type="value",
                line_ids=[
                    Command.create(
                        {"external_code": "MD-N01", "target_value": "WH-NORTH"}
                    )
                ],
            )
        )

    @classmethod
    def _mapping_table_vals(cls, **overrides):
        vals = {
            "code": "test-mapping",
            "name": "Test Mapping",
            "code_system": "Test ID",
            "target_type": "record",
            "owner_id": cls.user.id,
        }
        vals.update(overrides)
        return vals


class CommittedRaceCase(TransactionCase):
    """Races between committed transactions, as two job runner workers run them: the
    work of each side in a cursor of its own, committed, and the rows it left
    removed afterwards (:meth:`_cleanup`).

    ``PREFIX`` is the reference of the contacts the race creates (``res.partner.ref``
    starting with it), removed with the messages.
    """

    PREFIX = None

    def _committed(self, work):
        """``work(env)`` in a transaction of its own, committed; its result."""
        with self.registry.cursor() as cr:
            result = work(api.Environment(cr, api.SUPERUSER_ID, {}))
            # pylint: disable=invalid-commit
            cr.commit()  # the race is between committed transactions
            return result

    def _queue_party_messages(self, env, parties):
        """Queued messages of the demo CRM's responsible parties, one per
        ``(event id, party)``; returns ``(event type id, message ids)``."""
        endpoint = env.ref("interop.endpoint_crm")
        event_type = env.ref("interop.event_type_responsible_party_updated")
        ids = []
        for event_id, party in parties:
            message = env["interop.message"]._log_message(
                endpoint, event_type, {"event_id": event_id, "party": party}
            )
            message._validate()
            message._set_state("queued")
            ids.append(message.id)
        return event_type.id, ids

    def _cleanup(self, message_ids, start):
        """Remove the messages, their exceptions, the contacts of ``PREFIX`` and the
        jobs of messages created since ``start``: committed rows no rollback undoes."""

        def clean(env):
            cr = env.cr
            cr.execute(
                "DELETE FROM interop_exception WHERE message_id = ANY(%s)",
                [message_ids],
            )
            cr.execute("DELETE FROM interop_message WHERE id = ANY(%s)", [message_ids])
            cr.execute("DELETE FROM res_partner WHERE ref LIKE %s", [f"{self.PREFIX}%"])
            cr.execute(
                "DELETE FROM queue_job WHERE model_name LIKE 'interop.message%%'"
                " AND date_created >= %s",
                [start],
            )

        self._committed(clean)

    def _race(self, *targets, timeout=120):
        """Run each ``(function, *args)`` of ``targets`` in a thread of its own, all
        at once; return the errors they raised (their ``repr``), in no order."""
        errors = []

        def run(function, *args):
            try:
                function(*args)
            except Exception as error:  # noqa: BLE001 - reported by the test
                errors.append(repr(error))

        threads = [threading.Thread(target=run, args=target) for target in targets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=timeout)
        return errors
