# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

import hl7

from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import file_open

from odoo.addons.interop_gateway.tests.common import SECRET, sign
from odoo.addons.interop_standards.hl7_er7 import Hl7Reject, parse

from .common import HL7_TYPE, StandardsCase, data, segments


@tagged("post_install", "-at_install")
class TestHl7Gateway(StandardsCase):
    """HL7 v2 over HTTP: each trigger becomes its canonical event, every refusal
    is an ACK naming the segment and the field."""

    def _ack(self, response):
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith(HL7_TYPE))
        return segments(response.text)

    def _msa(self, ack):
        return next(seg for seg in ack if seg[0] == "MSA")

    def _errs(self, ack):
        return [seg for seg in ack if seg[0] == "ERR"]

    # Triggers

    def test_dft_p03_bills_the_visit_as_service_completed(self):
        ack = self._ack(self._post_hl7(data("dft_p03.hl7")))
        self.assertEqual(self._msa(ack)[1:3], ["AA", "T-DFT-0001"])
        self.assertEqual(ack[0][8], "ACK^P03^ACK")
        original = self._originals("hl7.v2_message")
        # acknowledged once stored: its processing stores its canonical event
        self.assertRecordValues(
            original,
            [
                {
                    "state": "queued",
                    "content_type": HL7_TYPE,
                    "idempotency_key": "T-DFT-0001",
                    "business_key": "V-HL7-1",
                    "attempt_count": 0,
                    "parent_id": False,
                }
            ],
        )
        self.assertFalse(original.child_ids)
        child = self._derive(original)
        self.assertRecordValues(
            original, [{"state": "done", "attempt_count": 1, "last_error": False}]
        )
        self.assertTrue(original.date_started and original.date_finished)
        self.assertFalse(original.exception_ids)
        self.assertRecordValues(
            child,
            [
                {
                    "state": "queued",
                    "parent_id": original.id,
                    "correlation_id": original.correlation_id,
                    "business_key": "V-HL7-1",
                }
            ],
        )
        self.assertEqual(child.event_type_id.code, "service.completed")
        self._run_jobs(child)
        self.assertEqual(child.state, "done")
        visit = self._visit("V-HL7-1")
        self.assertEqual(visit.invoice_id.amount_untaxed, 850.0)
        self.assertEqual(visit.partner_id.ref, "RP-HL7-1")
        self.assertEqual(visit.location_value, "WH-NORTH")

    def test_siu_s12_to_s15_keep_the_appointment_current(self):
        states = []
        for trigger in ("s12", "s13", "s14", "s15"):
            ack = self._ack(self._post_hl7(data(f"siu_{trigger}.hl7")))
            self.assertEqual(self._msa(ack)[1], "AA")
            child = self._derive(self._originals("hl7.v2_message")[:1])
            self._run_jobs(child)
            self.assertEqual(child.state, "done", child.last_error)
            appointment = self.env["interop.appointment"].search(
                [("name", "=", "APT-T1")]
            )
            states.append(appointment.state)
        self.assertEqual(states, ["booked", "rescheduled", "modified", "cancelled"])
        self.assertRecordValues(
            appointment,
            [
                {
                    "location_value": "WH-NORTH",
                    "product_id": self.cbc.id,
                    "visit_ref": "V-HL7-2",
                    "patient_ref": "MRN-T2",
                    "duration_minutes": 30,
                }
            ],
        )
        self.assertEqual(str(appointment.date_start), "2026-12-11 10:00:00")

    def test_adt_a08_updates_the_responsible_party(self):
        party = self.env["res.partner"].create(
            {"name": "Sam Testperson", "ref": "RP-HL7-3", "phone": "+1 555 0000"}
        )
        ack = self._ack(self._post_hl7(data("adt_a08.hl7")))
        self.assertEqual(self._msa(ack)[1], "AA")
        child = self._derive(self._originals("hl7.v2_message"))
        self.assertEqual(child.event_type_id.code, "party.updated")
        self._run_jobs(child)
        self.assertEqual(child.state, "done", child.last_error)
        self.assertRecordValues(
            party,
            [
                {
                    "phone": "+1 555 0199",
                    "street": "9 New Road",
                    "city": "Newtown",
                    "email": "sam.testperson@example.com",
                }
            ],
        )

    def test_attack_adt_a08_overwrites_an_email_another_system_owns(self):
        """An update of a known party goes through the system-of-record check the
        creation and the generic handler go through."""
        crm = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="test-crm-hl7", name="Test CRM")
        )
        self.env["interop.system.of.record"].create(
            {
                "entity": "responsible_party",
                "model_id": self.env.ref("base.model_res_partner").id,
                "field_ids": [
                    (6, 0, [self.env.ref("base.field_res_partner__email").id])
                ],
                "source": "endpoint",
                "endpoint_id": crm.id,
            }
        )
        party = self.env["res.partner"].create(
            {
                "name": "Sam Testperson",
                "ref": "RP-HL7-3",
                "email": "sam@crm.example.com",
            }
        )
        ack = self._ack(self._post_hl7(data("adt_a08.hl7")))
        self.assertEqual(self._msa(ack)[1], "AA")
        child = self._derive(self._originals("hl7.v2_message"))
        self._run_jobs(child)
        self.assertEqual(child.state, "failed")
        self.assertIn("email", child.last_error)
        self.assertEqual(child.exception_ids.category_id.code, "system_of_record")
        self.assertRecordValues(
            party, [{"email": "sam@crm.example.com", "street": False}]
        )

    def test_batch_is_split_into_messages_each_acknowledged(self):
        batch = (
            "BHS|^~\\&|TESTPM|TESTFAC\r"
            + data("siu_s12.hl7")
            + data("adt_a08.hl7").replace("PID|1||MRN-T3", "PID|1||MRN-T3")
            + "BTS|2\r"
        )
        ack = self._ack(self._post_hl7(batch))
        self.assertEqual(ack[0][0], "BHS")
        self.assertEqual(ack[-1], ["BTS", "2"])
        self.assertEqual(
            [seg[1:3] for seg in ack if seg[0] == "MSA"],
            [["AA", "T-SIU-0012"], ["AA", "T-ADT-0008"]],
        )
        originals = self._originals("hl7.v2_message")
        self.assertEqual(
            sorted(originals.mapped("idempotency_key")), ["T-ADT-0008", "T-SIU-0012"]
        )
        self.assertEqual(
            sorted(self._derive(originals).event_type_id.mapped("code")),
            ["appointment.booked", "party.updated"],
        )

    # Refusals

    def test_malformed_segment_is_rejected_naming_it(self):
        text = data("dft_p03.hl7").replace("\rPV1|", "\rP-1|")
        ack = self._ack(self._post_hl7(text))
        self.assertEqual(self._msa(ack)[1:3], ["AR", "T-DFT-0001"])
        (err,) = self._errs(ack)
        self.assertEqual(err[2], "segment 4^1")
        self.assertTrue(err[3].startswith("100^Segment sequence error"))
        original = self._originals("hl7.v2_message")
        self.assertEqual(original.state, "rejected")
        self.assertFalse(original.idempotency_key)
        self.assertFalse(original.child_ids)
        self.assertIn("segment 4", original.rejection_reasons)
        # the rejection reaches the endpoint's technical owner
        self.assertTrue(original.exception_ids)

    def test_wrong_version_is_rejected(self):
        text = data("dft_p03.hl7").replace("|P|2.5.1\r", "|P|2.1\r", 1)
        ack = self._ack(self._post_hl7(text))
        self.assertEqual(self._msa(ack)[1], "AR")
        (err,) = self._errs(ack)
        self.assertEqual(err[2], "MSH^1^12^1^1")
        self.assertTrue(err[3].startswith("203^Unsupported version id"))

    def test_missing_control_id_is_rejected(self):
        text = data("dft_p03.hl7").replace("|T-DFT-0001|", "||", 1)
        ack = self._ack(self._post_hl7(text))
        self.assertEqual(self._msa(ack)[1:3], ["AR", ""])
        (err,) = self._errs(ack)
        self.assertEqual(err[2], "MSH^1^10^1^1")
        self.assertTrue(err[3].startswith("101^Required field missing"))
        self.assertFalse(self._visit("V-HL7-1"))

    def test_unsupported_trigger_is_rejected(self):
        text = data("adt_a08.hl7").replace("ADT^A08^ADT_A01", "ADT^A01^ADT_A01")
        ack = self._ack(self._post_hl7(text))
        self.assertEqual(self._msa(ack)[1], "AR")
        (err,) = self._errs(ack)
        self.assertEqual(err[2], "MSH^1^9^1^2")
        self.assertTrue(err[3].startswith("201^Unsupported event code"))

    def test_attack_header_without_trigger_or_fields_gets_an_ack_not_a_500(self):
        """A sender's header without a trigger event (MSH-9 "DFT") or cut short
        after a few fields is refused with an ACK naming the error, not a server
        error (``hl7``'s ``create_ack`` fails on both)."""
        for text, code, location in (
            (
                "MSH|^~\\&|LAB|FAC|INTEROP|FAC|20261201||DFT|CTL-T1|P|2.5.1\rEVN|P03\r",
                "201",
                "MSH^1^9^1^2",
            ),
            ("MSH|^~\\&|LAB|FAC\rEVN|P03\r", "101", "MSH^1^10^1^1"),
        ):
            answer = self._post_hl7(text)
            ack = self._ack(answer)
            self.assertEqual(self._msa(ack)[1], "AR", answer.text)
            (err,) = self._errs(ack)
            self.assertEqual(err[2], location)
            self.assertTrue(err[3].startswith(code), err)

    def test_missing_visit_number_is_an_application_error(self):
        text = data("dft_p03.hl7").replace("|V-HL7-1", "|")
        ack = self._ack(self._post_hl7(text))
        self.assertEqual(self._msa(ack)[1], "AE")
        (err,) = self._errs(ack)
        self.assertEqual(err[2], "PV1^1^19^1^1")
        self.assertIn("PV1-19: The visit number is missing.", err[8])

    def test_duplicate_control_id_is_acknowledged_and_billed_once(self):
        first = self._ack(self._post_hl7(data("dft_p03.hl7")))
        again = self._ack(self._post_hl7(data("dft_p03.hl7")))
        self.assertEqual(self._msa(first)[1], "AA")
        self.assertEqual(self._msa(again)[1:3], ["AA", "T-DFT-0001"])
        original = self._originals("hl7.v2_message")
        self.assertEqual(len(original), 1)
        self.assertEqual(len(self._derive(original)), 1)
        # and once processed
        again = self._ack(self._post_hl7(data("dft_p03.hl7")))
        self.assertEqual(self._msa(again)[1:3], ["AA", "T-DFT-0001"])
        self.assertEqual(len(self._originals("hl7.v2_message")), 1)
        self.assertEqual(len(self._derive(original)), 1)
        # processed again (a replay after a failure that came later, say): the
        # insert of a second child claims a key taken; the child stays alone
        self.env["interop.hl7.adapter"]._interop_handle_original(
            original, original._get_payload()
        )
        self.assertEqual(len(original.child_ids), 1)

    def test_several_dfts_are_derived_by_their_drain_each_billing_its_visit(self):
        for index in (1, 2, 3):
            text = (
                data("dft_p03.hl7")
                .replace("T-DFT-0001", f"T-DFT-010{index}")
                .replace("V-HL7-1", f"V-HL7-1{index}")
            )
            self.assertEqual(self._msa(self._ack(self._post_hl7(text)))[1], "AA")
        originals = self._originals("hl7.v2_message")
        self.assertEqual(originals.mapped("state"), ["queued"] * 3)
        # one drain takes the three
        self._run_jobs(originals[0])
        self.assertEqual(originals.mapped("state"), ["done"] * 3)
        children = originals.child_ids
        self.assertEqual(len(children), 3)
        for original in originals:
            self.assertRecordValues(
                original.child_ids,
                [
                    {
                        "correlation_id": original.correlation_id,
                        "business_key": original.business_key,
                        "idempotency_key": f"hl7.v2_message:{original.idempotency_key}",
                    }
                ],
            )
        self._run_jobs(children[0])
        self.assertEqual(children.mapped("state"), ["done"] * 3)
        visits = self.env["interop.visit"].search(
            [("name", "in", ["V-HL7-11", "V-HL7-12", "V-HL7-13"])]
        )
        self.assertEqual(len(visits.invoice_id), 3)
        self.assertEqual(sum(visits.invoice_id.mapped("amount_untaxed")), 2550.0)

    def test_original_that_no_longer_converts_fails_without_values_then_replays(self):
        """Acknowledged, then its canonical event type's contract changed before
        its drain: it fails for the owner, naming the rule and no value, and is
        derived once the contract accepts it again and it is replayed."""
        self._ack(self._post_hl7(data("dft_p03.hl7")))
        original = self._originals("hl7.v2_message")
        service = self.env["interop.event.type"]._find("service.completed")
        schema = service.schema
        stricter = json.loads(schema)
        stricter["required"] = [*stricter.get("required", []), "referral"]
        service._interop_apply_write({"schema": json.dumps(stricter)})
        self.assertFalse(self._derive(original))
        self._assert_failed_without_values(
            original,
            ("referral",),
            ("Testperson", "MRN-T1", "alex.testperson", "Test Street"),
        )
        service._interop_apply_write({"schema": schema})
        original._replay()
        child = self._derive(original)
        self.assertEqual(original.state, "done", original.last_error)
        self.assertEqual(original.attempt_count, 2)
        self._run_jobs(child)
        self.assertEqual(child.state, "done", child.last_error)
        self.assertEqual(self._visit("V-HL7-1").invoice_id.amount_untaxed, 850.0)

    def test_attack_another_event_type_pointed_at_the_hl7_handler_derives_nothing(
        self,
    ):
        """An event type whose handler was set to the originals' one (by an
        approved change) would let a key that may send it post a DFT as a JSON
        string, billed without the key's right to send service.completed."""
        smuggled = self.env["interop.event.type"].create(
            {
                "code": "test.smuggled",
                "name": "Smuggled",
                "schema": "{}",
                "data_classification": "phi",
                "handler_model": "interop.hl7.adapter",
                "handler_method": "_interop_handle_original",
            }
        )
        message = self.env["interop.message"]._receive(
            self.scheduling, smuggled, data("dft_p03.hl7")
        )
        self._run_jobs(message)
        self.assertEqual(message.state, "failed")
        self.assertIn("reads hl7.v2_message messages only", message.last_error)
        self.assertFalse(message.child_ids)
        self.assertFalse(
            self.env["interop.message"].search([("business_key", "=", "V-HL7-1")])
        )

    def test_duplicate_control_id_with_other_content_is_rejected(self):
        self._ack(self._post_hl7(data("dft_p03.hl7")))
        text = data("dft_p03.hl7").replace("|V-HL7-1", "|V-HL7-9")
        ack = self._ack(self._post_hl7(text))
        self.assertEqual(self._msa(ack)[1], "AR")
        (err,) = self._errs(ack)
        self.assertEqual(err[2], "MSH^1^10^1^1")
        self.assertTrue(err[3].startswith("205^Duplicate key identifier"))
        self.assertEqual(len(self._originals("hl7.v2_message")), 1)

    def test_accepted_ack_is_the_one_the_hl7_library_builds(self):
        """The ACK is written as text: the one ``hl7.Message.create_ack`` builds,
        field for field, whatever the message's separators, its ERR segments
        those ``hl7`` builds."""
        Adapter = self.env["interop.hl7.adapter"]
        texts = [
            data(name)
            for name in ("dft_p03.hl7", "siu_s12.hl7", "siu_s15.hl7", "adt_a08.hl7")
        ] + ["MSH#*~!&#APP*X#FAC#RCV#RFAC#20261201##DFT*P03*Z~Q#CTL*9#P#2.5.1\rEVN#P03"]
        with freeze_time("2026-12-04 10:11:12"):
            for text in texts:
                parsed = hl7.parse(Adapter._split(text)[0])
                expected = parsed.create_ack(
                    ack_code="AA",
                    message_id="ACKCTL",
                    application="INTEROP",
                    facility="INTEROP",
                )
                item = {"parsed": parsed, "control_id": "CTL"}
                self.assertEqual(Adapter._ack(item, "AA", []), str(expected))
                # with errors: the same header, and ERR segments as hl7 builds them
                error = Hl7Reject(205, "MSH", 10, "Already received | & ~ ^ \\.")
                expected = parsed.create_ack(
                    ack_code="AR",
                    message_id="ACKCTL",
                    application="INTEROP",
                    facility="INTEROP",
                )
                expected.append(Adapter._err_segment(expected, error))
                self.assertEqual(Adapter._ack(item, "AR", [error]), str(expected))

    def _tree(self, container):
        """A parsed message as plain data: each container's class (hl7's), its
        separators and escape, and its children."""
        if isinstance(container, str):
            return container
        kind = next(
            cls
            for cls in type(container).__mro__
            if cls.__module__ == hl7.containers.__name__
        )
        return (
            kind.__name__,
            container.separator,
            container.separators,
            container.esc,
            [self._tree(child) for child in container],
        )

    def test_messages_are_read_as_hl7_parse_reads_them(self):
        """The adapter's reader is hl7's own parser with its plan made once per
        level: every message of the tests and the demo, odd separators, escapes,
        repetitions and sub-components give the tree ``hl7.parse`` gives, and what
        is built on it (values, the ACK) is the same."""
        Adapter = self.env["interop.hl7.adapter"]
        texts = [
            data(name)
            for name in (
                "dft_p03.hl7",
                "siu_s12.hl7",
                "siu_s13.hl7",
                "siu_s14.hl7",
                "siu_s15.hl7",
                "adt_a08.hl7",
            )
        ]
        for name in ("dft_p03.hl7", "adt_a08.hl7", "siu_batch.hl7"):
            with file_open(f"interop_standards/demo/hl7/{name}", "rb") as demo:
                texts += Adapter._split(demo.read().decode())
        texts += [
            "MSH#*~!&#APP*X#FAC#RCV#RFAC#20261201##DFT*P03*Z~Q#CTL*9#P#2.5.1\rEVN#P03",
            (
                "MSH|^~\\&|A|B|C|D|20261201||DFT^P03|E\\F\\1|P|2.5.1\r"
                "PID|1||M1^^^X&Y&Z^MR~M2^^^Q||Doe\\S\\Jr^Jane||||||a\\T\\b\r"
                "NTE|||x~~y^^|\r\rZZ1"
            ),
            "MSH|^~\\&",
        ]
        for text in texts:
            with self.subTest(text=text[:40]):
                ours, theirs = parse(text), hl7.parse(text)
                self.assertEqual(self._tree(ours), self._tree(theirs))
                self.assertEqual(str(ours), str(theirs))
                pids = [
                    [seg for seg in tree if seg and str(seg[0]) == "PID"]
                    for tree in (ours, theirs)
                ]
                for our_pid, their_pid in zip(*pids, strict=True):
                    for field, repeat, component, sub in ((3, 1, 4, 2), (5, 1, 1, 1)):
                        self.assertEqual(
                            our_pid.extract_field(1, field, repeat, component, sub),
                            their_pid.extract_field(1, field, repeat, component, sub),
                        )
                # (an empty segment breaks hl7's ACK: both break alike)
                acks = []
                with freeze_time("2026-12-04 10:11:12"):
                    for tree in (ours, theirs):
                        try:
                            ack = tree.create_ack("AE", "ACKCTL", "INTEROP", "INTEROP")
                        except IndexError as error:
                            acks.append(type(error))
                        else:
                            acks.append(str(ack))
                self.assertEqual(acks[0], acks[1])
        # what it cannot read, it refuses as hl7.parse does
        for text in ("PID|1", "", "MSH"):
            with self.subTest(text=text):
                with self.assertRaises(Exception) as theirs:
                    hl7.parse(text)
                with self.assertRaises(type(theirs.exception)):
                    parse(text)

    def test_body_without_message_is_rejected(self):
        ack = self._ack(self._post_hl7("not hl7 at all"))
        self.assertEqual(self._msa(ack)[1:3], ["AR", ""])
        self.assertFalse(self._originals("hl7.v2_message"))

    # Attacks

    def _json_gateway(self, **kwargs):
        body = json.dumps(self._completed_payload("V-JSON-1")).encode()
        return self._post(
            f"/interop/v1/inbound/{self.scheduling.code}/service.completed",
            body,
            "application/json",
            **kwargs,
        )

    def test_attack_unsigned_hl7_is_refused_as_by_the_json_gateway(self):
        hl7_answer = self._post_hl7(data("dft_p03.hl7"), signed=False)
        json_answer = self._json_gateway(signed=False)
        self.assertEqual(hl7_answer.status_code, 401)
        self.assertEqual(hl7_answer.json(), json_answer.json())
        self.assertEqual(hl7_answer.headers["Content-Type"], "application/problem+json")
        self.assertFalse(self._originals("hl7.v2_message"))

    def test_attack_wrong_key_is_refused_as_by_the_json_gateway(self):
        wrong = "iop_" + "0" * 40
        hl7_answer = self._post_hl7(data("dft_p03.hl7"), key=wrong)
        json_answer = self._json_gateway(key=wrong)
        self.assertEqual(hl7_answer.status_code, 401)
        self.assertEqual(hl7_answer.json(), json_answer.json())
        no_key = self._post_hl7(data("dft_p03.hl7"), key=False)
        self.assertEqual(no_key.status_code, 401)
        self.assertFalse(self._originals("hl7.v2_message"))

    def test_attack_signature_of_another_path_is_refused(self):
        body = data("dft_p03.hl7").encode()
        # signed for the JSON route: not valid for the HL7 one
        headers = sign(body, f"/interop/v1/inbound/{self.scheduling.code}/x", "")
        answer = self._post_hl7(body, signed=False, extra_headers=headers)
        self.assertEqual(answer.status_code, 401)
        self.assertFalse(self._originals("hl7.v2_message"))

    def test_attack_key_scoped_to_other_events_cannot_send_charges(self):
        _record, scoped = self.env["interop.api.key"]._generate(
            self.scheduling,
            "Payments only",
            event_types=self.env["interop.event.type"]._find("payment.status"),
        )
        answer = self._post_hl7(data("dft_p03.hl7"), key=scoped)
        self.assertEqual(answer.status_code, 403, answer.text)
        self.assertFalse(self._originals("hl7.v2_message"))

    @freeze_time("2026-11-25 10:00:10")
    def test_attack_flood_is_throttled_with_the_json_gateway_on_one_limit(self):
        self.scheduling._interop_apply_write({"gateway_rate_limit": 2})
        first = self._post_hl7(data("dft_p03.hl7"))
        self.assertEqual(self._msa(self._ack(first))[1], "AA")
        self.assertEqual(self._json_gateway().status_code, 202)
        flooded = self._post_hl7(data("siu_s12.hl7"))
        self.assertEqual(flooded.status_code, 429)
        self.assertEqual(flooded.headers["Content-Type"], "application/problem+json")
        self.assertEqual(flooded.json()["type"], "urn:interop:problem:rate-limited")
        self.assertEqual(len(self._originals("hl7.v2_message")), 1)

    def test_attack_other_media_type_is_refused(self):
        answer = self._post_hl7(data("dft_p03.hl7"), content_type="application/json")
        self.assertEqual(answer.status_code, 415)

    def test_attack_phi_stays_out_of_ack_log_and_masked_view(self):
        # an error in a message full of PHI: the ACK and the log name the field only
        text = data("dft_p03.hl7").replace("|V-HL7-1", "|")
        answer = self._post_hl7(text)
        for value in ("Testperson", "Alex", "19800131", "alex.testperson", "Test St"):
            self.assertNotIn(value, answer.text)
        original = self._originals("hl7.v2_message")
        for field in ("rejection_reasons", "last_error", "display_name"):
            self.assertNotIn("Testperson", original[field] or "")
        reader = new_test_user(
            self.env, login="hl7_reader", groups="interop.group_interop_user"
        )
        shown = original.with_user(reader).payload_display
        self.assertTrue(original.with_user(reader).is_payload_masked)
        self.assertIn("PID|***|", shown)
        self.assertIn("T-DFT-0001", shown)
        self.assertNotIn("Testperson", shown)
        phi_reader = new_test_user(
            self.env,
            login="hl7_phi_reader",
            groups="interop.group_interop_user,interop.group_interop_phi",
        )
        self.assertIn("Testperson^Alex", original.with_user(phi_reader).payload_display)

    def test_signed_request_uses_the_gateway_secret(self):
        body = data("dft_p03.hl7").encode()
        path = f"/interop/v1/hl7/{self.scheduling.code}"
        forged = sign(body, path, secret=SECRET + "x")
        answer = self._post_hl7(body, signed=False, extra_headers=forged)
        self.assertEqual(answer.status_code, 401)
