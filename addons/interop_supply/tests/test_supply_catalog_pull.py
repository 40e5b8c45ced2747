# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from odoo.addons.interop_outbound.tests.common import Answer, OutboundCase

CATALOG_PATH = "/api/catalog/services"
CATALOG = (
    {"code": "MRI-BRAIN", "name": "MRI Brain", "price": 420.0, "currency": "USD"},
    {"code": "CT-CHEST", "name": "CT Chest", "price": 310.0},
    {"code": "LAB-CBC", "name": "Complete Blood Count", "price": 18.5},
    {"code": "LAB-LIPID", "name": "Lipid Panel", "price": 24.0},
    {"code": "US-ABD", "name": "Abdominal Ultrasound", "price": 150.0},
)
#: the product fields a catalog item gives
CATALOG_FIELDS = ("default_code", "name", "list_price", "type", "active")


def catalog_page(items=CATALOG, size=2):
    """The remote's cursor pagination: cursor 'cN' starts at item N."""

    def answer(request):
        start = int(request.query.get("cursor", "c0")[1:])
        page = items[start : start + size]
        end = start + len(page)
        return Answer(
            200,
            {
                "items": page,
                "next_cursor": f"c{end}",
                "has_more": end < len(items),
                "total": len(items) - start,
            },
        )

    return answer


