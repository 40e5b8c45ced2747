# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import HttpCase, tagged

from .common import MonitorCase

METRICS_URL = "/interop/v1/metrics"


@tagged("post_install", "-at_install")
class TestMetricsRoute(MonitorCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_other_company()
        cls.endpoint._activate()
        cls.metrics_key_record, cls.metrics_key = cls.env[
            "interop.metrics.key"
        ]._generate("Test Prometheus", cls.company)
        cls.west_key_record, cls.west_key = cls.env["interop.metrics.key"]._generate(
            "West Prometheus", cls.other_company
        )

    def _scrape(self, key=None, params=""):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return self.url_open(METRICS_URL + params, headers=headers)

    def _traffic_now(self):
        # the watermark stands where the demo data left it: count from before.
        # All six messages in one minute (its start), whatever the clock's second:
        # a minute is recounted when one of its messages finishes.
        now = (fields.Datetime.now() - timedelta(minutes=3)).replace(
            second=0, microsecond=0
        )
        self.cursor._move(now - timedelta(minutes=1), 0)
        for i in range(4):
            self._message(now + timedelta(seconds=i), 2)
        self._message(now + timedelta(seconds=10), 1, state="failed")
        self._message(now + timedelta(seconds=20), None, state="queued")
        self.Rollup._rollup_batch(lag_seconds=0)

    def _samples(self, response):
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(
            response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        )
        samples = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                samples.setdefault(sample.name, []).append(sample)
        return samples

    def _value(self, samples, name, **labels):
        found = [
            s.value
            for s in samples.get(name, [])
            if all(s.labels.get(k) == v for k, v in labels.items())
        ]
        self.assertEqual(len(found), 1, f"{name}{labels}: {found}")
        return found[0]

    def assertProblem(self, response, status):
        self.assertEqual(response.status_code, status)
        self.assertEqual(response.headers["Content-Type"], "application/problem+json")
        problem = response.json()
        self.assertEqual(problem["status"], status)
        self.assertTrue(problem["type"].startswith("urn:interop:problem:"))
        return problem

    def test_scrape_parses_as_prometheus_text(self):
        self._traffic_now()
        samples = self._samples(self._scrape(self.metrics_key))
        series = {
            "endpoint": "test-scheduling",
            "event_type": self.event_type.code,
            "direction": "inbound",
        }
        self.assertEqual(self._value(samples, "interop_messages_15m", **series), 6)
        self.assertEqual(
            self._value(samples, "interop_message_errors_15m", **series), 1
        )
        self.assertEqual(
            self._value(samples, "interop_message_latency_p95_seconds", **series), 2
        )
        self.assertEqual(
            self._value(
                samples,
                "interop_queue_messages",
                endpoint="test-scheduling",
                state="queued",
            ),
            1,
        )
        self.assertEqual(
            self._value(samples, "interop_endpoint_active", endpoint="test-scheduling"),
            1,
        )
        self.assertIn("interop_business_figure", samples)

    def test_attack_scrape_without_key(self):
        problem = self.assertProblem(self._scrape(), 401)
        self.assertEqual(problem["title"], "Unauthorized")

    def test_attack_scrape_with_wrong_key(self):
        wrong = self.metrics_key[:-4] + "0000"
        self.assertProblem(self._scrape(wrong), 401)
        self.assertProblem(self._scrape("iom_short"), 401)
        response = self.url_open(
            METRICS_URL, headers={"Authorization": f"Basic {self.metrics_key}"}
        )
        self.assertProblem(response, 401)

    def test_attack_scrape_with_revoked_key(self):
        self.assertEqual(self._scrape(self.metrics_key).status_code, 200)
        self.metrics_key_record.action_revoke()
        self.assertProblem(self._scrape(self.metrics_key), 401)

    def test_attack_scrape_with_a_gateway_key(self):
        _record, gateway_key = self.env["interop.api.key"]._generate(
            self.endpoint, "Partner"
        )
        self.assertProblem(self._scrape(gateway_key), 401)
        # the same secret behind the metrics marker is no key either
        self.assertProblem(self._scrape("iom_" + gateway_key[4:]), 401)

    def test_attack_metrics_key_reads_another_company(self):
        self._traffic_now()
        west = self._samples(self._scrape(self.west_key))
        self.assertNotIn(
            "test-scheduling",
            self._scrape(self.west_key).text,
            "the other company's endpoints are not named",
        )
        self.assertEqual(west.get("interop_messages_15m", []), [])
        self.assertProblem(
            self._scrape(self.west_key, f"?company_id={self.company.id}"), 403
        )
        own = self._scrape(self.west_key, f"?company_id={self.other_company.id}")
        self.assertEqual(own.status_code, 200)

    def test_attack_user_makes_a_metrics_key(self):
        with self.assertRaises(AccessError):
            self.env["interop.metrics.key"].with_user(self.user)._generate("Mine")
        with self.assertRaises(AccessError):
            self.env["interop.metrics.key"].with_user(self.auditor)._generate("Mine")

    def test_attack_manager_makes_a_key_for_another_company(self):
        with self.assertRaises(UserError):
            self.env["interop.metrics.key"].with_user(self.manager)._generate(
                "West", self.other_company
            )

    def test_attack_manager_rekeys_a_metrics_key(self):
        for vals in (
            {"key_hash": "pbkdf2_sha256$1$salt$00"},
            {"company_id": self.other_company.id},
            {"state": "active", "prefix": "deadbeef"},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                self.metrics_key_record.with_user(self.manager).with_context(
                    interop_key_revoking=True
                ).write(vals)

    def test_neutralized_copy_refuses_the_production_scraper(self):
        self.assertEqual(self._scrape(self.metrics_key).status_code, 200)
        for query in get_neutralization_queries(["interop_monitor"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        self.assertEqual(self.metrics_key_record.state, "revoked")
        self.assertProblem(self._scrape(self.metrics_key), 401)
