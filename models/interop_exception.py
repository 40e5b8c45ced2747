# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .interop_exception_category import SEVERITIES
from .interop_exception_routing import ACTIVITY_TYPE, OPEN_STATES

_logger = logging.getLogger(__name__)

ESCALATION_TYPE = "interop.mail_act_interop_escalation"

#: What the people working an exception change directly (tracked in the chatter): who
#: owns it, its team and how urgent it is. Everything else is written either by the
#: code that raises the exception (what happened, on which message, endpoint, event
#: type, category, record) or by the workflow methods (state, closing, escalation).
USER_FIELDS = ("user_id", "team_id", "severity")
# The workflow methods carry this object in their context to write the workflow
# fields (state, closing reason, dates...). An object cannot travel through RPC: no
# client-supplied context unlocks these fields.
_WORKFLOW_WRITE = object()
WORKFLOW_KEY = "interop_exception_workflow"
#: Retry processes up to this many failed messages at once, in the request of the
#: person who presses it; more are queued. Measured: the processing benchmark takes
#: 4 ms a message in a batch, 14 ms alone; the demo's first attempts, on a loaded
#: 2-core machine with cold caches, 0.7 s on average (1.9 s at most).
RETRY_AT_ONCE_LIMIT = 10


class InteropException(models.Model):
    """A failed transaction, told in words to the person who can fix it."""

    _name = "interop.exception"
    _description = "Integration Exception"
    _inherit = ["mail.thread", "mail.activity.mixin", "interop.exception.routing"]
    _order = "date_deadline, id desc"
    _check_company_auto = True

    name = fields.Char(string="Summary", required=True, readonly=True, tracking=True)
    state = fields.Selection(
        [
            ("open", "Open"),
            ("in_progress", "In Progress"),
            ("resolved", "Resolved"),
            ("dismissed", "Dismissed"),
        ],
        default="open",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
        group_expand=True,
    )
    category_id = fields.Many2one(
        "interop.exception.category", required=True, readonly=True, index=True
    )
    category_code = fields.Char(related="category_id.code")
    severity = fields.Selection(
        SEVERITIES, required=True, default="medium", tracking=True
    )
    message_id = fields.Many2one("interop.message", readonly=True, index=True)
    message_state = fields.Selection(related="message_id.state", string="Message State")
    correlation_id = fields.Char(related="message_id.correlation_id")
    business_key = fields.Char(related="message_id.business_key", store=True)
    endpoint_id = fields.Many2one(
        "interop.endpoint", readonly=True, index=True, check_company=True
    )
    event_type_id = fields.Many2one("interop.event.type", readonly=True, index=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        tracking=True,
        index=True,
        domain="[('share', '=', False)]",
    )
    team_id = fields.Many2one("interop.team", tracking=True, index=True)
    description = fields.Text(
        string="What Happened", readonly=True, help="In words, without patient data."
    )
    suggested_action = fields.Text(readonly=True, help="What to do to fix the problem.")
    technical_detail = fields.Text(
        readonly=True, groups="interop.group_interop_manager"
    )
    occurrence_count = fields.Integer(string="Occurrences", default=1, readonly=True)
    fingerprint = fields.Char(
        readonly=True,
        index=True,
        copy=False,
        help="The root cause: category, endpoint, event type and the failure in its "
        "words. While one is open, the same cause adds an occurrence to it.",
    )
    affected_message_ids = fields.Many2many(
        "interop.message",
        "interop_exception_message_rel",
        "exception_id",
        "message_id",
        string="Affected Messages",
        readonly=True,
    )
    date_first = fields.Datetime(
        string="First Seen",
        default=fields.Datetime.now,
        readonly=True,
        help="When the problem first happened.",
    )
    date_last = fields.Datetime(
        string="Last Seen",
        default=fields.Datetime.now,
        readonly=True,
        help="When the problem last happened (see Occurrences for how often).",
    )
    date_deadline = fields.Datetime(string="Deadline", readonly=True, index=True)
    is_overdue = fields.Boolean(
        compute="_compute_is_overdue", search="_search_is_overdue"
    )
    can_work = fields.Boolean(
        compute="_compute_can_work",
        help="Whether the current user works this exception (its buttons).",
    )
    is_escalated = fields.Boolean(string="Escalated", readonly=True, tracking=True)
    date_escalated = fields.Datetime(readonly=True)
    date_closed = fields.Datetime(
        readonly=True, help="When the exception was resolved or dismissed."
    )
    closing_reason = fields.Text(
        readonly=True,
        tracking=True,
        help="Why the exception was resolved or dismissed, in the words of who "
        "closed it.",
    )
    res_model = fields.Char(string="Related Model", readonly=True)
    res_id = fields.Many2oneReference(
        string="Related Record ID", model_field="res_model", readonly=True
    )
    mapping_table_code = fields.Char(readonly=True)
    mapping_code = fields.Char(string="Unmapped Code", readonly=True)
    link_ids = fields.One2many(
        "interop.exception.link",
        "exception_id",
        string="Related Records",
        readonly=True,
        help="Every record this exception is about: open them from here.",
    )
    business_context = fields.Text(
        string="Details",
        readonly=True,
        help="The business facts of the failure (codes, dates, location): what to "
        "look for in the other system.",
    )
    fixer_id = fields.Many2one(
        "res.users",
        string="Who Can Fix",
        readonly=True,
        help="The person who owns the data to correct or create, when it is not "
        "yours to change (the data owner in Systems of Record).",
    )
    fix_hint = fields.Text(
        string="Ask",
        readonly=True,
        help="What to ask of the person who can fix it.",
    )

    @api.depends_context("uid")
    def _compute_can_work(self):
        workable = self._filtered_access("write")
        for exception in self:
            exception.can_work = exception in workable

    @api.depends("date_deadline", "state")
    def _compute_is_overdue(self):
        now = fields.Datetime.now()
        for exception in self:
            exception.is_overdue = bool(
                exception.state in OPEN_STATES
                and exception.date_deadline
                and exception.date_deadline < now
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on overdue exceptions."))
        overdue = [
            ("state", "in", OPEN_STATES),
            ("date_deadline", "<", fields.Datetime.now()),
        ]
        positive = (operator == "=") == value
        return overdue if positive else ["!", "&", *overdue]

    def write(self, vals):
        self._check_protected_fields(vals)
        if "user_id" in vals or "team_id" in vals:
            self._check_assignment(vals)
        result = super().write(vals)
        if vals.get("user_id"):
            self._hand_over_owner_activity()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_history(self):
        # the retention cron deletes the rows it prunes with SQL; nothing else deletes
        raise UserError(
            self.env._(
                "Exceptions cannot be deleted: resolve or dismiss them, with a reason."
            )
        )

    # Who writes what

    def _get_interop_user_fields(self):
        """Fields people change directly; modules extending the model add theirs."""
        return USER_FIELDS

    def _check_protected_fields(self, vals):
        """Only server code (``sudo``) and the workflow methods write the rest."""
        if self.env.su or self.env.context.get(WORKFLOW_KEY) is _WORKFLOW_WRITE:
            return
        # the chatter's own fields (followers, activities) are mail's business
        mail_fields = set(self.env["mail.thread"]._fields) | set(
            self.env["mail.activity.mixin"]._fields
        )
        forbidden = set(vals) - set(self._get_interop_user_fields()) - mail_fields
        if forbidden:
            raise AccessError(
                self.env._(
                    "An exception changes state only through its buttons (Start, "
                    "Retry, Mark Resolved, Dismiss with a reason), and what happened "
                    "is kept as it was raised: %(fields)s cannot be written directly.",
                    fields=", ".join(
                        self._fields[f].get_description(self.env)["string"]
                        if f in self._fields
                        else f
                        for f in sorted(forbidden)
                    ),
                )
            )

    def _check_assignment(self, vals):
        """A new owner or team belongs to the exception's company (owners: internal
        users of it); a hand-over never reaches a person who cannot work it."""
        if self.env.su:
            return
        # sudo: the new owner's companies and the team's company are checked here,
        # whatever the current user may read of users and teams
        user_sudo = self.env["res.users"].sudo().browse(vals.get("user_id") or [])
        team_sudo = self.env["interop.team"].sudo().browse(vals.get("team_id") or [])
        for exception in self:
            company = exception.company_id
            if user_sudo and (user_sudo.share or company not in user_sudo.company_ids):
                raise UserError(
                    self.env._(
                        "%(user)s cannot own exceptions of %(company)s: choose an "
                        "internal user of that company.",
                        user=user_sudo.name,
                        company=company.name,
                    )
                )
            if team_sudo and team_sudo.company_id != company:
                raise UserError(
                    self.env._(
                        "Team %(team)s belongs to another company than %(company)s.",
                        team=team_sudo.name,
                        company=company.name,
                    )
                )

    def _check_workable(self):
        """People act on the exceptions they may work: their own and their team's,
        every one for managers; auditors none."""
        self.check_access("write")

    def _write_workflow(self, vals):
        """Write workflow fields (state, closing...): for the workflow methods only.

        Private (a leading underscore): RPC cannot call it. Not ``sudo``: the record
        rules of the current user still apply.
        """
        return self.with_context(**{WORKFLOW_KEY: _WORKFLOW_WRITE}).write(vals)

    # Raising

    # Working the queue

    def action_start(self):
        self._check_workable()
        for exception in self.filtered(lambda e: e.state == "open"):
            vals = {"state": "in_progress"}
            if not exception.user_id:
                vals["user_id"] = self.env.uid
            exception._write_workflow(vals)
        return True

    def action_retry(self):
        """Replay the failed messages of these exceptions (e.g. after a fix).

        A few messages are processed at once, in this request, and the notification
        says how it went (the form shows the exception resolved, or what failed
        again); more are queued for the processing jobs.
        """
        # whoever may work these exceptions may replay their messages
        self._check_workable()
        messages = self.filtered(lambda e: e.state in OPEN_STATES).affected_message_ids
        failed = messages.filtered(lambda m: m.state == "failed")
        if not failed:
            raise UserError(
                self.env._("None of these exceptions has a failed message to retry.")
            )
        self.filtered(lambda e: e.state == "open")._write_workflow(
            {"state": "in_progress"}
        )
        now = len(failed) <= RETRY_AT_ONCE_LIMIT
        failed._replay(now=now)
        reload = {"type": "ir.actions.client", "tag": "soft_reload"}
        pending = failed.filtered(lambda m: m.state in ("queued", "processing"))
        if pending:
            title = self.env._("Retry queued")
            notice_type = "info"
            message = self.env._(
                "%(count)s message(s) queued again: processed within a minute. "
                "The exception resolves itself once it goes through, or comes "
                "back with what failed.",
                count=len(pending),
            )
        elif failed.filtered(lambda m: m.state == "failed"):
            title = self.env._("Retry failed")
            notice_type = "warning"
            message = self.env._(
                "%(failed)s of %(count)s message(s) failed again: the exception says "
                "what failed.",
                failed=len(failed.filtered(lambda m: m.state == "failed")),
                count=len(failed),
            )
        else:
            title = self.env._("Retry succeeded")
            notice_type = "success"
            message = self.env._(
                "%(count)s message(s) processed successfully.", count=len(failed)
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": notice_type,
                "title": title,
                "message": message,
                "next": reload,
            },
        }

    def action_resolve(self):
        self._check_workable()
        self._close(
            "resolved", self.env._("Resolved by %(user)s", user=self.env.user.name)
        )
        return True

    def action_open_dismiss_wizard(self):
        self._check_workable()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Dismiss Exceptions"),
            "res_model": "interop.exception.dismiss",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def _dismiss(self, reason):
        self._check_workable()
        if not (reason or "").strip():
            raise UserError(self.env._("Dismissing an exception needs a reason."))
        self._close("dismissed", reason)
        audit = self.env["interop.audit.entry"]
        for exception in self:
            audit._log(
                "exception_dismissed",
                record=exception,
                summary=self.env._("Exception dismissed"),
                details={"reason": reason},
            )

    def _close(self, state, reason):
        to_close = self.filtered(lambda e: e.state in OPEN_STATES)
        if not to_close:
            return
        to_close._write_workflow(
            {
                "state": state,
                "closing_reason": reason,
                "date_closed": fields.Datetime.now(),
            }
        )
        for exception in to_close:
            exception.activity_feedback(
                [ACTIVITY_TYPE, ESCALATION_TYPE], feedback=reason
            )

    @api.model
    def _resolve_for_messages(self, messages):
        """``messages`` went through: their exceptions are resolved once every
        message they are about did."""
        return self._settle_for_messages(
            messages,
            "resolved",
            self.env._("The affected messages were processed successfully."),
        )

    def action_open_message(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "interop.message",
            "res_id": self.message_id.id,
            "view_mode": "form",
        }

    def action_open_related(self):
        """Open the record to fix (e.g. the mapping table missing a code)."""
        self.ensure_one()
        if not self.res_model or not self.res_id:
            raise UserError(self.env._("This exception has no related record."))
        if self.res_model == "interop.mapping.table":
            # the owner adds the missing line, its code filled in, then retries
            code = (self.mapping_code or "").split(",")[0].strip()
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Map %(code)s", code=code),
                "res_model": "interop.mapping.line",
                "view_mode": "form",
                "views": [(False, "form")],
                "target": "new",
                "context": {
                    "default_table_id": self.res_id,
                    "default_external_code": code,
                },
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    # Escalation

    @api.model
    def _cron_escalate(self, batch_size=200):
        """Escalate exceptions past their deadline to the team lead or a manager."""
        overdue = self.search(
            [
                ("state", "in", OPEN_STATES),
                ("is_escalated", "=", False),
                ("date_deadline", "<", fields.Datetime.now()),
            ],
            limit=batch_size,
        )
        managers = self.env.ref("interop.group_interop_manager").users
        for exception in overdue:
            escalate_to = exception.team_id.lead_id
            if not escalate_to or escalate_to == exception.user_id:
                escalate_to = (managers - exception.user_id).filtered(
                    lambda u, c=exception.company_id: c in u.company_ids
                )[:1]
            exception._write_workflow(
                {"is_escalated": True, "date_escalated": fields.Datetime.now()}
            )
            # sudo: the escalation comes from Odoo itself; the technical user running
            # the schedule has no mailbox to notify the lead from
            chatter = exception.sudo()
            if escalate_to:
                chatter.activity_schedule(
                    ESCALATION_TYPE,
                    date_deadline=fields.Date.context_today(exception),
                    user_id=escalate_to.id,
                    summary=self.env._("Overdue: %(name)s", name=exception.name[:100]),
                    note=self.env._(
                        "%(owner)s has not resolved this exception within its SLA.",
                        owner=exception.user_id.name or self.env._("Nobody"),
                    ),
                )
            chatter.message_post(
                body=self.env._(
                    "Escalated to %(user)s: the deadline has passed.",
                    user=escalate_to.name or self.env._("nobody (no manager found)"),
                ),
                subtype_xmlid="mail.mt_note",
            )
        self.env["ir.cron"]._notify_progress(
            done=len(overdue), remaining=1 if len(overdue) >= batch_size else 0
        )
        return overdue

    @api.model
    def _action_open_queue(self):
        """The Exceptions menu: the open exceptions one owns to whoever owns some;
        every open exception one may read to the others (an auditor, a manager with
        none assigned), rather than an empty list."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "interop.interop_exception_action"
        )
        if not self.search_count(
            [("user_id", "=", self.env.uid), ("state", "in", OPEN_STATES)], limit=1
        ):
            action["context"] = {"search_default_open": 1}
        return action
