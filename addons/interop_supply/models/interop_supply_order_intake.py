# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import Command, api, fields, models
from odoo.tools import SQL, float_compare, float_round, mute_logger

from odoo.addons.interop.errors import BusinessRuleError, MappingError
from odoo.addons.queue_job.exception import RetryableJobError

from ..errors import ProbableDuplicateCustomer, StockShortage
from ..order_flow import (
    DISPATCH_EVENT,
    ORDER_BUSY_SECONDS,
    PRICE_TOLERANCE_PARAM,
    RESERVED,
    float_param,
)


class InteropSupplyOrderIntake(models.AbstractModel):
    """The intake of ``order.received``: mappings, prices, stock and customer
    checked, then the sales order confirmed once, reserved and handed to the 3PL.
    Part of ``interop.supply.order``, which inherits it."""

    _name = "interop.supply.order.intake"
    _description = "Supply Order Intake"

    # Handlers

    @api.model
    def _interop_handle_order_received(self, message, payload):
        """Confirm an order exactly once and reserve its stock in the mapped
        warehouse; anything that stops it is an exception, never a backorder."""
        return self.with_company(message.company_id)._receive_order(message, payload)

    @api.model
    def _receive_order(self, message, payload):
        data = payload["order"]
        company = message.company_id
        self._lock_order_id(company, data["id"])
        order = self._find_order(company, data["id"])
        if order:
            # a duplicate (the same order sent again, or by a second drain): the
            # order is confirmed already, never twice
            order._message_log(
                body=self.env._(
                    "Order received again (%(message)s): already confirmed, nothing "
                    "changed.",
                    message=message.display_name,
                )
            )
            return order
        endpoint = message.endpoint_id
        Mapping = self.env["interop.mapping.table"]
        lines = payload["lines"]
        products = Mapping._resolve_many(
            "supply-skus", [line["sku"] for line in lines], endpoint=endpoint
        )
        team = Mapping._resolve(
            "supply-channel-teams", data["channel"], endpoint=endpoint
        )
        pricelist = Mapping._resolve(
            "supply-channel-pricelists", data["channel"], endpoint=endpoint
        )
        warehouse = Mapping._resolve(
            "supply-locations", data["location"], endpoint=endpoint
        )
        self._check_prices(data["id"], lines, products, pricelist)
        self._check_stock(data["id"], lines, products, warehouse)
        partner = self._find_or_create_customer(endpoint, payload["customer"])
        # the order id is claimed before the sales order exists: the claim's
        # savepoint runs the transaction's pending hooks, and a sales order created
        # before it would log its confirmation as a change (Odoo logs none for an
        # order created and confirmed in one transaction)
        order = self._claim(
            {
                "name": data["id"],
                "endpoint_id": endpoint.id,
                "company_id": company.id,
                "channel": data["channel"],
                "partner_id": partner.id,
                "warehouse_id": warehouse.id,
                "team_id": team.id,
                "pricelist_id": pricelist.id,
                "currency_id": pricelist.currency_id.id,
                "payment_reference": data.get("payment_reference"),
                "date_received": message.date_received or fields.Datetime.now(),
                "date_state": message.date_received or fields.Datetime.now(),
            }
        )
        sale_order = self._create_sale_order(
            data, lines, products, partner, team, pricelist, warehouse, endpoint
        )
        order._confirm_and_reserve(sale_order)
        order._send_to_logistics(message)
        return [order, sale_order, order.sudo().picking_id]

    # Processing rules

    @api.model
    def _order_lines(self, lines, products):
        """(product, SKU, quantity, unit price) of each line sent."""
        for line in lines:
            sku = line["sku"].strip()
            yield products[sku], sku, line["quantity"], line["unit_price"]

    @api.model
    def _check_prices(self, order_id, lines, products, pricelist):
        """A unit price beyond the tolerance of the channel's price list stops the
        order: it is never confirmed at a price nobody agreed."""
        tolerance = float_param(self.env, PRICE_TOLERANCE_PARAM, 2.0, 0.0)
        currency = pricelist.currency_id
        now = fields.Datetime.now()
        # the price list's rules of all the lines in one search, then each line's
        # first applicable rule, as the price list itself picks it
        rules = pricelist._get_applicable_rules(
            self.env["product.product"].union(*products.values()), now
        )
        off = []
        for product, sku, quantity, price in self._order_lines(lines, products):
            rule = next(
                (rule for rule in rules if rule._is_applicable_for(product, quantity)),
                rules.browse(),
            )
            listed = rule._compute_price(
                product, quantity, product.uom_id, now, currency=currency
            )
            allowed = abs(listed) * tolerance / 100.0
            if (
                float_compare(
                    abs(price - listed), allowed, precision_rounding=currency.rounding
                )
                > 0
            ):
                listed = float_round(listed, precision_rounding=currency.rounding)
                off.append(
                    self.env._(
                        "%(sku)s at %(sent)s (list %(listed)s)",
                        sku=sku,
                        sent=price,
                        listed=listed,
                    )
                )
        if off:
            raise BusinessRuleError(
                self.env._(
                    "Order %(order)s: prices beyond the %(tolerance)s%% tolerance of "
                    "price list %(pricelist)s: %(lines)s.",
                    order=order_id,
                    tolerance=tolerance,
                    pricelist=pricelist.name,
                    lines="; ".join(off),
                ),
                suggested_action=self.env._(
                    "Agree the price with the channel (or correct the price list), "
                    "then retry; dismiss to refuse the order."
                ),
                records=pricelist,
            )

    @api.model
    def _check_stock(self, order_id, lines, products, warehouse):
        """Every storable line must be free to reserve in the mapped warehouse: a
        shortage names the missing quantities, it never becomes a backorder."""
        needed = {}
        for product, sku, quantity, _price in self._order_lines(lines, products):
            if product.is_storable:
                needed.setdefault(product, [sku, 0.0])[1] += quantity
        self._lock_quants(list(needed), warehouse)
        missing = []
        # what is free where the delivery reserves (the warehouse's stock location),
        # for all the products in one query
        free_qty = {
            product.id: quantity - reserved
            for product, quantity, reserved in self.env["stock.quant"]._read_group(
                [
                    ("product_id", "in", [product.id for product in needed]),
                    ("location_id", "child_of", warehouse.lot_stock_id.id),
                ],
                ["product_id"],
                ["quantity:sum", "reserved_quantity:sum"],
            )
        }
        for product, (sku, quantity) in needed.items():
            free = max(free_qty.get(product.id, 0.0), 0.0)
            rounding = product.uom_id.rounding
            if float_compare(free, quantity, precision_rounding=rounding) < 0:
                missing.append(
                    self.env._(
                        "%(sku)s: %(missing)s missing (%(free)s free of %(needed)s)",
                        sku=sku,
                        missing=float_round(
                            quantity - free, precision_rounding=rounding
                        ),
                        free=float_round(free, precision_rounding=rounding),
                        needed=quantity,
                    )
                )
        if missing:
            raise StockShortage(
                self.env._(
                    "Order %(order)s cannot be reserved in %(warehouse)s: %(missing)s.",
                    order=order_id,
                    warehouse=warehouse.name,
                    missing="; ".join(missing),
                ),
                suggested_action=self.env._(
                    "Replenish the warehouse (or map the channel's orders to one that "
                    "has the stock), then retry. No backorder was created."
                ),
                records=warehouse,
            )

    @api.model
    def _lock_quants(self, products, warehouse):
        """Take the quants the delivery will reserve before anything is created.

        Two drains reserving the same products collide on these rows: the second
        (or one whose snapshot is older than a reservation committed since) would
        fail in the middle of the confirmation, after creating the sales order for
        nothing, and log the failed statement. It is met here instead, at once and
        quietly, and the order is retried in a transaction of its own, as long as
        another drain holds them: nothing is wrong with the order, so the retry is
        not counted (two drains taking orders of the same products all the time
        would otherwise spend queue_job's five retries and fail it).
        """
        if not products:
            return
        location = warehouse.lot_stock_id
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                self.env.cr.execute(
                    SQL(
                        "SELECT q.id FROM stock_quant q"
                        " JOIN stock_location l ON l.id = q.location_id"
                        " WHERE q.product_id = ANY(%s) AND l.parent_path LIKE %s"
                        " FOR NO KEY UPDATE OF q NOWAIT",
                        [product.id for product in products],
                        f"{location.parent_path}%",
                    )
                )
        except (LockNotAvailable, SerializationFailure):
            raise RetryableJobError(
                "Another drain is reserving these products",
                seconds=ORDER_BUSY_SECONDS,
                ignore_retry=True,
            ) from None

    @api.model
    def _find_or_create_customer(self, endpoint, customer):
        """The customer, by its external id, then by the cross-reference a person
        made; a new customer that looks like an existing contact is not created
        (never a silent merge, never a second contact)."""
        Partner = self.env["res.partner"]
        partner = Partner.search([("ref", "=", customer["id"])], limit=1)
        if partner:
            return partner
        try:
            partner = self.env["interop.mapping.table"]._resolve(
                "supply-customers", customer["id"], endpoint=endpoint
            )
        except MappingError:
            partner = Partner
        if partner:
            return partner
        vals = self._prepare_customer_vals(customer)
        # the one check of every contact a message creates
        partner, duplicates, reason = Partner._interop_check_new_contact(
            vals, customer["id"], endpoint
        )
        if partner:
            return partner
        if duplicates:
            raise ProbableDuplicateCustomer(
                self.env._(
                    "Customer %(ref)s of %(endpoint)s looks like existing contact "
                    "#%(contact)s (%(reason)s): contacts are not merged automatically.",
                    ref=customer["id"],
                    endpoint=endpoint.name,
                    contact=duplicates[0].id,
                    reason=reason,
                ),
                suggested_action=self.env._(
                    "If it is the same customer, map %(ref)s to the existing contact "
                    "in the mapping table supply-customers; otherwise correct the "
                    "contact that is wrong. Then retry.",
                    ref=customer["id"],
                ),
                records=duplicates,
            )
        return Partner.create(vals)

    @api.model
    def _prepare_customer_vals(self, customer):
        address = customer.get("billing_address") or customer.get("delivery_address")
        address = address or {}
        vals = {
            "name": customer["name"],
            "ref": customer["id"],
            "street": address.get("street"),
            "city": address.get("city"),
            "zip": address.get("zip"),
        }
        if customer.get("email"):
            vals["email"] = customer["email"]
        if customer.get("phone"):
            vals["phone"] = customer["phone"]
        if customer.get("tax_id"):
            vals["vat"] = customer["tax_id"]
        if address.get("country"):
            country = self.env["res.country"].search(
                [("code", "=", address["country"].upper())], limit=1
            )
            vals["country_id"] = country.id
        return {key: value for key, value in vals.items() if value}

    @api.model
    def _create_sale_order(
        self, data, lines, products, partner, team, pricelist, warehouse, endpoint
    ):
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "team_id": team.id,
                "pricelist_id": pricelist.id,
                "warehouse_id": warehouse.id,
                "client_order_ref": data["id"],
                "origin": f"{endpoint.code}: {data['id']}"[:200],
                "company_id": endpoint.company_id.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "price_unit": price,
                        }
                    )
                    for product, _sku, quantity, price in self._order_lines(
                        lines, products
                    )
                ],
            }
        )

    def _confirm_and_reserve(self, sale_order):
        """Confirm ``sale_order``, the order's, and reserve its delivery, all or
        nothing."""
        self.ensure_one()
        sale_order.action_confirm()
        confirmed = fields.Datetime.now()
        picking = sale_order.picking_ids.filtered(
            lambda p: (
                p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
            )
        )[:1]
        if picking:
            if picking.state != "assigned":
                # confirmation reserves, unless the delivery type reserves later
                picking.action_assign()
            if picking.state != "assigned":
                # the free quantities were there a moment ago: someone else took them
                raise StockShortage(
                    self.env._(
                        "Order %(order)s could not be fully reserved in %(warehouse)s.",
                        order=self.name,
                        warehouse=self.warehouse_id.name,
                    ),
                    suggested_action=self.env._(
                        "Replenish the warehouse, then retry. No backorder was created."
                    ),
                    records=self.warehouse_id,
                )
        # a new order (at received): both milestones in one write
        now = fields.Datetime.now()
        self.write(
            {
                "sale_order_id": sale_order.id,
                "amount_total": sale_order.amount_total,
                "currency_id": sale_order.currency_id.id,
                "picking_id": picking.id,
                "date_confirmed": self.date_confirmed or confirmed,
                "date_reserved": self.date_reserved or now,
                "state": RESERVED,
                "date_state": now,
            }
        )

    def _send_to_logistics(self, parent):
        """Hand the reserved delivery to the warehouse's 3PL, through the outbound
        delivery: held while the 3PL is down, sent in order when it is back."""
        self.ensure_one()
        endpoint = self.warehouse_id.sudo().interop_logistics_endpoint_id
        if not endpoint:
            # shipped by hand
            return self.env["interop.message"]
        event_type = (
            self.env["interop.event.type"]
            .sudo()
            ._find(DISPATCH_EVENT, direction="outbound")
        )
        if (
            not event_type
            or endpoint.state != "active"
            or endpoint.system_kind != "logistics"
        ):
            return self.env["interop.message"]
        picking = self.sudo().picking_id
        payload = {
            "order_ref": self.name,
            "delivery_ref": picking.name or None,
            "warehouse": self.warehouse_id.code,
            "ship_to": {
                "name": self.partner_id.name,
                "street": self.partner_id.street or None,
                "city": self.partner_id.city or None,
                "zip": self.partner_id.zip or None,
                "country": self.partner_id.country_id.code or None,
            },
            "lines": [
                {
                    "sku": move.product_id.default_code or str(move.product_id.id),
                    "quantity": move.product_uom_qty,
                    "lots": move.move_line_ids.lot_id.mapped("name"),
                }
                for move in picking.move_ids
            ],
        }
        # sudo: the service user of the shop may not manage deliveries; delivery is
        # always a job of its own, even when processing runs inline
        message = (
            endpoint.sudo()
            .with_context(queue_job__no_delay=False)
            ._send(event_type, payload, parent=parent, path="/shipments")
        )
        self.write({"dispatch_message_id": message.id})
        return message
