# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import SUPERUSER_ID, Command, api, fields, models

from odoo.addons.interop.errors import BusinessRuleError

from ..order_flow import (
    DELIVERED,
    DISPATCHED,
    FAILED_STATUSES,
    FORWARD_STATUSES,
    INVOICED,
    RETURNED,
)


class InteropSupplyOrderFulfilment(models.AbstractModel):
    """What the 3PL reports with ``dispatch.status``: the delivery shipped with its
    lots, delivered and invoiced once, or taken back after a failed delivery. Part
    of ``interop.supply.order``, which inherits it."""

    _name = "interop.supply.order.fulfilment"
    _description = "Supply Order Fulfilment"

    @api.model
    def _interop_handle_dispatch_status(self, message, payload):
        """Move the delivery as the 3PL reports it; late and repeated statuses are
        harmless, a failed delivery goes to customer service."""
        return self.with_company(message.company_id)._receive_dispatch_status(
            message, payload
        )

    @api.model
    def _receive_dispatch_status(self, message, payload):
        shipment = payload["shipment"]
        order = self._find_order(message.company_id, shipment["order_ref"])
        if not order:
            raise BusinessRuleError(
                self.env._(
                    "Shipment %(shipment)s is about order %(order)s, which Odoo does "
                    "not know.",
                    shipment=shipment["id"],
                    order=shipment["order_ref"],
                ),
                suggested_action=self.env._(
                    "Check the order reference with the 3PL; retry once the order "
                    "is received, or dismiss."
                ),
            )
        # only the 3PL the delivery was handed to reports it (not the shop, nor a
        # care location, nor another 3PL); sudo: the service user reads no message
        if order.sudo().dispatch_message_id.endpoint_id != message.endpoint_id:
            raise BusinessRuleError(
                self.env._(
                    "Shipment %(shipment)s of order %(order)s is reported by "
                    "%(endpoint)s, which the delivery was not handed to.",
                    shipment=shipment["id"],
                    order=order.name,
                    endpoint=message.endpoint_id.name,
                ),
                suggested_action=self.env._(
                    "Check which system sent this status (its key may be used by "
                    "another system); dismiss it. Only the 3PL of the order's "
                    "warehouse reports its delivery."
                ),
                records=order,
            )
        order._lock()
        status = shipment["status"]
        vals = {"shipment_ref": shipment["id"], "dispatch_status": status}
        for key, field_name in (
            ("carrier", "carrier"),
            ("tracking_ref", "tracking_ref"),
        ):
            if shipment.get(key):
                vals[field_name] = shipment[key]
        order.write(vals)
        if order.state == RETURNED:
            order._message_log(
                body=self.env._(
                    "3PL status %(status)s after the return: nothing changed.",
                    status=status,
                )
            )
            return order
        if status in FAILED_STATUSES:
            order._handle_failed_delivery(message, status)
        elif FORWARD_STATUSES.index(status) >= FORWARD_STATUSES.index("shipped"):
            order._ship(shipment)
            if status == "delivered":
                order._reach(DELIVERED)
                order._invoice()
        return [order, order.sudo().picking_id, order.sudo().return_picking_id]

    def _ship(self, shipment):
        """Validate the delivery with the lots and tracking reference of the 3PL
        (once: a repeated or late status finds it done)."""
        self.ensure_one()
        picking = self.sudo().picking_id.with_env(self.env)
        when = self._event_time(shipment)
        if picking and picking.state not in ("done", "cancel"):
            self._apply_reported_lots(picking, shipment.get("lines") or [])
            for move in picking.move_ids:
                if not move.quantity:
                    move.quantity = move.product_uom_qty
                move.picked = True
            picking.with_context(
                skip_backorder=True, picking_ids_not_to_backorder=picking.ids
            ).button_validate()
            picking._message_log(
                body=self.env._(
                    "Shipped by the 3PL: shipment %(shipment)s, %(carrier)s "
                    "%(tracking)s.",
                    shipment=shipment["id"],
                    carrier=shipment.get("carrier") or "",
                    tracking=shipment.get("tracking_ref") or "",
                )
            )
            if picking.state != "done":
                raise BusinessRuleError(
                    self.env._(
                        "Order %(order)s: delivery %(picking)s could not be validated "
                        "with what the 3PL reported shipped.",
                        order=self.name,
                        picking=picking.name,
                    ),
                    suggested_action=self.env._(
                        "Check the delivery's quantities and lots with the 3PL, then "
                        "retry."
                    ),
                    records=self,
                )
        self._reach(DISPATCHED, when=when)

    def _apply_reported_lots(self, picking, lines):
        """The lots the 3PL shipped replace the ones Odoo reserved."""
        by_sku = {}
        for line in lines:
            if line.get("lot"):
                by_sku.setdefault(line["sku"].strip(), []).append(line)
        if not by_sku:
            return
        products = self.env["interop.mapping.table"]._resolve_many(
            "supply-skus", list(by_sku), endpoint=self.endpoint_id
        )
        Lot = self.env["stock.lot"]
        for sku, reported in by_sku.items():
            product = products[sku]
            move = picking.move_ids.filtered(lambda m, p=product: m.product_id == p)[:1]
            if not move or product.tracking == "none":
                continue
            move.move_line_ids.unlink()
            for line in reported:
                lot = Lot.search(
                    [
                        ("name", "=", line["lot"]),
                        ("product_id", "=", product.id),
                        ("company_id", "in", [picking.company_id.id, False]),
                    ],
                    limit=1,
                ) or Lot.create(
                    {
                        "name": line["lot"],
                        "product_id": product.id,
                        "company_id": picking.company_id.id,
                    }
                )
                self.env["stock.move.line"].create(
                    {
                        "move_id": move.id,
                        "picking_id": picking.id,
                        "product_id": product.id,
                        "product_uom_id": move.product_uom.id,
                        "lot_id": lot.id,
                        "quantity": line.get("quantity") or move.product_uom_qty,
                        "location_id": move.location_id.id,
                        "location_dest_id": move.location_dest_id.id,
                    }
                )

    @api.model
    def _event_time(self, shipment):
        text = shipment.get("occurred_at")
        if not text:
            return fields.Datetime.now()
        return fields.Datetime.to_datetime(text.replace("T", " ").rstrip("Z")[:19])

    def _handle_failed_delivery(self, message, status):
        """Take the goods back (a return of the delivery, or the delivery cancelled
        when it never left) and tell customer service."""
        self.ensure_one()
        picking = self.sudo().picking_id.with_env(self.env)
        returned = self.env["stock.picking"]
        if picking.state == "done":
            # as Odoo itself: the return is posted on the delivery's chatter, which
            # needs an author with an email address (a service user has none)
            wizard = (
                self.env["stock.return.picking"]
                .with_user(SUPERUSER_ID)
                .with_context(active_id=picking.id, active_model="stock.picking")
                .create({"picking_id": picking.id})
            )
            for line in wizard.product_return_moves:
                line.quantity = line.move_id.quantity
            returned = wizard._create_return().with_env(self.env)
        elif picking and picking.state != "cancel":
            picking.action_cancel()
        self.write(
            {
                "state": RETURNED,
                "date_state": fields.Datetime.now(),
                "date_returned": fields.Datetime.now(),
                "return_picking_id": returned.id,
            }
        )
        error = BusinessRuleError(
            self.env._(
                "Order %(order)s: the 3PL reported the delivery %(status)s; %(what)s",
                order=self.name,
                status=status.replace("_", " "),
                what=self.env._("a return was created.")
                if returned
                else self.env._("the delivery was cancelled before it left."),
            ),
            suggested_action=self.env._(
                "Contact the customer to arrange a new delivery or a credit note; "
                "resolve this exception once done."
            ),
            records=self,
        )
        # the message went through: the exception is customer service's work, not
        # a failure of the message (so it is not resolved with it)
        self.env["interop.exception"].sudo()._open(
            error, endpoint=message.endpoint_id, event_type=message.event_type_id
        )

    def _invoice(self):
        """The customer invoice, exactly once: ordered or delivered quantities."""
        self.ensure_one()
        if self.sudo().invoice_id:
            return self.sudo().invoice_id
        sale_order = self.sudo().sale_order_id.with_env(self.env)
        lines = sale_order.order_line.filtered(lambda line: not line.display_type)
        commands = []
        for line in lines:
            quantity = (
                line.product_uom_qty
                if self.invoice_policy == "order"
                else line.qty_delivered
            )
            if quantity:
                commands.append(
                    Command.create(line._prepare_invoice_line(quantity=quantity))
                )
        if not commands:
            raise BusinessRuleError(
                self.env._(
                    "Order %(order)s was delivered but nothing is left to invoice.",
                    order=self.name,
                ),
                records=self,
            )
        vals = sale_order._prepare_invoice()
        vals["invoice_line_ids"] = commands
        if self.payment_reference:
            vals["payment_reference"] = self.payment_reference
        invoice = self.env["account.move"].create(vals)
        invoice.action_post()
        self.write({"invoice_id": invoice.id})
        self._reach(INVOICED)
        return invoice
