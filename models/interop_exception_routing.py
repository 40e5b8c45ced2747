# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import json
from datetime import timedelta

from odoo import Command, api, fields, models

from .interop_exception_link import PERSON_MODELS

OPEN_STATES = ("open", "in_progress")
ACTIVITY_TYPE = "interop.mail_act_interop_exception"
#: Odoo's mail queue (sends the queued emails)
MAIL_QUEUE_CRON = "mail.ir_cron_mail_scheduler_action"
#: how a new exception is created: what happened is in its fields and its owner's
#: activity (with its email), not in chatter lines nobody reads. No creation log, no
#: tracking of the values it was raised with, no follower computed from them nor an
#: "assigned to you" email beside the activity's; the owner follows it through the
#: activity, the job's user (the gateway's public user, a cron's) does not.
OPEN_QUIETLY = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
}


class InteropExceptionRouting(models.AbstractModel):
    """How a failure becomes work for a person: the exception opened once per root
    cause (its fingerprint), counted again when it recurs, routed to its owner and
    team, with one activity for that owner. Inherited by ``interop.exception``."""

    _name = "interop.exception.routing"
    _description = "Exception Routing"

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
        Exception_ = self.sudo()
        exception = (
            Exception_.with_context(**OPEN_QUIETLY)
            .create([vals])
            .with_env(Exception_.env)
        )
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
            return rule._get_interop_owner()
        for owned in (event_type, endpoint):
            user, team = owned._get_interop_owner()
            if user or team:
                return user, team
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
        """The owner's activity, and its email to the owner queued for Odoo's mail
        queue, which is told to run: not sent by the processing job at its commit
        (a failing message cost what 15-20 good ones cost, bench/README.md)."""
        owned = self.filtered("user_id")
        for exception in owned:
            exception.with_context(mail_notify_force_send=False).activity_schedule(
                ACTIVITY_TYPE,
                date_deadline=fields.Date.to_date(exception.date_deadline),
                user_id=exception.user_id.id,
                summary=exception.name[:120],
                note=exception.suggested_action or "",
            )
        if owned:
            mail_queue = self.env.ref(MAIL_QUEUE_CRON, raise_if_not_found=False)
            if mail_queue:
                mail_queue.sudo()._trigger()
