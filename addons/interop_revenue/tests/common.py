# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.interop.tests.common import InteropCase


class RevenueCase(InteropCase):
    """A scheduling platform and a payment gateway, active, with their mapping tables,
    two services priced by one payer's contract, and the owners of each flow."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=True))
        if not cls.company.chart_template:
            cls.env["account.chart.template"].try_loading(
                "generic_coa", cls.company, install_demo=False
            )
        cls.revenue_owner = new_test_user(
            cls.env, login="revenue_owner", groups="interop.group_interop_user"
        )
        cls.finance_owner = new_test_user(
            cls.env, login="finance_owner", groups="interop.group_interop_user"
        )
        cls.table_owner = new_test_user(
            cls.env, login="service_table_owner", groups="interop.group_interop_user"
        )
        # the tests say which system owns what, whatever the demo data configured
        cls.env["interop.system.of.record"].search([]).unlink()
        # and which timing rules apply beyond the module's defaults (the demo's
        # payment and eligibility rules would hold the payments the tests send)
        cls.env["interop.timing.rule"].search(
            [("kind", "in", ("payment_posted_invoice", "eligibility_before_billing"))]
        )._interop_apply_write({"active": False})
        cls.scheduling = cls.endpoint.with_env(cls.env)
        cls.gateway = cls.env["interop.endpoint"].create(
            cls._endpoint_vals(
                code="test-gateway",
                name="Test Gateway",
                system_kind="payment_gateway",
                data_classification="confidential",
            )
        )
        (cls.scheduling | cls.gateway)._activate()
        cls.env["interop.endpoint"]._grant_revenue_service_rights(
            (cls.scheduling | cls.gateway).ids
        )
        cls.journal = cls.env["account.journal"].create(
            {"name": "Gateway Clearing", "type": "bank", "code": "TGW"}
        )
        cls.gateway.revenue_journal_id = cls.journal
        # test configuration, past change control (the demo data already used them)
        EventType = cls.env["interop.event.type"]
        for code in ("service.completed", "service.amended", "service.cancelled"):
            EventType._find(code)._interop_apply_write(
                {"business_owner_id": cls.revenue_owner.id, "team_id": False}
            )
        cls.payment_event = EventType._find("payment.status")
        cls.payment_event._interop_apply_write(
            {"business_owner_id": cls.finance_owner.id, "team_id": False}
        )
        cls.currency = cls.company.currency_id
        cls.mri = cls._service_product("Test MRI Brain")
        cls.cbc = cls._service_product("Test CBC Panel")
        cls.ct = cls._service_product("Test CT Chest")
        cls.payer = cls.env["res.partner"].create(
            {"name": "Test Health Plan", "is_company": True}
        )
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Test Health Plan Contract",
                "currency_id": cls.currency.id,
                "item_ids": [
                    cls._price_item(cls.mri, 850.0),
                    cls._price_item(cls.cbc, 35.0),
                    cls._price_item(cls.ct, 420.0),
                ],
            }
        )
        cls.service_table = cls._table(
            "service-codes",
            "product.model_product_product",
            {"70551": cls.mri.id, "85025": cls.cbc.id, "71260": cls.ct.id},
            owner=cls.table_owner,
        )
        cls.payer_table = cls._table(
            "payer-codes", "base.model_res_partner", {"TEST-PAYER": cls.payer.id}
        )
        cls.pricelist_table = cls._table(
            "payer-pricelists",
            "product.model_product_pricelist",
            {"TEST-PAYER": cls.pricelist.id},
        )
        cls.location_table = cls.env["interop.mapping.table"].create(
            {
                "name": "Test Locations",
                "code": "location-codes",
                "target_type": "value",
                "endpoint_id": cls.scheduling.id,
                "owner_id": cls.revenue_owner.id,
                "line_ids": [
                    Command.create(
                        {"external_code": "SITE-1", "target_value": "WH-NORTH"}
                    )
                ],
            }
        )

    @classmethod
    def _service_product(cls, name):
        return cls.env["product.product"].create(
            {"name": name, "type": "service", "list_price": 0.0, "taxes_id": False}
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
    def _table(cls, code, model_xmlid, targets, owner=None):
        """A record table of the scheduling endpoint (it overrides the demo's)."""
        return cls.env["interop.mapping.table"].create(
            {
                "name": f"Test {code}",
                "code": code,
                "target_type": "record",
                "target_model_id": cls.env.ref(model_xmlid).id,
                "endpoint_id": cls.scheduling.id,
                "owner_id": (owner or cls.revenue_owner).id,
                "line_ids": [
                    Command.create({"external_code": external, "res_id": res_id})
                    for external, res_id in targets.items()
                ],
            }
        )

    @classmethod
    def _completed_payload(cls, visit="V-T1", codes=("70551",), event_id=None, **party):
        today = fields.Date.to_string(fields.Date.today())
        return {
            "event_id": event_id or f"evt-{visit}-completed",
            "visit": {
                "id": visit,
                "completed_at": f"{today}T09:30:00Z",
                "location": "SITE-1",
                "provider": {"id": "NPI-1", "name": "Dr. Test"},
            },
            "responsible_party": {
                "id": f"RP-{visit}",
                "name": f"Party of {visit}",
                "email": f"{visit.lower()}@example.com",
                "birth_date": "1980-01-31",
                **party,
            },
            "coverage": {"payer_code": "TEST-PAYER", "plan_ref": "PLAN-1"},
            "lines": [
                {"service_code": code, "quantity": 1, "date": today, "modifiers": []}
                for code in codes
            ],
        }

    def _complete(self, visit="V-T1", codes=("70551",), **kwargs):
        return self.scheduling._receive_event(
            "service.completed", self._completed_payload(visit, codes, **kwargs)
        )

    def _visit(self, name="V-T1"):
        return self.env["interop.visit"].search([("name", "=", name)])

    def _pay(self, visit="V-T1", amount=850.0, status="captured", **payment):
        payment_id = payment.pop("payment_id", f"pay-{visit}")
        data = {
            "id": payment_id,
            "visit_id": visit,
            "amount": amount,
            "currency": self.currency.name,
            "status": status,
            "fees": 1.5,
            "occurred_at": f"{fields.Date.to_string(fields.Date.today())}T10:00:00Z",
            **payment,
        }
        data = {key: value for key, value in data.items() if value is not None}
        event_id = data.pop("event_id", f"evt-{payment_id}-{status}-{amount}")
        return self.gateway._receive_event(
            "payment.status", {"event_id": event_id, "payment": data}
        )

    def assertException(self, message, category, owner):
        exception = message.exception_ids
        self.assertEqual(message.state, "failed")
        self.assertRecordValues(
            exception,
            [
                {
                    "state": "open",
                    "category_id": self.env.ref(
                        f"interop.exception_category_{category}"
                    ).id,
                    "user_id": owner.id,
                }
            ],
        )
        self.assertEqual(exception.activity_ids.user_id, owner)
        return exception
