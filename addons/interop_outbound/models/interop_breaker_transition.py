# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import create_index

from .interop_endpoint_breaker import BREAKER_CLOSED, BREAKER_HALF_OPEN, BREAKER_OPEN

BREAKER_STATES = [
    (BREAKER_CLOSED, "Closed"),
    (BREAKER_OPEN, "Open"),
    (BREAKER_HALF_OPEN, "Half-Open"),
]


class InteropBreakerTransition(models.Model):
    """One change of an outbound endpoint's circuit breaker: from, to, when.

    Written by the breaker itself, in the transaction that changes its state
    (:meth:`_record`); nobody creates, changes or deletes one through RPC (no
    group has those rights, ``create`` is private). The monitor reads it for the
    time each endpoint spent in each state and prunes it with its rollups.
    """

    _name = "interop.breaker.transition"
    _description = "Circuit Breaker Transition"
    _order = "date desc, id desc"

    endpoint_id = fields.Many2one(
        "interop.endpoint", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        related="endpoint_id.company_id", store=True, readonly=True, index=True
    )
    state_from = fields.Selection(BREAKER_STATES, string="From", readonly=True)
    state_to = fields.Selection(
        BREAKER_STATES, string="To", required=True, readonly=True
    )
    date = fields.Datetime(required=True, readonly=True)

    def init(self):
        # the time in state reads an endpoint's transitions of the last days
        create_index(
            self.env.cr,
            "interop_breaker_transition_endpoint_date_idx",
            self._table,
            ["endpoint_id", "date"],
        )

    @api.model_create_multi
    @api.private
    def create(self, vals_list):
        return super().create(vals_list)

    @api.model
    def _record(self, endpoint_id, state_from, state_to, date=None):
        """Log a change of the breaker of ``endpoint_id`` (in the caller's
        transaction, whoever the caller is)."""
        if state_from == state_to:
            return self.browse()
        # sudo: the breaker logs its own changes; no group may create them
        return self.sudo().create(
            [
                {
                    "endpoint_id": endpoint_id,
                    "state_from": state_from or False,
                    "state_to": state_to,
                    "date": date or fields.Datetime.now(),
                }
            ]
        )
