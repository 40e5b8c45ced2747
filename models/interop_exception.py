# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import json
import logging
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

from .interop_exception_category import SEVERITIES
from .interop_exception_link import PERSON_MODELS

_logger = logging.getLogger(__name__)

OPEN_STATES = ("open", "in_progress")
ACTIVITY_TYPE = "interop.mail_act_interop_exception"
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
    _inherit = ["mail.thread", "mail.activity.mixin"]
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
    suggested_action = fields.Text(readonly=True)
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
        string="First Seen", default=fields.Datetime.now, readonly=True
    )
    date_last = fields.Datetime(
        string="Last Seen", default=fields.Datetime.now, readonly=True
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
    date_closed = fields.Datetime(readonly=True)
    closing_reason = fields.Text(readonly=True, tracking=True)
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

    @api.model
    def _raise_for_message(self, message, error):
        """Open (or update) the exception of ``message`` for a processing ``error``.

        The same message failing again updates its open exception (occurrences, last
        error) instead of opening a second one with a second activity.
        """
        existing = self.sudo().search(
            [("affected_message_ids", "in", message.ids), ("state", "in", OPEN_STATES)],
            limit=1,
        )
        now = fields.Datetime.now()
        if existing:
            existing.write(
                {
                    "occurrence_count": existing.occurrence_count + 1,
                    "date_last": now,
                    "description": error.summary,
                    "technical_detail": error.detail,
                }
            )
            existing.message_post(
                body=self.env._(
                    "Failed again (attempt %(attempt)s): %(error)s",
                    attempt=message.attempt_count,
                    error=error.summary,
                ),
                subtype_xmlid="mail.mt_note",
            )
            return existing
        return self._open(
            error,
            message=message,
            endpoint=message.endpoint_id,
            event_type=message.event_type_id,
        )

    @api.model
    def _open(self, error, message=None, endpoint=None, event_type=None):
        """Open an exception for ``error`` and give its owner an activity."""
        Category = self.env["interop.exception.category"].sudo()
        category = Category.search([("code", "=", error.category)], limit=1)
        if not category:
            category = Category.search([("code", "=", "technical")], limit=1)
        endpoint = endpoint or self.env["interop.endpoint"]
        event_type = event_type or self.env["interop.event.type"]
        company = endpoint.company_id or self.env.company
        fingerprint = self._fingerprint(error, category, endpoint, event_type, company)
        existing = self.sudo().search(
            [("fingerprint", "=", fingerprint), ("state", "in", OPEN_STATES)], limit=1
        )
        if existing:
            existing._add_occurrence(message, error)
            return existing
        user, team = self._route(error, endpoint, event_type, category, company)
        now = fields.Datetime.now()
        records = error.iter_records()
        record = records[0] if records else None
        table = getattr(error, "table", None)
        vals = {
            "name": error.summary[:250],
            "description": error.summary,
            "suggested_action": error.suggested_action or category.suggested_action,
            "technical_detail": error.detail,
            "category_id": category.id,
            "severity": error.severity or category.severity,
            "message_id": message.id if message else False,
            "endpoint_id": endpoint.id,
            "event_type_id": event_type.id,
            "company_id": company.id,
            "user_id": user.id,
            "team_id": team.id,
            "date_first": now,
            "date_last": now,
            "date_deadline": now + timedelta(hours=category.sla_hours),
            # the record to fix: a mapping error's table (Fix Mapping), else the
            # first record the error is about
            "res_model": table._name if table else (record._name if record else False),
            "res_id": table.id if table else (record.id if record else False),
            "mapping_table_code": getattr(table, "code", False) or False,
            "mapping_code": getattr(error, "code", False) or False,
            "fingerprint": fingerprint,
            "affected_message_ids": [Command.link(message.id)] if message else [],
        }
        vals.update(self._prepare_context_vals(error, company))
        exception = self.sudo().with_context(mail_create_nolog=True).create([vals])
        exception._schedule_owner_activity()
        return exception

    @api.model
    def _prepare_context_vals(self, error, company):
        """The records ``error`` is about (links) and who can fix what the
        exception's owner cannot (from the systems of record)."""
        records = list(error.iter_records())
        table = getattr(error, "table", None)
        if table and (table._name, table.id) not in [(r._name, r.id) for r in records]:
            records.append(table)
        vals = {
            "link_ids": [
                Command.create(
                    {"res_model": r._name, "res_id": r.id, "sequence": sequence}
                )
                for sequence, r in enumerate(records)
            ]
        }
        facts = getattr(error, "facts", None) or []
        if facts:
            vals["business_context"] = "\n".join(
                f"{label}: {value}" for label, value in facts
            )
        fixer, hint = self._find_fixer(error, records, company)
        if fixer:
            vals.update(fixer_id=fixer.id, fix_hint=hint)
        return vals

    @api.model
    def _find_fixer(self, error, records, company):
        """(user, what to ask them): the data owner of a record to create or
        correct, from the systems of record; (empty, None) when none is named."""
        SystemOfRecord = self.env["interop.system.of.record"]
        # sudo: the processing user (an endpoint's service user) reads the table
        # and its target model for the exception, not for itself
        table = getattr(error, "table", None)
        table = table.sudo() if table else None
        code = getattr(error, "code", None)
        if table and table.target_type == "record" and table.target_model and code:
            rule = SystemOfRecord._find(table.target_model, company)
            owner = rule._get_data_owner() if rule else None
            if owner:
                return owner, self.env._(
                    "Ask %(owner)s (%(what)s) to create the %(model)s for code "
                    "%(code)s if Odoo has none; then %(table_owner)s maps the code "
                    "in %(table)s and the message is retried.",
                    owner=owner.name,
                    what=rule._get_owner_label(),
                    model=table.target_model_id.name,
                    code=code,
                    table_owner=table.owner_id.name,
                    table=table.name,
                )
        for record in records:
            rule = SystemOfRecord._find(record._name, company)
            owner = rule._get_data_owner() if rule else None
            if owner:
                return owner, self.env._(
                    "Ask %(owner)s (%(what)s) to correct %(model)s %(record)s; then "
                    "retry.",
                    owner=owner.name,
                    what=rule._get_owner_label(),
                    model=self.env["ir.model"].sudo()._get(record._name).name,
                    record=f"#{record.id}"
                    if record._name in PERSON_MODELS
                    else record.sudo().display_name,
                )
        return self.env["res.users"], None

    @api.model
    def _fingerprint(self, error, category, endpoint, event_type, company):
        """One root cause: where it happened and the failure in its words (a
        summary names the record or the code when the cause is per record)."""
        key = [
            company.id,
            category.code,
            endpoint.id,
            event_type.id,
            type(error).__name__,
            error.summary,
        ]
        return hashlib.sha256(json.dumps(key).encode()).hexdigest()

    def _add_occurrence(self, message=None, error=None):
        """The same cause again: counted, its message and records listed, no new
        activity."""
        self.ensure_one()
        vals = {
            "occurrence_count": self.occurrence_count + 1,
            "date_last": fields.Datetime.now(),
        }
        if message:
            vals["affected_message_ids"] = [Command.link(message.id)]
        if error is not None:
            linked = {(link.res_model, link.res_id) for link in self.sudo().link_ids}
            vals["link_ids"] = [
                Command.create(
                    {"res_model": r._name, "res_id": r.id, "sequence": len(linked) + i}
                )
                for i, r in enumerate(error.iter_records())
                if (r._name, r.id) not in linked
            ]
        # sudo: server code records what happened, whoever's job ran into it
        self.sudo()._write_workflow(vals)
        self.sudo().message_post(
            body=self.env._(
                "Occurred again (%(count)s times)%(message)s.",
                count=self.occurrence_count,
                message=self.env._(": %(name)s", name=message.display_name)
                if message
                else "",
            ),
            subtype_xmlid="mail.mt_note",
        )

    @api.model
    def _settle_for_messages(self, messages, state, reason):
        """Close the open exceptions of ``messages`` whose every affected message
        is over (done or cancelled); the others wait for theirs."""
        exceptions = self.sudo().search(
            [("affected_message_ids", "in", messages.ids), ("state", "in", OPEN_STATES)]
        )
        over = exceptions.filtered(
            lambda e: all(
                m.state in ("done", "cancelled") for m in e.affected_message_ids
            )
        )
        over._close(state, reason)
        return over

    @api.model
    def _route(self, error, endpoint, event_type, category, company):
        """(user, team) owning an exception: the error's own owner (e.g. a mapping
        table's), then the routing rules, then the event type's owner, then the
        endpoint's."""
        Users = self.env["res.users"]
        Team = self.env["interop.team"]
        owner = error.owner
        if owner and owner._name == "res.users":
            # a mapping table's owner works it with the table's team, else the
            # team of the routing rules
            table = getattr(error, "table", None)
            team = table.sudo().team_id if table else Team
            if not team:
                rule = self.env["interop.exception.rule"]._match(
                    endpoint, event_type, category, company
                )
                team = rule.team_id
            return owner, team
        if owner and owner._name == "interop.team":
            return owner.lead_id, owner
        rule = self.env["interop.exception.rule"]._match(
            endpoint, event_type, category, company
        )
        if rule:
            return rule.user_id or rule.team_id.lead_id, rule.team_id
        if event_type.business_owner_id or event_type.team_id:
            return (
                event_type.business_owner_id or event_type.team_id.lead_id,
                event_type.team_id,
            )
        if endpoint.business_owner_id or endpoint.team_id:
            return (
                endpoint.business_owner_id or endpoint.team_id.lead_id,
                endpoint.team_id,
            )
        return Users, Team

    def _hand_over_owner_activity(self):
        """The owner's activity follows an open exception to its new owner."""
        activity_type = self.env.ref(ACTIVITY_TYPE)
        for exception in self.filtered(lambda e: e.state in OPEN_STATES):
            # sudo: the activity is the previous owner's, which the new owner and the
            # person handing over may not write; it moves with the exception
            activities_sudo = exception.sudo().activity_ids.filtered(
                lambda a, t=activity_type: a.activity_type_id == t
            )
            if not activities_sudo:
                exception._schedule_owner_activity()
            activities_sudo.filtered(
                lambda a, e=exception: a.user_id != e.user_id
            ).write({"user_id": exception.user_id.id})

    def _schedule_owner_activity(self):
        for exception in self.filtered("user_id"):
            exception.activity_schedule(
                ACTIVITY_TYPE,
                date_deadline=fields.Date.to_date(exception.date_deadline),
                user_id=exception.user_id.id,
                summary=exception.name[:120],
                note=exception.suggested_action or "",
            )

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
