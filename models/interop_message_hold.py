# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Held messages: processing that came too early waits for its time.

A handler raises :class:`~odoo.addons.interop.errors.MessageHeld` when a timing rule
says the message is early (an invoice before the service date, a payment before its
invoice). The message is then *held*, with the reason and the time it is released;
the scheduled action *Interop: release held messages* queues it again when due, and
the handler checks the rule again: a message is held as often as it is early.
"""

import time

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .interop_message import HELD, QUEUED

#: held messages one run of the release cron queues at most
RELEASE_BATCH = 500


class InteropMessageAttempt(models.Model):
    _inherit = "interop.message.attempt"

    result = fields.Selection(
        selection_add=[("held", "Held")], ondelete={"held": "set default"}
    )


class InteropMessage(models.Model):
    _inherit = "interop.message"

    date_release = fields.Datetime(
        string="Held Until",
        readonly=True,
        index="btree_not_null",
        help="A held message is processed again at this time, and checked again.",
    )
    hold_reason = fields.Char(
        string="Held Because",
        readonly=True,
        help="The rule that holds the message, in words.",
    )

    def _hold_until(self, held, attempt, start):
        """Hold the message (being processed) until ``held.release_at``: what its
        handler did is rolled back already; ``attempt`` says it was held, and why."""
        self.ensure_one()
        duration = int((time.monotonic() - start) * 1000)
        now = fields.Datetime.now()
        self._set_state(
            HELD,
            date_finished=now,
            duration_ms=duration,
            date_release=held.release_at or now,
            hold_reason=(held.reason or "")[:250],
            **self._hold_vals(held),
        )
        attempt.write(
            {
                "date_finished": now,
                "duration_ms": duration,
                "result": HELD,
                "note": held.reason,
            }
        )
        return self.env._(
            "Held until %(date)s: %(reason)s",
            date=fields.Datetime.to_string(self.date_release),
            reason=held.reason,
        )

    def _hold_vals(self, held):
        """Values a module stores on the message about the rule that held it (a
        hook: the core stores the reason and the release time)."""
        return {}

    def _release_held(self):
        """Queue the held messages of ``self`` again: the handler checks again."""
        held = self.filtered(lambda m: m.state == HELD)
        for message in held:
            message._set_state(QUEUED, job_uuid=False, date_release=False)
        if held:
            held._dispatch()
        return held

    def _schedule_release(self, when=None):
        """Release the held messages of ``self`` at ``when`` (now by default): what
        they wait for may have happened (e.g. an eligibility confirmed)."""
        held = self.filtered(lambda m: m.state == HELD)
        if held:
            held.sudo().write({"date_release": when or fields.Datetime.now()})
        return held

    def action_release(self):
        """Managers process held messages now: their rules are checked again, so a
        message still early is held again."""
        self._check_operator()
        held = self.filtered(lambda m: m.state == HELD)
        if not held:
            raise UserError(self.env._("Only held messages can be released."))
        audit = self.env["interop.audit.entry"]
        for message in held:
            audit._log(
                "message_released",
                record=message,
                summary=self.env._("Held message released by hand"),
            )
        held._release_held()
        return True


class InteropMessageDispatch(models.AbstractModel):
    """The dispatch gives held messages back to the processing jobs when due."""

    _inherit = "interop.message.dispatch"

    @api.model
    def _cron_release_held(self, limit=RELEASE_BATCH):
        """Queue again the held messages whose time has come, oldest first, at most
        ``limit`` per call (Odoo calls again while more are due)."""
        self.env.flush_all()
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM interop_message
                 WHERE state = %(held)s AND date_release <= %(now)s
                 ORDER BY date_release, id
                 LIMIT %(limit)s
                   FOR NO KEY UPDATE SKIP LOCKED
                """,
                held=HELD,
                now=now,
                limit=limit,
            )
        )
        due = self.env["interop.message"].browse(
            row[0] for row in self.env.cr.fetchall()
        )
        released = due._release_held()
        remaining = 0
        if len(due) >= limit:
            remaining = self.env["interop.message"].search_count(
                [("state", "=", HELD), ("date_release", "<=", now)]
            )
        self.env["ir.cron"]._notify_progress(done=len(released), remaining=remaining)
        return released
