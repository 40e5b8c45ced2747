# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, api, fields, models
from odoo.tools import float_compare

from odoo.addons.interop.errors import BusinessRuleError, InteropProcessingError

from .interop_visit import (
    BILLING_READY,
    CANCELLED,
    INVOICED,
    RECEIVED,
    VALIDATED,
)


class InteropVisit(models.Model):
    """What the scheduling platform's messages do to a visit: the handlers of
    service.completed, service.amended, service.cancelled and coverage.eligibility,
    and the rules that map, price and time them."""

    _inherit = "interop.visit"  # pylint: disable=consider-merging-classes-inherited

    # Handlers

    @api.model
    def _interop_handle_service_completed(self, message, payload):
        """Bill a completed visit: map, price, then invoice it exactly once."""
        visit = self._find_visit(message.endpoint_id, payload["visit"]["id"])
        if not visit:
            visit = self._register_from_message(message).with_env(self.env)
        visit._lock()
        if visit.state == CANCELLED:
            raise BusinessRuleError(
                self.env._(
                    "Visit %(visit)s was cancelled: its completion cannot be billed.",
                    visit=visit.name,
                ),
                suggested_action=self.env._(
                    "Check with the scheduling platform which event is right; dismiss "
                    "this exception if the cancellation stands."
                ),
                records=visit,
            )
        if visit.sudo().invoice_id:
            # a duplicate delivery: the visit is billed already, never twice
            visit._message_log(
                body=self.env._(
                    "Completion received again: already invoiced, nothing changed."
                )
            )
            return visit
        visit._check_timing(message, "completion", payload)
        visit._apply_payload(message, payload)
        visit._check_timing(message, "billing", payload)
        visit._bill(message)
        return [visit, visit.sudo().invoice_id]

    @api.model
    def _interop_handle_service_amended(self, message, payload):
        """Re-price an amended visit and correct its invoice."""
        visit = self._get_known_visit(message, payload)
        visit._lock()
        visit._join_flow(message)
        invoice = visit.sudo().invoice_id
        if invoice and invoice.state == "posted":
            visit._check_not_paid()
        visit._check_timing(message, "completion", payload)
        visit._apply_payload(message, payload)
        if invoice.state != "draft":
            # billed (again): the billing rules apply as to a completion
            visit._check_timing(message, "billing", payload)
        if not invoice:
            visit._bill(message)
        elif invoice.state == "draft":
            invoice.write(
                {
                    "invoice_line_ids": [Command.clear()]
                    + visit._prepare_invoice_line_commands()
                }
            )
        else:
            visit._reverse_invoice()
            visit.write({"invoice_id": False})
            visit._bill(message)
        visit._message_log(body=self.env._("Visit amended by the scheduling platform."))
        return [visit, visit.sudo().invoice_ids]

    @api.model
    def _interop_handle_service_cancelled(self, message, payload):
        """Cancel a visit: cancel its draft invoice or credit its posted one."""
        visit = self._get_known_visit(message, payload)
        visit._lock()
        visit._join_flow(message)
        invoice = visit.sudo().invoice_id
        if invoice.state == "posted":
            visit._check_not_paid()
            visit._reverse_invoice()
        elif invoice.state == "draft":
            invoice.button_cancel()
        visit.write({"state": CANCELLED, "date_cancelled": fields.Datetime.now()})
        visit._notify_scheduling_platform(visit, "cancelled", parent=message)
        return [visit, visit.sudo().invoice_ids]

    @api.model
    def _interop_handle_eligibility(self, message, payload):
        """Record the payer's answer on the coverage of a visit: a confirmed
        eligibility releases the messages of the visit a timing rule holds for it."""
        visit_id = payload["visit"]["id"]
        visit = self._find_visit(message.endpoint_id, visit_id)
        if not visit:
            visit = self._register_from_message(message).with_env(self.env)
        visit._lock()
        visit._join_flow(message)
        status = payload["status"]
        visit.write(
            {
                "eligibility_state": status,
                "eligibility_ref": payload.get("reference"),
                "date_eligibility": fields.Datetime.now(),
            }
        )
        if status == "confirmed":
            # sudo: the service user may not read the message log
            held = (
                self.env["interop.message"]
                .sudo()
                .search(
                    [
                        ("state", "=", "held"),
                        ("direction", "=", "inbound"),
                        ("business_key", "=", visit.name),
                        ("company_id", "=", visit.company_id.id),
                    ]
                )
            )
            held._schedule_release()
        return visit

    def _get_known_visit(self, message, payload):
        visit = self._find_visit(message.endpoint_id, payload["visit"]["id"])
        if not visit:
            raise BusinessRuleError(
                self.env._(
                    "Visit %(visit)s is unknown: it was never reported completed.",
                    visit=payload["visit"]["id"],
                ),
                suggested_action=self.env._(
                    "Replay the visit's completion first (or ask the scheduling "
                    "platform to send it), then retry."
                ),
            )
        if visit.state == CANCELLED:
            raise BusinessRuleError(
                self.env._("Visit %(visit)s is already cancelled.", visit=visit.name),
                suggested_action=self.env._(
                    "Nothing to change in Odoo: dismiss this exception."
                ),
                records=visit,
            )
        return visit

    def _check_not_paid(self):
        self.ensure_one()
        invoice = self.sudo().invoice_id
        if invoice.payment_state != "not_paid":
            raise BusinessRuleError(
                self.env._(
                    "Visit %(visit)s has payments on invoice %(invoice)s: it cannot be "
                    "changed before they are refunded.",
                    visit=self.name,
                    invoice=invoice.name,
                ),
                suggested_action=self.env._(
                    "Refund the payments through the payment gateway, then retry."
                ),
                records=self,
            )

    # Processing rules

    @api.model
    def _parse_completed(self, payload):
        """When the service was completed (UTC), as the payload says."""
        return fields.Datetime.to_datetime(
            payload["visit"]["completed_at"].replace("T", " ").rstrip("Z")[:19]
        )

    def _check_timing(self, message, step, payload):
        """The timing rules of ``step`` (completion, billing): the message is held
        or fails with the rule's exception when it comes too early."""
        self.ensure_one()
        facts = {"service_date": self._parse_completed(payload)}
        if step == "billing":
            facts.update(
                validated=self.state in (VALIDATED, BILLING_READY, INVOICED),
                payer=self.payer_id,
                eligibility_confirmed=self.eligibility_state == "confirmed",
            )
        self.env["interop.timing.rule"]._enforce(message, step, records=self, **facts)

    def _apply_payload(self, message, payload):
        """Map, find the party, price: the visit is validated, or an error says why."""
        self.ensure_one()
        visit_data = payload["visit"]
        completed = self._parse_completed(payload)
        try:
            self._apply_visit_payload(message, payload, completed)
        except InteropProcessingError as error:
            # the visit stays received without its payload's data: the exception
            # says what it is about (business codes and dates only, no PHI)
            raise error.add_records(self).add_facts(
                [
                    (self.env._("Visit"), self.name),
                    (
                        self.env._("Service codes"),
                        ", ".join(
                            sorted(
                                {
                                    (line.get("service_code") or "").strip()
                                    for line in payload.get("lines") or []
                                }
                                - {""}
                            )
                        ),
                    ),
                    (self.env._("Completed on"), fields.Date.to_string(completed)),
                    (self.env._("Location"), visit_data.get("location")),
                    (
                        self.env._("Payer code"),
                        (payload.get("coverage") or {}).get("payer_code"),
                    ),
                ]
            ) from None
        if self.state == RECEIVED:
            self._reach(VALIDATED)

    def _apply_visit_payload(self, message, payload, completed):
        endpoint = message.endpoint_id
        visit_data = payload["visit"]
        on_date = completed.date()
        Mapping = self.env["interop.mapping.table"]
        lines = payload["lines"]
        products = Mapping._resolve_many(
            "service-codes",
            [line["service_code"] for line in lines],
            on_date=on_date,
            endpoint=endpoint,
        )
        coverage = payload["coverage"]
        payer = Mapping._resolve(
            "payer-codes", coverage["payer_code"], on_date=on_date, endpoint=endpoint
        )
        pricelist = Mapping._resolve(
            "payer-pricelists",
            coverage["payer_code"],
            on_date=on_date,
            endpoint=endpoint,
        )
        location = Mapping._resolve(
            "location-codes", visit_data["location"], on_date=on_date, endpoint=endpoint
        )
        line_vals = self._price_lines(lines, products, pricelist)
        partner = self._find_or_create_party(payload["responsible_party"], endpoint)
        provider = visit_data.get("provider") or {}
        self.write(
            {
                "partner_id": partner.id,
                "payer_id": payer.id,
                "plan_ref": coverage.get("plan_ref"),
                "pricelist_id": pricelist.id,
                "currency_id": pricelist.currency_id.id,
                "location_code": visit_data["location"],
                "location_value": location,
                "provider_ref": provider.get("id"),
                "date_completed": completed,
                "line_ids": [Command.clear()]
                + [Command.create(vals) for vals in line_vals],
            }
        )

    def _price_lines(self, lines, products, pricelist):
        """Line values priced by the payer's contract; no line is ever priced 0."""
        vals_list = []
        unpriced = []
        for line in lines:
            code = line["service_code"].strip()
            product = products[code]
            quantity = line.get("quantity", 1)
            date = fields.Date.to_date(line.get("date")) if line.get("date") else None
            price, rule_id = pricelist._get_product_price_rule(
                product, quantity, currency=pricelist.currency_id, date=date
            )
            if (
                not rule_id
                or float_compare(
                    price, 0.0, precision_rounding=pricelist.currency_id.rounding
                )
                <= 0
            ):
                unpriced.append(code)
                continue
            vals_list.append(
                {
                    "service_code": code,
                    "product_id": product.id,
                    "quantity": quantity,
                    "date_service": date,
                    "modifiers": ",".join(line.get("modifiers") or []),
                    "price_unit": price,
                }
            )
        if unpriced:
            raise BusinessRuleError(
                self.env._(
                    "Contract pricelist %(pricelist)s has no price for service code(s) "
                    "%(codes)s of visit %(visit)s.",
                    pricelist=pricelist.name,
                    codes=", ".join(sorted(set(unpriced))),
                    visit=self.name,
                ),
                suggested_action=self.env._(
                    "Add the contract price of these services to the pricelist, then "
                    "retry. A visit is never invoiced at zero."
                ),
                records=[
                    pricelist,
                    *(products[code] for code in sorted(set(unpriced))),
                ],
            )
        return vals_list

    @api.model
    def _find_or_create_party(self, party, endpoint):
        """The contact of the responsible party (``res.partner`` does the checks:
        system of record, probable duplicates, one at a time)."""
        return self.env["res.partner"]._interop_find_or_create_party(party, endpoint)
