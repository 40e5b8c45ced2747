# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo import Command
from odoo.tests import HttpCase, new_test_user

from odoo.addons.interop.tests.common import InteropCase
from odoo.addons.interop_gateway.tests.common import SECRET, TIMEOUT, inbound_path, sign
from odoo.addons.interop_outbound.tests.common import RemoteServer
from odoo.addons.queue_job.job import Job


class SupplyCase(InteropCase, HttpCase):
    """A shop, a 3PL (a real server on 127.0.0.1), a care location and a bank, all
    active; a warehouse with gloves and lot-tracked kits; the mapping tables of the
    shop and the location; the owners of each flow. Events go through the gateway,
    signed, as in production."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=False))
        if not cls.company.chart_template:
            cls.env["account.chart.template"].try_loading(
                "generic_coa", cls.company, install_demo=False
            )
        # the tests say which system owns what, whatever the demo data configured
        cls.env["interop.system.of.record"].search([]).unlink()
        cls.remote = RemoteServer().start()
        cls.addClassCleanup(cls.remote.stop)
        cls.supply_owner = new_test_user(
            cls.env, login="supply_owner", groups="interop.group_interop_user"
        )
        cls.service_owner = new_test_user(
            cls.env, login="customer_service", groups="interop.group_interop_user"
        )
        cls.finance_owner = new_test_user(
            cls.env, login="supply_finance", groups="interop.group_interop_user"
        )
        Endpoint = cls.env["interop.endpoint"]
        cls.shop = Endpoint.create(
            cls._endpoint_vals(
                code="test-shop",
                name="Test Shop",
                system_kind="ecommerce",
                direction="inbound",
                environment="test",
                data_classification="confidential",
            )
        )
        cls.logistics = Endpoint.create(
            cls._endpoint_vals(
                code="test-3pl",
                name="Test 3PL",
                system_kind="logistics",
                direction="both",
                base_url=cls.remote.url + "/3pl",
                environment="test",
                data_classification="internal",
            )
        )
        cls.locations = Endpoint.create(
            cls._endpoint_vals(
                code="test-care-locations",
                name="Test Care Locations",
                system_kind="warehouse",
                direction="inbound",
                environment="test",
                data_classification="internal",
            )
        )
        cls.bank = Endpoint.create(
            cls._endpoint_vals(
                code="test-bank",
                name="Test Bank",
                system_kind="banking",
                direction="both",
                base_url=cls.remote.url + "/bank",
                environment="test",
                data_classification="confidential",
                business_owner_id=cls.finance_owner.id,
            )
        )
        (cls.shop | cls.logistics | cls.locations | cls.bank)._activate()
        Endpoint._grant_supply_service_rights(
            (cls.shop | cls.logistics | cls.locations).ids
        )
        cls.keys = {}
        for endpoint in cls.shop | cls.logistics | cls.locations:
            _key_record, cls.keys[endpoint.code] = cls.env["interop.api.key"]._generate(
                endpoint, "Supply test key"
            )
            endpoint._set_gateway_secret(SECRET)
            endpoint._interop_apply_write({"gateway_require_signature": True})
        EventType = cls.env["interop.event.type"]
        for code, owner in (
            ("order.received", cls.supply_owner),
            ("dispatch.status", cls.service_owner),
            ("stock.count", cls.supply_owner),
        ):
            EventType._find(code)._interop_apply_write(
                {"business_owner_id": owner.id, "team_id": False}
            )
        # catalog, stock and prices
        cls.warehouse = cls.env["stock.warehouse"].create(
            {
                "name": "Test Supply WH",
                "code": "TSW",
                "interop_logistics_endpoint_id": cls.logistics.id,
            }
        )
        cls.gloves = cls._product("Test Gloves", "T-GLV")
        cls.kit = cls._product("Test Wound Kit", "T-KIT", tracking="lot")
        cls.lot = cls.env["stock.lot"].create(
            {"name": "T-LOT-1", "product_id": cls.kit.id, "company_id": cls.company.id}
        )
        Quant = cls.env["stock.quant"]
        Quant._update_available_quantity(cls.gloves, cls.warehouse.lot_stock_id, 10)
        Quant._update_available_quantity(
            cls.kit, cls.warehouse.lot_stock_id, 5, lot_id=cls.lot
        )
        cls.currency = cls.company.currency_id
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Test Shop Prices",
                "currency_id": cls.currency.id,
                "item_ids": [
                    cls._price_item(cls.gloves, 10.0),
                    cls._price_item(cls.kit, 40.0),
                ],
            }
        )
        cls.team = cls.env["crm.team"].create({"name": "Test Web Shop"})
        cls.sku_owner = new_test_user(
            cls.env, login="sku_table_owner", groups="interop.group_interop_user"
        )
        for endpoint in (cls.shop, cls.locations):
            cls._table(
                endpoint,
                "supply-skus",
                "product.model_product_product",
                {"T-GLV": cls.gloves.id, "T-KIT": cls.kit.id},
                owner=cls.sku_owner,
            )
            cls._table(
                endpoint,
                "supply-locations",
                "stock.model_stock_warehouse",
                {"TEST-WH": cls.warehouse.id},
            )
        cls._table(
            cls.shop,
            "supply-channel-teams",
            "sales_team.model_crm_team",
            {"web": cls.team.id},
        )
        cls._table(
            cls.shop,
            "supply-channel-pricelists",
            "product.model_product_pricelist",
            {"web": cls.pricelist.id},
        )
        cls.bank_journal = cls.env["account.journal"].create(
            {"name": "Test Supply Bank", "type": "bank", "code": "TSB"}
        )

    @classmethod
    def _product(cls, name, code, tracking="none"):
        return cls.env["product.product"].create(
            {
                "name": name,
                "default_code": code,
                "type": "consu",
                "is_storable": True,
                "tracking": tracking,
                "invoice_policy": "delivery",
                "list_price": 1.0,
                "taxes_id": False,
            }
        )

    @classmethod
    def _price_item(cls, product, price):
        return Command.create(
            {
                "applied_on": "0_product_variant",
                "product_id": product.id,
                "compute_price": "fixed",
                "fixed_price": price,
            }
        )

    @classmethod
    def _table(cls, endpoint, code, model_xmlid, targets, owner=None):
        return cls.env["interop.mapping.table"].create(
            {
                "name": f"Test {code} of {endpoint.code}",
                "code": code,
                "target_type": "record",
                "target_model_id": cls.env.ref(model_xmlid).id,
                "endpoint_id": endpoint.id,
                "owner_id": (owner or cls.supply_owner).id,
                "line_ids": [
                    Command.create({"external_code": external, "res_id": res_id})
                    for external, res_id in targets.items()
                ],
            }
        )

    def setUp(self):
        super().setUp()
        self.remote.reset()

    # Payloads

    @classmethod
    def _order_payload(cls, order="T-100", lines=None, event_id=None, **customer):
        return {
            "event_id": event_id or f"evt-{order}",
            "order": {
                "id": order,
                "channel": "web",
                "location": "TEST-WH",
                "payment_reference": f"PAY-{order}",
            },
            "customer": {
                "id": customer.pop("id", f"C-{order}"),
                "name": customer.pop("name", f"Customer of {order}"),
                "billing_address": {"street": "1 Test Street", "zip": "1000"},
                **customer,
            },
            "lines": lines or [{"sku": "T-GLV", "quantity": 2, "unit_price": 10.0}],
        }

    @classmethod
    def _status_payload(cls, order="T-100", status="shipped", n=1, lines=None):
        shipment = {
            "id": f"SHP-{order}",
            "order_ref": order,
            "status": status,
            "carrier": "TestPost",
            "tracking_ref": f"TRK-{order}",
        }
        if lines:
            shipment["lines"] = lines
        return {"event_id": f"evt-{order}-{status}-{n}", "shipment": shipment}

    # The gateway, as the partner systems call it

    def _post(self, endpoint, event, payload):
        body = json.dumps(payload).encode()
        url = inbound_path(endpoint.code, event)
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.keys[endpoint.code]}",
            **sign(body, url),
        }
        response = self.opener.post(
            self.base_url() + url, data=body, headers=headers, timeout=TIMEOUT
        )
        self.assertIn(response.status_code, (200, 202), response.text)
        return self.env["interop.message"].browse(response.json()["message_id"])

    def _drain(self, event):
        """Run the pending drain of ``event`` as the job runner would."""
        self.env.invalidate_all()
        event_type = self.env["interop.event.type"]._find(event)
        identity = self.env["interop.message.dispatch"]._drain_identity(event_type)
        drains = self.env["queue.job"].search(
            [("identity_key", "=", identity), ("state", "=", "pending")]
        )
        for drain in drains:
            Job.load(self.env, drain.uuid).perform()
            drain.state = "done"
        self.env.invalidate_all()

    def _send(self, endpoint, event, payload):
        """POST an event and process it, as the gateway and the job runner do."""
        message = self._post(endpoint, event, payload)
        self._drain(event)
        return message

    def _order(self, name="T-100"):
        return self.env["interop.supply.order"].search([("name", "=", name)])

    def _deliver_dispatch_requests(self):
        """Run the delivery jobs of the messages queued for the 3PL, oldest first."""
        messages = self.env["interop.message"].search(
            [
                ("endpoint_id", "=", self.logistics.id),
                ("direction", "=", "outbound"),
                ("state", "=", "queued"),
                ("date_held", "=", False),
            ],
            order="id",
        )
        for message in messages:
            try:
                message._job_send()
            except Exception:  # noqa: BLE001 - a retryable failure, as queue_job sees it
                self.env.invalidate_all()
        self.env.invalidate_all()
        return messages

    def assertOpenException(self, owner, category, **domain):
        exceptions = self.env["interop.exception"].search(
            [
                ("state", "in", ("open", "in_progress")),
                ("category_id.code", "=", category),
                *[(key, "=", value) for key, value in domain.items()],
            ]
        )
        self.assertEqual(len(exceptions), 1, exceptions.mapped("name"))
        self.assertEqual(exceptions.user_id, owner)
        return exceptions
