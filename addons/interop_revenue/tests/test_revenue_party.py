# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import threading
from datetime import timedelta

from odoo import api, fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.interop.errors import SystemOfRecordConflict

from .common import RevenueCase


@tagged("post_install", "-at_install")
class TestResponsiblePartyChecks(RevenueCase):
    """The revenue intake writes contacts through the checks every handler goes
    through: the system of record, then the probable-duplicate check."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crm = cls.env["interop.endpoint"].create(
            cls._endpoint_vals(code="test-crm", name="Test CRM")
        )
        cls.env["interop.system.of.record"].create(
            {
                "entity": "responsible_party",
                "model_id": cls.env.ref("base.model_res_partner").id,
                "field_ids": [
                    (
                        6,
                        0,
                        [
                            cls.env.ref("base.field_res_partner__email").id,
                            cls.env.ref("base.field_res_partner__phone").id,
                        ],
                    )
                ],
                "source": "endpoint",
                "endpoint_id": cls.crm.id,
            }
        )

    def test_attack_scheduling_platform_writes_email_the_crm_owns(self):
        message = self._complete()  # the payload carries the party's email
        self.assertException(message, "system_of_record", self.revenue_owner)
        self.assertIn("email", message.last_error)
        self.assertFalse(
            self.env["res.partner"].search([("ref", "=", "RP-V-T1")]),
            "no contact written with the email the CRM owns",
        )
        self.assertFalse(self._visit().sudo().invoice_id)

    def test_generic_handler_and_revenue_intake_refuse_alike(self):
        """One check: what the generic handler is refused, the intake is too."""
        SystemOfRecord = self.env["interop.system.of.record"]
        for fnames in (["name", "ref", "email"], ["name", "ref", "phone"]):
            with self.assertRaisesRegex(SystemOfRecordConflict, "owned by Test CRM"):
                SystemOfRecord._check_write("res.partner", fnames, self.scheduling)
        payload = self._completed_payload()
        del payload["responsible_party"]["email"]
        payload["responsible_party"]["phone"] = "+1 555 0100"
        message = self.scheduling._receive_event("service.completed", payload)
        self.assertEqual(message.state, "failed")
        self.assertIn("phone", message.last_error)

    def test_party_without_fields_the_crm_owns_is_created(self):
        payload = self._completed_payload()
        del payload["responsible_party"]["email"]
        message = self.scheduling._receive_event("service.completed", payload)
        self.assertEqual(message.state, "done")
        partner = self.env["res.partner"].search([("ref", "=", "RP-V-T1")])
        self.assertEqual(len(partner), 1)
        self.assertFalse(partner.email)

    def test_the_crm_itself_may_set_the_email(self):
        self.assertTrue(
            self.env["interop.system.of.record"]._check_write(
                "res.partner", ["email", "phone"], self.crm
            )
        )

    def test_look_alike_party_is_not_created(self):
        payload = self._completed_payload("V-T1")
        del payload["responsible_party"]["email"]
        self.scheduling._receive_event("service.completed", payload)
        twin = self._completed_payload("V-T2")
        del twin["responsible_party"]["email"]
        twin["responsible_party"].update(name="Party of V-T1")
        message = self.scheduling._receive_event("service.completed", twin)
        self.assertException(message, "conflict", self.revenue_owner)
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "RP-V-T2")]))


@tagged("post_install", "-at_install")
class TestConcurrentPartyCreation(TransactionCase):
    """Two drains at once, in committed transactions of their own, with completions
    of the same responsible party and of two look-alike parties: the party is
    created once, and only one of the look-alikes."""

    PREFIX = "V-RACE"

    def _committed(self, work):
        with self.registry.cursor() as cr:
            result = work(api.Environment(cr, api.SUPERUSER_ID, {}))
            # the race is between committed transactions
            cr.commit()  # pylint: disable=invalid-commit
            return result

    def _payload(self, visit, party):
        day = fields.Date.to_string(fields.Date.today() - timedelta(days=1))
        return {
            "event_id": f"race-{visit}",
            "visit": {
                "id": visit,
                "completed_at": f"{day}T10:00:00Z",
                "location": "MD-N01",
            },
            "responsible_party": party,
            "coverage": {"payer_code": "NWH-001", "plan_ref": "PLAN-RACE"},
            "lines": [{"service_code": "70551", "quantity": 1, "date": day}],
        }

    def _queue_messages(self, env):
        params = env["ir.config_parameter"]
        # the committed value, not get_param's cache: a test before this one set it
        # in a transaction rolled back since, and restoring that would commit it
        auto_post = (
            params.search([("key", "=", "interop_revenue.invoice_auto_post")]).value
            or "True"
        )
        # draft invoices: the race is on the contacts, not on invoice numbers
        params.set_param("interop_revenue.invoice_auto_post", "False")
        endpoint = env.ref("interop.endpoint_scheduling_platform")
        event_type = env["interop.event.type"]._find("service.completed")
        same = {"id": "RP-RACE-1", "name": "Rosa Racette"}
        look_alike = {"name": "Lena Racewell", "birth_date": "1990-01-01"}
        payloads = {"a": [], "b": []}
        for side in ("a", "b"):
            for number in range(3):
                payloads[side].append(
                    self._payload(f"{self.PREFIX}-{side}{number}", same)
                )
            payloads[side].append(
                self._payload(
                    f"{self.PREFIX}-{side}L",
                    dict(look_alike, id=f"RP-RACE-L{side}"),
                )
            )
        Message = env["interop.message"]
        ids = {}
        for side, side_payloads in payloads.items():
            ids[side] = []
            for payload in side_payloads:
                message = Message._log_message(
                    endpoint,
                    event_type,
                    payload,
                    business_key=payload["visit"]["id"],
                    idempotency_key=payload["event_id"],
                )
                message._validate()
                message._set_state("queued")
                ids[side].append(message.id)
        return event_type.id, ids, auto_post

    def _cleanup(self, message_ids, start, auto_post):
        def clean(env):
            cr = env.cr
            cr.execute(
                "SELECT exception_id FROM interop_exception_message_rel"
                " WHERE message_id = ANY(%s)",
                [message_ids],
            )
            exception_ids = [row[0] for row in cr.fetchall()]
            cr.execute(
                "DELETE FROM mail_activity WHERE res_model = 'interop.exception'"
                " AND res_id = ANY(%s)",
                [exception_ids],
            )
            cr.execute(
                "DELETE FROM interop_exception WHERE id = ANY(%s)", [exception_ids]
            )
            cr.execute(
                "DELETE FROM interop_message WHERE business_key LIKE %s",
                [f"{self.PREFIX}%"],
            )
            cr.execute(
                "DELETE FROM interop_visit WHERE name LIKE %s", [f"{self.PREFIX}%"]
            )
            cr.execute(
                "DELETE FROM account_move WHERE invoice_origin LIKE %s",
                [f"{self.PREFIX}%"],
            )
            cr.execute("DELETE FROM res_partner WHERE ref LIKE 'RP-RACE%%'")
            cr.execute(
                "DELETE FROM queue_job WHERE model_name = 'interop.message'"
                " AND date_created >= %s",
                [start],
            )
            # in SQL: the ORM's write of the parameter was not flushed by this commit
            # (the setting stayed at False for every test after this one)
            cr.execute(
                "UPDATE ir_config_parameter SET value = %s WHERE key = %s",
                [auto_post, "interop_revenue.invoice_auto_post"],
            )
            env.registry.clear_cache()

        self._committed(clean)

    def test_attack_two_drains_create_one_party_and_one_look_alike(self):
        start = fields.Datetime.now()
        event_type_id, ids, auto_post = self._committed(self._queue_messages)
        message_ids = ids["a"] + ids["b"]
        barrier = threading.Barrier(2)
        errors = []

        def drain(side):
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, api.SUPERUSER_ID, {"job_uuid": side})
                    barrier.wait(timeout=10)
                    env["interop.message.dispatch"]._job_drain(
                        event_type_id, message_ids=ids[side]
                    )
                    cr.commit()  # pylint: disable=invalid-commit
            except Exception as error:  # noqa: BLE001 - reported by the test
                errors.append(repr(error))

        try:
            threads = [
                threading.Thread(target=drain, args=(side,)) for side in ("a", "b")
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            self.assertEqual(errors, [])

            def run_own_jobs(env):
                # the messages that met a party committed meanwhile were handed to
                # jobs of their own: they run now, in a transaction that sees it
                messages = env["interop.message"].browse(message_ids)
                for message in messages.filtered(lambda m: m.state == "queued"):
                    message._job_process()
                return {
                    message.business_key: (
                        message.state,
                        message.exception_ids.category_id.code or None,
                    )
                    for message in messages
                }

            outcome = self._committed(run_own_jobs)
            for side in ("a", "b"):
                for number in range(3):
                    self.assertEqual(
                        outcome[f"{self.PREFIX}-{side}{number}"], ("done", None)
                    )
            look_alikes = sorted(
                [outcome[f"{self.PREFIX}-aL"], outcome[f"{self.PREFIX}-bL"]]
            )
            self.assertEqual(look_alikes, [("done", None), ("failed", "conflict")])

            def parties(env):
                Partner = env["res.partner"]
                return (
                    Partner.search_count([("ref", "=", "RP-RACE-1")]),
                    Partner.search_count([("name", "=", "Lena Racewell")]),
                )

            self.assertEqual(self._committed(parties), (1, 1))
        finally:
            self._cleanup(message_ids, start, auto_post)
