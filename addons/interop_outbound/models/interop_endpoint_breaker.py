# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import math
from datetime import timedelta

from odoo import fields, models
from odoo.tools import SQL

from ..transaction import run_in_own_transaction

BREAKER_CLOSED = "closed"
BREAKER_OPEN = "open"
BREAKER_HALF_OPEN = "half_open"
BREAKER_ACTIVITY_TYPE = "interop_outbound.mail_act_interop_breaker_open"


class InteropEndpointBreaker(models.AbstractModel):
    """The circuit breaker of an outbound endpoint: failed calls counted in
    transactions of their own, the circuit opened after its threshold (deliveries
    held, the technical owner told), probed after the cool-down, closed when the
    endpoint answers again. Inherited by ``interop.endpoint``."""

    _name = "interop.endpoint.breaker"
    _description = "Endpoint Circuit Breaker"

    def _breaker_cooldown_remaining(self):
        """Seconds before an open circuit may be probed (0 when it may be now)."""
        self.ensure_one()
        if self.breaker_state != BREAKER_OPEN or not self.breaker_date_opened:
            return 0
        reopen = self.breaker_date_opened + timedelta(seconds=self.breaker_cooldown)
        return max(0, math.ceil((reopen - fields.Datetime.now()).total_seconds()))

    def _breaker_record(self, result):
        """Count the outcome of a call (a ``CallResult``); return the breaker state.

        Written in a transaction of its own: a failure must be counted even when
        the job's transaction is rolled back to retry it.
        """
        self.ensure_one()
        if result.breaker_failure:
            return self._breaker_record_failure()
        if result.reached and (
            self.breaker_state != BREAKER_CLOSED or self.breaker_failure_count
        ):
            return self._breaker_close()
        return self.breaker_state

    def _breaker_record_failure(self):
        endpoint_id = self.id
        now = fields.Datetime.now()

        def record(env):
            # one statement, so that concurrent failures are all counted; a half-open
            # circuit opens again at the first failure of its probe
            opens = SQL(
                "e.breaker_state = 'half_open' OR (e.breaker_state = 'closed' AND "
                "COALESCE(e.breaker_failure_count, 0) + 1 >= e.breaker_threshold)"
            )
            env.cr.execute(
                SQL(
                    """
                    WITH previous AS (
                        SELECT breaker_state FROM interop_endpoint WHERE id = %(id)s
                    )
                    UPDATE interop_endpoint e
                       SET breaker_failure_count =
                               COALESCE(e.breaker_failure_count, 0) + 1,
                           breaker_state = CASE WHEN %(opens)s THEN 'open'
                                                ELSE e.breaker_state END,
                           breaker_date_opened = CASE WHEN %(opens)s THEN %(now)s
                                                      ELSE e.breaker_date_opened END
                      FROM previous
                     WHERE e.id = %(id)s
                 RETURNING e.breaker_state, previous.breaker_state
                    """,
                    id=endpoint_id,
                    opens=opens,
                    now=now,
                ),
                log_exceptions=False,
            )
            state, previous = env.cr.fetchone()
            env["interop.breaker.transition"]._record(endpoint_id, previous, state, now)
            if state == BREAKER_OPEN and previous != BREAKER_OPEN:
                env["interop.endpoint"].browse(endpoint_id).sudo()._on_breaker_opened()
            return state

        return run_in_own_transaction(self.env, record)

    def _breaker_close(self):
        endpoint_id = self.id

        def close(env):
            env.cr.execute(
                SQL(
                    """
                    WITH previous AS (
                        SELECT breaker_state FROM interop_endpoint WHERE id = %(id)s
                    )
                    UPDATE interop_endpoint e
                       SET breaker_state = 'closed', breaker_failure_count = 0,
                           breaker_date_opened = NULL
                      FROM previous
                     WHERE e.id = %(id)s
                 RETURNING previous.breaker_state
                    """,
                    id=endpoint_id,
                ),
                log_exceptions=False,
            )
            (previous,) = env.cr.fetchone()
            env["interop.breaker.transition"]._record(
                endpoint_id, previous, BREAKER_CLOSED
            )
            if previous != BREAKER_CLOSED:
                env["interop.endpoint"].browse(endpoint_id).sudo()._on_breaker_closed()
            return BREAKER_CLOSED

        return run_in_own_transaction(self.env, close)

    def _breaker_try_half_open(self):
        """Move an open circuit whose cool-down is over to half-open (the probe)."""
        endpoint_id = self.id

        def probe(env):
            env.cr.execute(
                SQL(
                    "UPDATE interop_endpoint SET breaker_state = 'half_open' "
                    "WHERE id = %s AND breaker_state = 'open' RETURNING id",
                    endpoint_id,
                ),
                log_exceptions=False,
            )
            if not env.cr.fetchone():
                return False
            env["interop.breaker.transition"]._record(
                endpoint_id, BREAKER_OPEN, BREAKER_HALF_OPEN
            )
            return True

        return run_in_own_transaction(self.env, probe)

    def _on_breaker_opened(self):
        """Tell the technical owner, once, and plan the probe after the cool-down."""
        self.ensure_one()
        owner = self.technical_owner_id
        if owner and not self.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(BREAKER_ACTIVITY_TYPE)
        ):
            self.activity_schedule(
                BREAKER_ACTIVITY_TYPE,
                date_deadline=fields.Date.context_today(self),
                user_id=owner.id,
                summary=self.env._(
                    "%(endpoint)s stopped answering: deliveries are held",
                    endpoint=self.name,
                ),
                note=self.env._(
                    "After %(count)s failed calls in a row, deliveries to this "
                    "endpoint are held and sent in order once it answers again. "
                    "Check its status with the partner.",
                    count=self.breaker_threshold,
                ),
            )
        self._ensure_held_delivery(eta=self.breaker_cooldown)

    def _on_breaker_closed(self):
        self.activity_feedback(
            [BREAKER_ACTIVITY_TYPE],
            feedback=self.env._("The endpoint answers again: deliveries resumed."),
        )

    def action_reset_breaker(self):
        """Close the circuit now (e.g. the partner confirmed the outage is over)."""
        self.check_access("write")
        for endpoint in self:
            endpoint.write(
                {
                    "breaker_state": BREAKER_CLOSED,
                    "breaker_failure_count": 0,
                    "breaker_date_opened": False,
                }
            )
            endpoint._on_breaker_closed()
            if endpoint._has_held_messages():
                endpoint._ensure_held_delivery()
        return True