class SyncCase(OutboundCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.currency_id = cls.env.ref("base.USD")
        cls.catalog = cls.env["interop.sync"].create(
            {
                "name": "Test catalog",
                "endpoint_id": cls.endpoint.id,
                "direction": "pull",
                "resource_path": "/catalog/services",
                "pull_handler": "product_catalog",
                "chunk_size": 2,
            }
        )
        # who owns what of a product, as the demo says it: the catalog its codes,
        # names, list prices, types and whether offered; Odoo the rest
        SystemOfRecord = cls.env["interop.system.of.record"]
        SystemOfRecord.search([]).unlink()
        product_model = cls.env.ref("product.model_product_product")
        cls.odoo_owns_products = SystemOfRecord.create(
            {"entity": "product", "model_id": product_model.id, "source": "odoo"}
        )
        cls.catalog_owns = SystemOfRecord.create(
            {
                "entity": "product",
                "model_id": product_model.id,
                "source": "endpoint",
                "endpoint_id": cls.endpoint.id,
                "field_ids": [
                    (
                        6,
                        0,
                        cls.env["ir.model.fields"]
                        .search(
                            [
                                ("model", "=", "product.product"),
                                ("name", "in", CATALOG_FIELDS),
                            ]
                        )
                        .ids,
                    )
                ],
            }
        )

    def _products(self):
        return (
            self.env["product.product"]
            .with_context(active_test=False)
            .search([("default_code", "in", [i["code"] for i in CATALOG])])
        )


@tagged("post_install", "-at_install")
class TestCatalogPull(SyncCase):
    def test_the_catalog_is_pulled_page_by_page_into_products(self):
        self.remote.answer(CATALOG_PATH, catalog_page())
        run = self.catalog._run()
        self.assertRecordValues(
            run,
            [
                {
                    "state": "done",
                    "read_count": 5,
                    "created_count": 5,
                    "updated_count": 0,
                    "failed_count": 0,
                    "total_count": 5,
                    "progress": 100.0,
                    "watermark_start": False,
                    "watermark_end": "c5",
                }
            ],
        )
        products = self._products()
        self.assertEqual(len(products), 5)
        mri = products.filtered(lambda p: p.default_code == "MRI-BRAIN")
        self.assertRecordValues(mri, [{"list_price": 420.0, "type": "service"}])
        self.assertEqual(
            [r.query.get("cursor") for r in self.remote.received],
            [None, "c2", "c4"],
        )
        # every page is a call in the log, its answer encrypted on the attempt
        self.assertEqual(len(run.message_ids), 3)
        self.assertEqual(set(run.message_ids.mapped("http_method")), {"GET"})
        self.assertEqual(set(run.message_ids.mapped("state")), {"done"})
        self.assertEqual(set(run.message_ids.attempt_ids.mapped("http_status")), {200})

    def test_the_next_run_starts_from_the_watermark(self):
        items = list(CATALOG)
        self.remote.answer(CATALOG_PATH, catalog_page(items))
        self.catalog._run()
        items.append({"code": "XR-HAND", "name": "Hand X-Ray", "price": 60})
        items[0] = dict(items[0], price=430.0)  # already read: not read again
        run = self.catalog._run()
        self.assertRecordValues(
            run, [{"read_count": 1, "created_count": 1, "watermark_start": "c5"}]
        )
        self.assertEqual(self.remote.received[-1].query["cursor"], "c5")

    def test_a_changed_item_updates_its_product(self):
        self.remote.answer(CATALOG_PATH, catalog_page())
        self.catalog._run()
        self.catalog.watermark = False  # start again from the beginning
        changed = [dict(CATALOG[0], price=430.0), *CATALOG[1:]]
        self.remote.reset()
        self.remote.answer(CATALOG_PATH, catalog_page(changed))
        run = self.catalog._run()
        self.assertRecordValues(run, [{"created_count": 0, "updated_count": 1}])
        mri = self._products().filtered(lambda p: p.default_code == "MRI-BRAIN")
        self.assertEqual(mri.list_price, 430.0)

    def test_a_bad_item_goes_to_the_exception_queue_and_the_run_goes_on(self):
        items = [*CATALOG[:2], {"code": "BAD-1", "name": "No price"}, *CATALOG[2:]]
        self.remote.answer(CATALOG_PATH, catalog_page(items))
        run = self.catalog._run()
        self.assertRecordValues(
            run, [{"state": "done", "created_count": 5, "failed_count": 1}]
        )
        self.assertIn("BAD-1", run.errors)
        exception = self.env["interop.exception"].search(
            [("endpoint_id", "=", self.endpoint.id), ("name", "ilike", "BAD-1")]
        )
        self.assertRecordValues(
            exception, [{"category_code": "business_rule", "user_id": self.user.id}]
        )
        # the same bad item at the next run is the same root cause: counted on the
        # open exception, no second exception nor activity
        self.catalog.watermark = False
        self.catalog._run()
        again = self.env["interop.exception"].search(
            [("endpoint_id", "=", self.endpoint.id), ("name", "ilike", "BAD-1")]
        )
        self.assertEqual(again, exception)
        self.assertEqual(exception.occurrence_count, 2)
        self.assertEqual(len(exception.activity_ids), 1)

    def test_attack_item_error_quoting_a_value_reaches_no_exception_nor_log(self):
        """An item fails on an error whose text quotes a value it choked on (as
        database and parser errors do): no exception field, no run error and no log
        line carries the value; the detail says the error's type and where."""
        secret = "078-05-1120"
        self.remote.answer(CATALOG_PATH, catalog_page())
        Sync = type(self.catalog)
        handler = Sync._pull_item_product_catalog

        def choke_on_lab(sync, item):
            if item["code"] == "LAB-CBC":
                raise ValueError(f'invalid input syntax for type numeric: "{secret}"')
            return handler(sync, item)

        records = []

        class Keep(logging.Handler):
            def emit(self, record):
                records.append(record.getMessage())

        keep = Keep(level=logging.DEBUG)
        root = logging.getLogger()
        root.addHandler(keep)
        try:
            with patch.object(Sync, "_pull_item_product_catalog", choke_on_lab):
                run = self.catalog._run()
        finally:
            root.removeHandler(keep)
        self.assertRecordValues(run, [{"state": "done", "failed_count": 1}])
        exception = self.env["interop.exception"].search(
            [("endpoint_id", "=", self.endpoint.id), ("name", "ilike", "LAB-CBC")]
        )
        self.assertEqual(len(exception), 1)
        texts = exception.read(
            [
                "name",
                "description",
                "technical_detail",
                "suggested_action",
                "business_context",
            ]
        )[0]
        for field_name, value in texts.items():
            self.assertNotIn(secret, str(value), field_name)
        self.assertNotIn(secret, run.errors or "")
        self.assertIn("builtins.ValueError raised at", exception.technical_detail)
        self.assertEqual([line for line in records if secret in line], [])

    def test_a_crash_mid_run_resumes_after_the_last_committed_chunk(self):
        self.remote.answer(CATALOG_PATH, catalog_page())
        # the sync's class in the registry, whichever module defines the handler
        Sync = type(self.catalog)
        handler = Sync._pull_item_product_catalog

        def crash_on_lab(sync, item):
            if item["code"] == "LAB-CBC":
                raise RuntimeError("worker killed")
            return handler(sync, item)

        # not assertRaises: its savepoint would undo the chunk the sync committed
        crashed = False
        with patch.object(Sync, "_pull_item_product_catalog", crash_on_lab):
            try:
                self.catalog._run()
            except RuntimeError:
                crashed = True
        self.assertTrue(crashed)
        # the first chunk and its watermark are kept, the chunk in progress is not
        self.assertEqual(self.catalog.watermark, "c2")
        self.assertEqual(
            sorted(self._products().mapped("default_code")), ["CT-CHEST", "MRI-BRAIN"]
        )
        stopped = self.catalog.run_ids
        self.assertEqual(stopped.state, "running")
        run = self.catalog._run()
        self.assertEqual(stopped.state, "interrupted")
        self.assertRecordValues(
            run, [{"state": "done", "watermark_start": "c2", "created_count": 3}]
        )
        for code in [item["code"] for item in CATALOG]:
            self.assertEqual(
                self.env["product.product"].search_count([("default_code", "=", code)]),
                1,
                code,
            )

    def test_a_failing_remote_fails_the_run_for_the_technical_owner(self):
        self.remote.answer(CATALOG_PATH, Answer(500))
        self.catalog.watermark = "c2"
        run = self.catalog._run()
        self.assertEqual(run.state, "failed")
        self.assertEqual(self.catalog.watermark, "c2")
        self.assertEqual(run.message_ids.state, "failed")
        exception = self.env["interop.exception"].search(
            [("res_model", "=", "interop.sync"), ("res_id", "=", self.catalog.id)]
        )
        self.assertRecordValues(
            exception, [{"user_id": self.manager.id, "occurrence_count": 1}]
        )
        self.catalog._run()
        self.assertEqual(exception.occurrence_count, 2)

    def test_a_pull_waits_while_the_circuit_is_open(self):
        self.endpoint.write(
            {"breaker_state": "open", "breaker_date_opened": fields.Datetime.now()}
        )
        run = self.catalog._run()
        self.assertEqual(run.state, "failed")
        self.assertIn("circuit is open", run.errors)
        self.assertFalse(self.remote.received)

    def test_a_malformed_page_fails_the_run(self):
        self.remote.answer(CATALOG_PATH, Answer(200, "<html>maintenance</html>"))
        run = self.catalog._run()
        self.assertEqual(run.state, "failed")
        self.assertIn("not the expected JSON", run.errors)

    def test_a_test_database_never_pulls_from_production(self):
        self.env["ir.config_parameter"].set_param(
            "interop.database_environment", "staging"
        )
        # test setup, past change control
        self.endpoint._interop_apply_write(
            {
                "environment": "production",
                "base_url": self.remote.url.replace("http:", "https:") + "/api",
            }
        )
        run = self.catalog._run()
        self.assertEqual(run.state, "failed")
        self.assertIn("This database is staging", run.errors)
        self.assertFalse(self.remote.received)


@tagged("post_install", "-at_install")
class TestCatalogOwnership(SyncCase):
    """The catalog writes the product fields the systems of record give its
    endpoint, and nothing else."""

    def _exception(self):
        return self.env["interop.exception"].search(
            [
                ("endpoint_id", "=", self.endpoint.id),
                ("category_code", "=", "system_of_record"),
            ]
        )

    def _pull_again_once_odoo_owns_the_names(self, changed):
        """The catalog pulled, then Odoo takes the names back (the catalog keeps
        the prices), then the whole catalog pulled again as ``changed``."""
        self.remote.answer(CATALOG_PATH, catalog_page())
        self.catalog._run()
        name = self.env["ir.model.fields"]._get("product.product", "name")
        # an approved change of who owns what, applied
        self.catalog_owns._interop_apply_write({"field_ids": [(3, name.id)]})
        self.catalog.watermark = False
        self.remote.reset()
        self.remote.answer(CATALOG_PATH, catalog_page(changed))
        return self.catalog._run()

    def test_a_field_odoo_owns_is_never_overwritten_by_the_catalog(self):
        run = self._pull_again_once_odoo_owns_the_names(
            [
                dict(CATALOG[0], name="MRI Brain 3T", price=430.0),
                dict(CATALOG[1], price=320.0),
                *CATALOG[2:],
            ]
        )
        self.assertRecordValues(
            run, [{"state": "done", "updated_count": 1, "failed_count": 1}]
        )
        products = self._products()
        mri = products.filtered(lambda p: p.default_code == "MRI-BRAIN")
        ct = products.filtered(lambda p: p.default_code == "CT-CHEST")
        self.assertRecordValues(mri, [{"name": "MRI Brain", "list_price": 420.0}])
        self.assertEqual(ct.list_price, 320.0)
        self.assertIn("MRI-BRAIN", run.errors)
        exception = self._exception()
        self.assertEqual(len(exception), 1)
        self.assertIn("Odoo", exception.name)
        self.assertIn("may not change name.", exception.name)
        self.assertEqual(
            [(link.res_model, link.res_id) for link in exception.link_ids],
            [("product.product", mri.id)],
        )

    def test_a_catalog_item_repeating_an_odoo_owned_value_is_no_conflict(self):
        # the names as Odoo has them, a new price: only what changes is checked
        run = self._pull_again_once_odoo_owns_the_names(
            [dict(CATALOG[0], price=430.0), *CATALOG[1:]]
        )
        self.assertRecordValues(run, [{"updated_count": 1, "failed_count": 0}])
        self.assertFalse(self._exception())

    def test_attack_a_catalog_whose_fields_another_system_owns_creates_nothing(self):
        other = self.endpoint.copy({"name": "Other catalog", "code": "other-catalog"})
        self.catalog_owns._interop_apply_write({"endpoint_id": other.id})
        self.remote.answer(CATALOG_PATH, catalog_page())
        run = self.catalog._run()
        self.assertRecordValues(
            run, [{"state": "done", "created_count": 0, "failed_count": 5}]
        )
        self.assertFalse(self._products())
        # one root cause: one exception counting the items, one activity
        exception = self._exception()
        self.assertRecordValues(exception, [{"occurrence_count": 5, "state": "open"}])
        self.assertIn("Other catalog", exception.name)
        self.assertEqual(len(exception.activity_ids), 1)
        # and the next run counts on it
        self.catalog.watermark = False
        self.catalog._run()
        self.assertEqual(self._exception(), exception)
        self.assertEqual(exception.occurrence_count, 10)
        self.assertEqual(len(exception.activity_ids), 1)


@tagged("post_install", "-at_install")
class TestSyncDefinition(SyncCase):
    def test_each_sync_has_its_own_scheduled_action(self):
        cron = self.catalog.cron_id
        self.assertRecordValues(
            cron.sudo(),
            [
                {
                    "active": False,
                    "interval_number": 1,
                    "interval_type": "days",
                    "user_id": self.env.ref("interop.user_interop_system").id,
                    "code": f"model._cron_run_sync({self.catalog.id})",
                }
            ],
        )
        self.catalog.with_user(self.manager).write(
            {"is_scheduled": True, "interval_number": 4, "interval_type": "hours"}
        )
        self.assertRecordValues(
            cron.sudo(),
            [{"active": True, "interval_number": 4, "interval_type": "hours"}],
        )
        self.catalog.with_user(self.manager).unlink()
        self.assertFalse(cron.exists())

    def test_run_now_runs_the_sync_and_records_it(self):
        self.remote.answer(CATALOG_PATH, catalog_page())
        self.catalog.with_user(self.manager).action_run_now()
        self.assertEqual(self.catalog.last_run_state, "done")
        self.assertEqual(self.catalog.last_run_id.created_count, 5)

    def test_users_read_syncs_and_runs_managers_change_them(self):
        self.remote.answer(CATALOG_PATH, catalog_page())
        run = self.catalog._run()
        for user in (self.user, self.auditor):
            with self.subTest(user=user.login):
                self.assertEqual(self.catalog.with_user(user).name, "Test catalog")
                self.assertEqual(run.with_user(user).read_count, 5)
                with self.assertRaises(AccessError):
                    self.catalog.with_user(user).write({"chunk_size": 5})
                with self.assertRaises(AccessError):
                    self.catalog.with_user(user).action_run_now()
        with self.assertRaises(AccessError):
            run.with_user(self.manager).write({"read_count": 0})

    def test_a_push_needs_a_model_and_a_valid_domain(self):
        with self.assertRaises(ValidationError):
            self.env["interop.sync"].create(
                {
                    "name": "No model",
                    "endpoint_id": self.endpoint.id,
                    "direction": "push",
                    "resource_path": "/x",
                }
            )
        with self.assertRaises(ValidationError):
            self.env["interop.sync"].create(
                {
                    "name": "Bad domain",
                    "endpoint_id": self.endpoint.id,
                    "direction": "push",
                    "resource_path": "/x",
                    "model_id": self.env.ref("base.model_res_partner").id,
                    "domain": "not a domain",
                }
            )
