# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, api, fields, models

from odoo.addons.interop.errors import BusinessRuleError

from .interop_visit import (
    AUTO_POST_PARAM,
    BILLING_READY,
    INVOICED,
    OUTBOUND_EVENT,
    VALIDATED,
)


class InteropVisit(models.Model):
    """Billing a visit: its one customer invoice, credit notes, and the billing
    status sent back to the scheduling platform."""

    _inherit = "interop.visit"  # pylint: disable=consider-merging-classes-inherited

    # Billing

    def _bill(self, message=None):
        """Billing ready, then invoiced: exactly one customer invoice per visit.

        ``message``: the message that triggered billing (the status sent back
        derives from it)."""
        self.ensure_one()
        # invoiced: an amendment credited the invoice and bills the visit again
        billable = (VALIDATED, BILLING_READY, INVOICED)
        if self.state not in billable or self.invoice_id or not self.line_ids:
            raise BusinessRuleError(
                self.env._(
                    "Visit %(visit)s is not validated: it cannot be invoiced.",
                    visit=self.name,
                ),
                records=self,
            )
        self._reach(BILLING_READY)
        invoice = self.env["account.move"].create(self._prepare_invoice_vals())
        params = self.env["ir.config_parameter"].sudo()
        if params.get_param(AUTO_POST_PARAM, "True") not in ("False", "0", ""):
            invoice.action_post()
        self.write(
            {"invoice_id": invoice.id, "invoice_ids": [Command.link(invoice.id)]}
        )
        self._reach(INVOICED)
        self._notify_scheduling_platform(self, "invoiced", parent=message)
        return invoice

    def _prepare_invoice_vals(self):
        self.ensure_one()
        return {
            "move_type": "out_invoice",
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "invoice_date": (self.date_completed or fields.Datetime.now()).date(),
            "invoice_origin": self.name,
            "ref": self.name,
            # billed by the integration, sold by nobody: not the service user
            "invoice_user_id": False,
            "invoice_line_ids": self._prepare_invoice_line_commands(),
        }

    def _prepare_invoice_line_commands(self):
        self.ensure_one()
        return [
            Command.create(
                {
                    "product_id": line.product_id.id,
                    "name": line._invoice_label(),
                    "quantity": line.quantity,
                    "price_unit": line.price_unit,
                    "tax_ids": [Command.set(line.product_id.taxes_id.ids)],
                }
            )
            for line in self.line_ids
        ]

    def _reverse_invoice(self):
        """Credit the posted invoice in full (reversal reconciled with it)."""
        self.ensure_one()
        invoice = self.sudo().invoice_id.with_env(self.env)
        credit_note = invoice._reverse_moves(
            default_values_list=[
                {
                    "ref": self.env._(
                        "Reversal of %(invoice)s (visit %(visit)s)",
                        invoice=invoice.name,
                        visit=self.name,
                    ),
                    "invoice_origin": self.name,
                }
            ],
            cancel=True,
        )
        self.write({"invoice_ids": [Command.link(credit_note.id)]})
        return credit_note

    # Outbound

    @api.model
    def _notify_scheduling_platform(self, visit, event, parent=None):
        """Send the visit's billing status back to the scheduling platform.

        ``parent``: the message the change comes from; the status carries its
        correlation id and links it (the flow of the visit otherwise).

        The outbound message is queued in the same transaction as the billing change
        (so it goes out exactly when the change is committed) and delivered by its
        own job, with the outbound module's retries, circuit breaker and
        environment guard. Endpoints that only send to Odoo get nothing.
        """
        event_type = (
            self.env["interop.event.type"]
            .sudo()
            ._find(OUTBOUND_EVENT, direction="outbound")
        )
        endpoint = visit.endpoint_id
        if not event_type or not endpoint or endpoint.direction == "inbound":
            return self.env["interop.message"]
        invoice = visit.sudo().invoice_id
        payload = {
            "visit_id": visit.name,
            "event": event,
            "state": visit.state,
            "invoice_number": invoice.name or None,
            "amount_total": invoice.amount_total if invoice else None,
            "amount_due": invoice.amount_residual if invoice else None,
            "currency": visit.currency_id.name,
        }
        parent = (parent or visit.sudo().flow_message_id).sudo()
        # sudo: the service user processing the visit may not manage deliveries;
        # delivery is always a job of its own, even when processing runs inline
        return (
            endpoint.sudo()
            .with_context(queue_job__no_delay=False)
            ._send(
                event_type,
                payload,
                parent=parent or None,
                path="/visits/billing-status",
                business_key=visit.name,
            )
        )
