# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.tests import tagged

from odoo.addons.interop.tests.common import InteropMessageCase


@tagged("post_install", "-at_install")
class TestIntakeWritesEveryField(InteropMessageCase):
    """A field another module adds to the message, with a default or computed, is
    written by the one intake path, whichever way the message comes in."""

    def _assert_intake_fields(self, message):
        self.assertRecordValues(
            message,
            [{"intake_channel": "default-channel", "intake_size_kb": 1}],
        )
        # in the database, not only in the cache
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT intake_channel, intake_size_kb FROM interop_message WHERE id = %s",
            [message.id],
        )
        self.assertEqual(self.env.cr.fetchone(), ("default-channel", 1))

    def test_gateway_intake_writes_a_defaulted_field_of_another_module(self):
        payload = self._payload(ref="INTAKE-1")
        service = self.env["interop.message"].with_user(self.endpoint.service_user_id)
        intake = service._intake(
            self.endpoint,
            self.event_type,
            json.dumps(payload).encode(),
            payload,
            idempotency_key="intake-1",
        )
        message = self.env["interop.message"].browse(intake.id)
        self.assertEqual(message.idempotency_key, "intake-1")
        self._assert_intake_fields(message)

    def test_gateway_statement_writes_a_defaulted_field_of_another_module(self):
        # the one-statement insert of a valid message (the gateway's hot path)
        service = self.env["interop.message"].with_user(self.endpoint.service_user_id)
        message_id, _correlation, _pending = service._log_queued(
            self.endpoint.id,
            self.endpoint.company_id.id,
            self.event_type.id,
            self.event_type.version,
            json.dumps(self._payload(ref="INTAKE-4")),
            idempotency_key="intake-4",
        )
        self._assert_intake_fields(self.env["interop.message"].browse(message_id))

    def test_server_intake_writes_a_defaulted_field_of_another_module(self):
        message = self.endpoint.with_env(self.env)._receive_event(
            self.event_type.code, self._payload(ref="INTAKE-2")
        )
        self.assertEqual(message.state, "done")
        self._assert_intake_fields(message)

    def test_rejected_intake_writes_a_defaulted_field_of_another_module(self):
        payload = self._payload(ref="INTAKE-3")
        payload["contact"].pop("name")
        message = self.endpoint.with_env(self.env)._receive_event(
            self.event_type.code, payload
        )
        self.assertEqual(message.state, "rejected")
        self._assert_intake_fields(message)

    def test_standards_statement_of_many_writes_a_defaulted_field_of_another_module(
        self,
    ):
        # interop_standards' insert of the children of a file of many (an 835)
        service = self.env["interop.message"].with_user(self.endpoint.service_user_id)
        ids = service._log_queued_many(
            self.endpoint.id,
            self.endpoint.company_id.id,
            self.event_type.id,
            self.event_type.version,
            [
                {
                    "body": json.dumps(self._payload(ref=f"INTAKE-MANY-{index}")),
                    "idempotency_key": f"intake-many-{index}",
                    "business_key": f"INTAKE-MANY-{index}",
                }
                for index in (1, 2)
            ],
        )
        self.assertEqual(len(ids), 2)
        for message in self.env["interop.message"].browse(ids):
            self._assert_intake_fields(message)
