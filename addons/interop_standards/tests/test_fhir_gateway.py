# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.tests import new_test_user, tagged

from .common import StandardsCase, data

FHIR_TYPE = "application/fhir+json"


@tagged("post_install", "-at_install")
class TestFhirGateway(StandardsCase):
    """FHIR R4B transaction Bundles over HTTP: service.completed when valid, an
    OperationOutcome naming the element at fault otherwise."""

    def _bundle(self):
        return json.loads(data("fhir_bundle.json"))

    def _post_fhir(self, bundle, **kwargs):
        kwargs.setdefault("content_type", FHIR_TYPE)
        body = bundle if isinstance(bundle, str) else json.dumps(bundle)
        return self._post(f"/interop/v1/fhir/{self.scheduling.code}", body, **kwargs)

    def _issues(self, response, status):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.headers["Content-Type"], FHIR_TYPE)
        outcome = response.json()
        self.assertEqual(outcome["resourceType"], "OperationOutcome")
        return outcome["issue"]

    def test_transaction_bundle_bills_the_visit_as_service_completed(self):
        response = self._post_fhir(self._bundle())
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.headers["Content-Type"], FHIR_TYPE)
        answer = response.json()
        self.assertEqual(answer["resourceType"], "Bundle")
        self.assertEqual(answer["type"], "transaction-response")
        self.assertEqual(len(answer["entry"]), 6)
        self.assertEqual(answer["entry"][0]["response"]["status"], "202 Accepted")
        original = self._originals("fhir.bundle")
        self.assertEqual(
            response.headers["Location"], f"/interop/v1/messages/{original.id}"
        )
        self.assertEqual(
            answer["entry"][0]["response"]["location"], response.headers["Location"]
        )
        # answered once stored: its processing stores its canonical event
        self.assertRecordValues(
            original,
            [
                {
                    "state": "queued",
                    "content_type": FHIR_TYPE,
                    "idempotency_key": "T-FHIR-0001",
                    "business_key": "V-FHIR-1",
                }
            ],
        )
        self.assertFalse(original.child_ids)
        child = self._derive(original)
        self.assertEqual(original.state, "done", original.last_error)
        # the resources reached the handler: no attempt says they were withheld
        self.assertFalse(original.attempt_ids.note)
        self.assertEqual(child.event_type_id.code, "service.completed")
        self.assertRecordValues(
            child,
            [
                {
                    "state": "queued",
                    "parent_id": original.id,
                    "correlation_id": original.correlation_id,
                    "business_key": "V-FHIR-1",
                    "idempotency_key": "fhir.bundle:T-FHIR-0001",
                }
            ],
        )
        self._run_jobs(child)
        self.assertEqual(child.state, "done", child.last_error)
        visit = self._visit("V-FHIR-1")
        self.assertEqual(visit.invoice_id.amount_untaxed, 885.0)
        self.assertRecordValues(
            visit.partner_id,
            [{"ref": "RP-FHIR-1", "name": "Casey Testperson", "city": "Testville"}],
        )
        self.assertEqual(visit.plan_ref, "PLAN-F1")

    def test_bundle_whose_resources_are_withheld_fails_then_replays(self):
        """An administrator took the resources out of what the bundle's handler
        gets (PHI Copied to Records): its processing fails for the owner, naming
        the path and no value, and the bundle is derived once they are back and
        it is replayed."""
        response = self._post_fhir(self._bundle())
        self.assertEqual(response.status_code, 200, response.text)
        original = self._originals("fhir.bundle")
        bundle_type = original.event_type_id
        copy_paths = bundle_type.phi_copy_paths
        bundle_type._interop_apply_write({"phi_copy_paths": False})
        self.assertFalse(self._derive(original))
        self._assert_failed_without_values(
            original,
            (
                "The FHIR bundle no longer converts",
                "Bundle.entry[0].resource.resourceType",
            ),
            ("Testperson", "Casey", "Testville", "MRN"),
        )
        bundle_type._interop_apply_write({"phi_copy_paths": copy_paths})
        original._replay()
        child = self._derive(original)
        self.assertEqual(original.state, "done", original.last_error)
        self._run_jobs(child)
        self.assertEqual(child.state, "done", child.last_error)
        self.assertEqual(self._visit("V-FHIR-1").invoice_id.amount_untaxed, 885.0)

    def test_same_bundle_twice_is_billed_once(self):
        first = self._post_fhir(self._bundle())
        again = self._post_fhir(self._bundle())
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(first.headers["Location"], again.headers["Location"])
        self.assertEqual(len(self._originals("fhir.bundle")), 1)

    def test_same_identifier_with_other_content_is_a_conflict(self):
        self._post_fhir(self._bundle())
        bundle = self._bundle()
        bundle["entry"][3]["resource"]["identifier"][0]["value"] = "V-FHIR-9"
        issues = self._issues(self._post_fhir(bundle), 409)
        self.assertEqual(issues[0]["code"], "conflict")
        self.assertEqual(issues[0]["expression"], ["Bundle.identifier"])

    def test_invalid_resource_is_answered_with_its_path(self):
        bundle = self._bundle()
        bundle["entry"][4]["resource"]["quantity"]["value"] = "two"
        bundle["entry"][0]["resource"]["birthDate"] = "1985-13-45"
        issues = self._issues(self._post_fhir(bundle), 400)
        self.assertEqual(
            sorted(issue["expression"][0] for issue in issues),
            [
                "Bundle.entry[0].resource.birthDate",
                "Bundle.entry[4].resource.quantity.value",
            ],
        )
        original = self._originals("fhir.bundle")
        self.assertEqual(original.state, "rejected")
        self.assertIn(
            "Bundle.entry[4].resource.quantity.value", original.rejection_reasons
        )
        self.assertFalse(self._visit("V-FHIR-1"))

    def test_unknown_resource_type_is_answered_with_its_path(self):
        bundle = self._bundle()
        bundle["entry"][1]["resource"]["resourceType"] = "Guarantor"
        issues = self._issues(self._post_fhir(bundle), 400)
        self.assertEqual(
            issues[0]["expression"], ["Bundle.entry[1].resource.resourceType"]
        )

    def test_missing_visit_location_is_unprocessable(self):
        bundle = self._bundle()
        del bundle["entry"][3]["resource"]["location"]
        issues = self._issues(self._post_fhir(bundle), 422)
        self.assertEqual(
            issues[0]["expression"],
            ["Bundle.entry[3].resource.location[0].location.identifier.value"],
        )

    def test_coverage_without_payer_identifier_is_unprocessable(self):
        bundle = self._bundle()
        bundle["entry"][2]["resource"]["payor"] = [{"display": "Some Payer"}]
        issues = self._issues(self._post_fhir(bundle), 422)
        self.assertEqual(
            issues[0]["expression"],
            ["Bundle.entry[2].resource.payor[0].identifier.value"],
        )
        self.assertFalse(self._visit("V-FHIR-1"))

    def test_bundle_without_coverage_is_unprocessable(self):
        bundle = self._bundle()
        del bundle["entry"][2]
        issues = self._issues(self._post_fhir(bundle), 422)
        self.assertTrue(
            any("Coverage" in issue["diagnostics"] for issue in issues), issues
        )

    def test_batch_bundle_is_not_a_transaction(self):
        bundle = self._bundle()
        bundle["type"] = "batch"
        issues = self._issues(self._post_fhir(bundle), 422)
        self.assertEqual(issues[0]["expression"], ["Bundle.type"])

    def test_malformed_json_is_an_operation_outcome(self):
        issues = self._issues(self._post_fhir('{"resourceType": "Bundle",'), 400)
        self.assertEqual(issues[0]["code"], "structure")
        self.assertFalse(self._originals("fhir.bundle"))

    def test_attack_unsigned_bundle_is_refused_as_by_the_json_gateway(self):
        answer = self._post_fhir(self._bundle(), signed=False)
        json_answer = self._post(
            f"/interop/v1/inbound/{self.scheduling.code}/service.completed",
            json.dumps(self._completed_payload("V-JSON-2")),
            "application/json",
            signed=False,
        )
        self.assertEqual(answer.status_code, 401)
        self.assertEqual(answer.json(), json_answer.json())
        wrong = self._post_fhir(self._bundle(), key="iop_" + "1" * 40)
        self.assertEqual(wrong.status_code, 401)
        self.assertFalse(self._originals("fhir.bundle"))

    def test_attack_phi_stays_out_of_outcome_and_masked_view(self):
        bundle = self._bundle()
        # a value where a date belongs, and an element a sender invented
        bundle["entry"][1]["resource"]["birthDate"] = "Casey Testperson"
        bundle["entry"][1]["resource"]["Casey-Secret-Name"] = "x"
        answer = self._post_fhir(bundle)
        self.assertEqual(answer.status_code, 400)
        self.assertNotIn("Casey", answer.text)
        self.assertIn("Bundle.entry[1].resource.*", answer.text)
        original = self._originals("fhir.bundle")
        self.assertNotIn("Casey", original.rejection_reasons)
        reader = new_test_user(
            self.env, login="fhir_reader", groups="interop.group_interop_user"
        )
        shown = original.with_user(reader).payload_display
        self.assertNotIn("Casey", shown)
        self.assertNotIn("Testperson", shown)
        self.assertIn("transaction", shown)
