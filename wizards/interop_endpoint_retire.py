# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..models.interop_message import PROCESSING, QUEUED, RECEIVED, VALIDATED

#: Messages still waiting to be processed or delivered (held ones are queued): once
#: their endpoint is retired nothing would ever take them.
PENDING_STATES = (RECEIVED, VALIDATED, QUEUED, PROCESSING)

# This wizard retires endpoints with this object in their context, after the person
# retiring them said why their pending messages are cancelled: interop.endpoint lets
# such a retirement through (see _check_retire_pending_messages). An object cannot
# travel through RPC: no client-supplied context skips the question.
_RETIRE_CONFIRMED = object()
RETIRE_KEY = "interop_endpoint_retire"


class InteropEndpointRetire(models.TransientModel):
    """Retire endpoints whose messages still wait: their cancellation, with a reason."""

    _name = "interop.endpoint.retire"
    _description = "Retire Endpoints With Pending Messages"

    endpoint_ids = fields.Many2many("interop.endpoint", string="Endpoints")
    pending_count = fields.Integer(
        string="Pending Messages", compute="_compute_pending_count"
    )
    processing_count = fields.Integer(compute="_compute_pending_count")
    reason = fields.Text(
        help="Why the waiting messages can be dropped: kept in the audit trail."
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "interop.endpoint":
            values["endpoint_ids"] = [
                Command.set(self.env.context.get("active_ids") or [])
            ]
        return values

    @api.depends("endpoint_ids")
    def _compute_pending_count(self):
        for wizard in self:
            # counted for the endpoints the user may read, whatever ids a client sent
            endpoints = wizard.endpoint_ids._filtered_access("read")
            pending = self._pending_messages(endpoints)
            wizard.pending_count = len(pending)
            wizard.processing_count = len(
                pending.filtered(lambda m: m.state == PROCESSING)
            )

    # The checks interop.endpoint calls

    @api.model
    def _pending_messages(self, endpoints):
        """The messages of ``endpoints`` still waiting (the open-state index)."""
        # sudo: counted whatever the current user may read of the log; only ids and
        # states leave this method
        return (
            self.env["interop.message"]
            .sudo()
            .search(
                [("endpoint_id", "in", endpoints.ids), ("state", "in", PENDING_STATES)]
            )
        )

    @api.model
    def _needs_confirmation(self, endpoints):
        """Whether retiring ``endpoints`` must go through this wizard."""
        if endpoints.env.context.get(RETIRE_KEY) is _RETIRE_CONFIRMED:
            return False
        return bool(self._pending_messages(endpoints))

    @api.model
    def _check_retire_pending_messages(self, endpoints):
        """Refuse to retire ``endpoints`` while messages wait, except from this
        wizard, which cancels them with a reason."""
        if not self._needs_confirmation(endpoints):
            return
        for endpoint in endpoints:
            count = len(self._pending_messages(endpoint))
            if count:
                raise UserError(
                    self.env._(
                        "%(endpoint)s still has %(count)s message(s) received, queued, "
                        "held or being processed: once it is retired nothing would "
                        "ever process them. Retire it with its Retire button, which "
                        "cancels them with a reason, or wait until they are done.",
                        endpoint=endpoint.display_name,
                        count=count,
                    )
                )

    @api.model
    def _action_open(self, endpoints):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Retire Endpoints"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": endpoints._name, "active_ids": endpoints.ids},
        }

    # The button

    def action_retire(self):
        """Retire the endpoints, then cancel their waiting messages, recorded."""
        self.ensure_one()
        # the endpoints of other companies are not even read here (company rule)
        endpoints = self.endpoint_ids
        if not endpoints:
            raise UserError(self.env._("There is no endpoint of yours to retire."))
        endpoints.check_access("write")
        reason = (self.reason or "").strip()
        if not reason:
            raise UserError(
                self.env._("Say why the waiting messages can be cancelled.")
            )
        pending = self._pending_messages(endpoints)
        processing = pending.filtered(lambda m: m.state == PROCESSING)
        if processing:
            raise UserError(
                self.env._(
                    "%(count)s message(s) are being processed right now: retire once "
                    "they are done (a minute or two).",
                    count=len(processing),
                )
            )
        # retired first, so that no new message is accepted while these are cancelled;
        # an endpoint in use is retired once its change request is approved, which
        # cancels its waiting messages then
        action = endpoints.with_context(
            **{RETIRE_KEY: _RETIRE_CONFIRMED}
        )._action_lifecycle("retired", reason)
        retired = endpoints.filtered(lambda e: e.state == "retired")
        self._cancel_pending(retired, reason)
        if isinstance(action, dict):
            return action
        return {"type": "ir.actions.act_window_close"}

    @api.model
    def _cancel_pending(self, endpoints, reason):
        """Cancel the waiting messages of ``endpoints`` (retired), recorded."""
        pending = self._pending_messages(endpoints)
        if not pending:
            return
        # as the manager retiring: cancelling is a manager's act, audited one by
        # one, and it closes the messages' open exceptions
        self.env["interop.message"].browse(pending.ids).action_cancel()
        audit = self.env["interop.audit.entry"]
        for endpoint in endpoints:
            count = len(pending.filtered(lambda m, e=endpoint: m.endpoint_id == e))
            if not count:
                continue
            summary = self.env._(
                "Retired with %(count)s waiting message(s), cancelled: %(reason)s",
                count=count,
                reason=reason,
            )
            endpoint.message_post(body=summary, subtype_xmlid="mail.mt_note")
            audit._log(
                "message_cancelled",
                record=endpoint,
                summary=self.env._(
                    "%(count)s waiting message(s) cancelled: endpoint retired",
                    count=count,
                ),
                details={"reason": reason, "count": count},
            )
