# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.tests import freeze_time, tagged

from .common import HL7_TYPE, StandardsCase, data, segments

FHIR_TYPE = "application/fhir+json"


@tagged("post_install", "-at_install")
class TestAttackStandards(StandardsCase):
    """The standards routes attacked by an external caller holding a valid key."""

    def test_attack_hl7_date_beyond_the_calendar_is_an_ae_not_a_500(self):
        """A timestamp whose offset takes it past year 9999 (or an offset of 99
        hours) is the sender's error, answered in its ACK naming the field: never
        a 500 without ACK (the sender would send it again and again), nor an
        ERROR in the server log."""
        for stamp in ("99991231235959-1200", "20261201093000+9959"):
            with self.subTest(stamp=stamp):
                text = data("dft_p03.hl7").replace(
                    "|20261201093000||CG|", f"|{stamp}||CG|"
                )
                answer = self._post_hl7(text)
                self.assertEqual(answer.status_code, 200, answer.text)
                self.assertTrue(answer.headers["Content-Type"].startswith(HL7_TYPE))
                ack = segments(answer.text)
                msa = next(seg for seg in ack if seg[0] == "MSA")
                self.assertEqual(msa[1], "AE")
                (err,) = [seg for seg in ack if seg[0] == "ERR"]
                self.assertEqual(err[2], "FT1^1^4^1^1")
                self.assertNotIn(stamp, answer.text.split("\rERR")[1])
        self.assertFalse(self._visit("V-HL7-1"))

    def test_attack_fhir_date_beyond_the_calendar_is_an_outcome_not_a_500(self):
        bundle = json.loads(data("fhir_bundle.json"))
        bundle["entry"][3]["resource"]["period"]["end"] = "9999-12-31T23:59:59-12:00"
        answer = self._post(
            f"/interop/v1/fhir/{self.scheduling.code}",
            json.dumps(bundle),
            FHIR_TYPE,
        )
        self.assertEqual(answer.status_code, 422, answer.text)
        outcome = answer.json()
        self.assertEqual(outcome["resourceType"], "OperationOutcome")
        self.assertEqual(
            outcome["issue"][0]["expression"], ["Bundle.entry[3].resource.period.end"]
        )
        self.assertNotIn("9999", answer.text)
        self.assertFalse(self._visit("V-FHIR-1"))

    def _ack_of(self, answer):
        self.assertEqual(answer.status_code, 200, answer.text)
        ack = segments(answer.text)
        msa = next(seg for seg in ack if seg[0] == "MSA")
        return msa[1], [seg for seg in ack if seg[0] == "ERR"]

    def test_attack_hl7_quantity_nan_or_infinite_is_an_ae_not_an_aa(self):
        """FT1-10 "NaN" passes the contract (NaN is no more than any minimum) and
        "1e999" is infinite: both were acknowledged AA, then failed as an
        unexpected error for the technical owner. They are the sender's errors."""
        for quantity in ("NaN", "1e999", "-inf"):
            with self.subTest(quantity=quantity):
                text = data("dft_p03.hl7").replace("|||1|||||", f"|||{quantity}|||||")
                verdict, errors = self._ack_of(self._post_hl7(text))
                self.assertEqual(verdict, "AE")
                self.assertEqual([err[2] for err in errors], ["FT1^1^10^1^1"])
        self.assertFalse(self._originals("hl7.v2_message").child_ids)

    def test_attack_hl7_duration_beyond_an_integer_is_an_ae_not_a_500(self):
        text = data("siu_s12.hl7").replace("||30|min|", "||1e999|min|")
        verdict, errors = self._ack_of(self._post_hl7(text))
        self.assertEqual(verdict, "AE")
        self.assertEqual([err[2] for err in errors], ["SCH^1^9^1^1"])

    @freeze_time("2026-11-26 10:00:10")
    def test_attack_hl7_batch_passes_the_rate_limit_as_one_request(self):
        """The endpoint accepts so many messages a minute: a batch of them in one
        request counts each, as the JSON gateway counts each message."""
        self.scheduling._interop_apply_write({"gateway_rate_limit": 3})
        batch = "".join(
            data("siu_s12.hl7").replace("T-SIU-0012", f"T-SIU-B{index}")
            for index in range(4)
        )
        answer = self._post_hl7("BHS|^~\\&|TESTPM|TESTFAC\r" + batch + "BTS|4\r")
        self.assertEqual(answer.status_code, 429, answer.text)
        self.assertEqual(answer.json()["type"], "urn:interop:problem:rate-limited")
        self.assertFalse(self._originals("hl7.v2_message"))
