# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression

from .interop_change_request_diff import schema_breaking_changes

ACTIVITY_TYPE = "interop.mail_act_interop_change_review"

# Only the workflow's methods create change requests and write their workflow fields:
# their writes carry this object in the context, which no RPC call can send.
_WORKFLOW = object()
WORKFLOW_KEY = "interop_change_workflow"
#: what the author edits directly, while the request is a draft
AUTHOR_FIELDS = {"reason", "risk_notes"}
#: ir.config_parameter: business owners approve the changes of their objects too
BUSINESS_OWNER_APPROVES_PARAM = "interop.change_business_owner_approves"
#: the governed objects that have a business owner
OWNED_MODELS = ("interop.endpoint", "interop.event.type")


class InteropChangeRequest(models.Model):
    """A change of governed configuration: drafted, reviewed, approved, applied."""

    _name = "interop.change.request"
    _description = "Interface Change Request"
    _inherit = ["mail.thread", "mail.activity.mixin", "interop.change.request.diff"]
    _order = "id desc"

    name = fields.Char(default="/", readonly=True, copy=False)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("submitted", "Submitted"),
            ("applied", "Approved and Applied"),
            ("rejected", "Rejected"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    kind = fields.Selection(
        [("update", "Update"), ("rollback", "Rollback")],
        default="update",
        required=True,
        readonly=True,
    )
    res_model = fields.Char(string="Object Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="Object ID", model_field="res_model", required=True, readonly=True
    )
    res_name = fields.Char(string="Object", readonly=True)
    values_json = fields.Text(string="New Values", required=True, readonly=True)
    old_values_json = fields.Text(string="Values When Requested", readonly=True)
    diff_html = fields.Html(
        string="Changes", compute="_compute_diff_html", sanitize=False
    )
    reason = fields.Text(string="Why", tracking=True)
    risk_notes = fields.Text(string="Risk and Impact", tracking=True)
    author_id = fields.Many2one(
        "res.users", default=lambda self: self.env.user, required=True, readonly=True
    )
    approver_id = fields.Many2one("res.users", readonly=True, tracking=True)
    date_submitted = fields.Datetime(readonly=True)
    date_decided = fields.Datetime(readonly=True)
    decision_note = fields.Text(readonly=True, tracking=True)
    version_id = fields.Many2one("interop.config.version", readonly=True)
    rollback_version_id = fields.Many2one("interop.config.version", readonly=True)
    company_id = fields.Many2one(
        "res.company", default=lambda self: self.env.company, readonly=True
    )
    can_decide = fields.Boolean(
        compute="_compute_user_rights",
        help="Whether the current user may approve or reject it now.",
    )
    is_author = fields.Boolean(compute="_compute_user_rights")
    business_owner_id = fields.Many2one(
        "res.users",
        compute="_compute_business_owner_id",
        search="_search_business_owner_id",
        help="The business owner of the endpoint or event type it changes.",
    )
    values_hash = fields.Char(
        string="Submitted Diff Hash",
        readonly=True,
        copy=False,
        help="SHA-256 of what was submitted: approval applies exactly that.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self._in_workflow():
            raise AccessError(
                self.env._(
                    "Change requests are drafted from the object they change (edit "
                    "it, or Roll Back a version), not created directly."
                )
            )
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"].next_by_code("interop.change.request")
                    or "/"
                )
        return super().create(vals_list)

    @api.depends_context("uid")
    @api.depends("state", "author_id")
    def _compute_user_rights(self):
        for request in self:
            request.is_author = request.author_id == self.env.user
            request.can_decide = (
                request.state == "submitted"
                and not request.is_author
                and self.env.user in request._get_approvers()
            )

    @api.depends("res_model", "res_id")
    def _compute_business_owner_id(self):
        for request in self:
            # sudo: who owns the object is shown to whoever reads the request
            target = request.sudo()._target() if request.res_model else None
            request.business_owner_id = (
                target.business_owner_id.id
                if target and "business_owner_id" in target._fields
                else False
            )

    def _search_business_owner_id(self, operator, value):
        if operator not in ("=", "in"):
            raise UserError(self.env._("Unsupported search on the business owner."))
        domain = [("business_owner_id", operator, value)]
        branches = []
        for model in OWNED_MODELS:
            # sudo: which objects the users own, whoever searches
            ids = self.env[model].sudo().with_context(active_test=False).search(domain)
            branches.append(["&", ("res_model", "=", model), ("res_id", "in", ids.ids)])
        return expression.OR(branches)

    def write(self, vals):
        if not self._in_workflow():
            self._check_author_edit(vals)
        return super().write(vals)

    def _in_workflow(self):
        return self.env.context.get(WORKFLOW_KEY) is _WORKFLOW

    def _workflow(self):
        """This recordset, allowed to write the workflow's fields."""
        return self.with_context(**{WORKFLOW_KEY: _WORKFLOW})

    def _check_author_edit(self, vals):
        """Outside the workflow, only the author edits the why and the risk of a
        draft; what changes, who asked and the decision are the workflow's."""
        own = set(self._fields) - set(self.env["mail.thread"]._fields)
        own -= set(self.env["mail.activity.mixin"]._fields)
        workflow = own.intersection(vals) - AUTHOR_FIELDS
        if workflow:
            raise AccessError(
                self.env._(
                    "%(fields)s of a change request are recorded by its workflow "
                    "(Submit, Approve, Reject), not edited.",
                    fields=", ".join(
                        self._fields[f].get_description(self.env)["string"]
                        for f in sorted(workflow)
                    ),
                )
            )
        if AUTHOR_FIELDS.intersection(vals) and not self.env.su:
            others = self.filtered(
                lambda r: r.state != "draft" or r.author_id != self.env.user
            )
            if others:
                raise AccessError(
                    self.env._(
                        "Only its author edits %(names)s, and only while it is a "
                        "draft: what was submitted is what is reviewed.",
                        names=", ".join(others.mapped("name")),
                    )
                )

    def _submitted_hash(self):
        """Digest of what the request changes, as it was submitted."""
        self.ensure_one()
        content = json.dumps(
            [
                self.kind,
                self.res_model,
                self.res_id,
                self.values_json,
                self.old_values_json,
            ]
        )
        return hashlib.sha256(content.encode()).hexdigest()

    # Diff

    def _target(self):
        self.ensure_one()
        return self.env[self.res_model].browse(self.res_id).exists()

    def _values(self):
        return json.loads(self.values_json or "{}")

    def _old_values(self):
        return json.loads(self.old_values_json or "{}")

    @api.depends("values_json", "old_values_json")
    def _compute_diff_html(self):
        for request in self:
            request.diff_html = request._render_diff() if request.res_model else False

    # Drafting

    @api.model
    def _draft_from_edit(self, record, vals, kind="update", version=None, reason=None):
        """A draft request to write ``vals`` (governed fields) on ``record``."""
        new = {f: record._normalise(f, v) for f, v in vals.items()}
        snapshot = record._interop_snapshot()
        request = self._workflow().create(
            {
                "kind": kind,
                "res_model": record._name,
                "res_id": record.id,
                "res_name": record.display_name,
                "values_json": json.dumps(new, sort_keys=True),
                "old_values_json": json.dumps(
                    {f: snapshot.get(f) for f in new}, sort_keys=True
                ),
                "reason": reason,
                "rollback_version_id": version.id if version else False,
                "company_id": getattr(record, "company_id", self.env.company).id
                or self.env.company.id,
            }
        )
        record.message_post(
            body=self.env._(
                "Change request %(name)s drafted: %(fields)s. Applies once approved.",
                name=request.name,
                fields=", ".join(sorted(new)),
            ),
            subtype_xmlid="mail.mt_note",
        )
        self.env["interop.audit.entry"]._log(
            "change_request",
            record=record,
            summary=self.env._("Change request %(name)s drafted", name=request.name),
            details={"change_request": request.name, "fields": sorted(new)},
        )
        return request.with_env(self.env)

    # Workflow

    @api.model
    def _approver_group(self):
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("interop.change_approver_group_id")
        )
        group = self.env["res.groups"].browse(int(param)).exists() if param else None
        return group or self.env.ref("interop.group_interop_manager")

    def _get_approvers(self):
        """Who may approve this request: the change approvers, and its object's
        business owner when the governance settings name them. Never its author
        (checked where it is decided)."""
        self.ensure_one()
        approvers = self._approver_group().users
        if self._business_owner_approves():
            approvers |= self.business_owner_id
        return approvers

    @api.model
    def _business_owner_approves(self):
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(BUSINESS_OWNER_APPROVES_PARAM)
        )
        return param not in (False, "", "False", "0")

    def _as_decider(self):
        """This request, for its approver to apply: with their own rights when they
        are change approvers; a business owner approving (``_check_can_decide``
        passed) has no right to write configuration, so the change is applied with
        the rights of Odoo itself, in their name."""
        self.ensure_one()
        if self.env.user in self._approver_group().users:
            self.check_access("write")
            return self
        # sudo keeps the user: approver_id, the audit trail and the chatter name them
        return self.sudo()

    def action_submit(self):
        self.check_access("write")
        for request in self:
            if request.state != "draft":
                raise UserError(self.env._("Only draft change requests are submitted."))
            if request.author_id != self.env.user and not self.env.su:
                raise AccessError(
                    self.env._("Only its author submits %(name)s.", name=request.name)
                )
            if not (request.reason or "").strip():
                raise UserError(
                    self.env._(
                        "Say why %(name)s is needed before submitting it.",
                        name=request.name,
                    )
                )
            request._check_governance()
            request._workflow().write(
                {
                    "state": "submitted",
                    "date_submitted": fields.Datetime.now(),
                    "values_hash": request._submitted_hash(),
                }
            )
            approvers = request._get_approvers() - request.author_id
            for approver in approvers.filtered(lambda u: not u.share and u.active):
                request.activity_schedule(
                    ACTIVITY_TYPE,
                    user_id=approver.id,
                    summary=self.env._("Review %(name)s", name=request.name),
                    note=request.reason,
                )
            # the business owner hears of every change to what they own
            owner = request.business_owner_id
            if owner and owner not in approvers | request.author_id and owner.active:
                request.activity_schedule(
                    ACTIVITY_TYPE,
                    user_id=owner.id,
                    summary=self.env._(
                        "Change to %(object)s you own: %(name)s",
                        object=request.res_name,
                        name=request.name,
                    ),
                    note=request.reason,
                )
            request.message_post(
                body=self.env._("Submitted for approval."), subtype_xmlid="mail.mt_note"
            )
        return True

    def action_approve(self):
        # the approvers are checked per request (the group, or the object's
        # business owner when the settings name them), then the request is applied
        self.check_access("read")
        for request in self:
            request._check_can_decide()
            request = request._as_decider()
            request._check_governance()
            request._apply()
        return True

    def action_reject(self):
        self.check_access("read")
        for request in self:
            request._check_can_decide()
            request = request._as_decider()
            request._workflow().write(
                {
                    "state": "rejected",
                    "approver_id": self.env.uid,
                    "date_decided": fields.Datetime.now(),
                    "decision_note": self.env.context.get("interop_decision_note"),
                }
            )
            request.activity_unlink([ACTIVITY_TYPE])
            request.message_post(
                body=self.env._("Rejected by %(user)s.", user=self.env.user.name),
                subtype_xmlid="mail.mt_comment",
                partner_ids=request.author_id.partner_id.ids,
            )
            self.env["interop.audit.entry"]._log(
                "change_rejected",
                record=request,
                summary=self.env._(
                    "Change request %(name)s rejected", name=request.name
                ),
            )
        return True

    def action_cancel(self):
        self.check_access("write")
        for request in self.filtered(lambda r: r.state in ("draft", "submitted")):
            if request.author_id != self.env.user and not self.env.user.has_group(
                "interop.group_interop_manager"
            ):
                raise AccessError(
                    self.env._("Only its author cancels a change request.")
                )
            request._workflow().state = "cancelled"
            request.activity_unlink([ACTIVITY_TYPE])
        return True

    def _check_can_decide(self):
        """Who decides (never the author; an approver), then whether it waits."""
        self.ensure_one()
        if self.author_id == self.env.user:
            raise AccessError(
                self.env._(
                    "%(name)s was requested by you: another approver must decide.",
                    name=self.name,
                )
            )
        if self.env.user not in self._get_approvers():
            raise AccessError(
                self.env._(
                    "Only members of %(group)s approve or reject change requests"
                    "%(owner)s.",
                    group=self._approver_group().full_name,
                    owner=self.env._(", and the business owner of what they change")
                    if self._business_owner_approves()
                    else "",
                )
            )
        if self.state != "submitted":
            raise UserError(
                self.env._("%(name)s is not waiting for a decision.", name=self.name)
            )
        if self.values_hash != self._submitted_hash():
            raise UserError(
                self.env._(
                    "%(name)s is no longer what was submitted: it cannot be approved. "
                    "Draft a new request.",
                    name=self.name,
                )
            )

    def _check_governance(self):
        """Checks before approval: the reviewed diff still applies, and the result
        meets the governance rules (owners, classification, https, schema)."""
        self.ensure_one()
        record = self._target()
        if not record:
            raise UserError(
                self.env._("The object of %(name)s no longer exists.", name=self.name)
            )
        current = record._interop_snapshot()
        stale = [f for f, v in self._old_values().items() if current.get(f) != v]
        if stale:
            raise UserError(
                self.env._(
                    "%(object)s changed since %(name)s was drafted (%(fields)s): "
                    "draft a new request, so that what is approved is what was "
                    "reviewed.",
                    object=record.display_name,
                    name=self.name,
                    fields=", ".join(stale),
                )
            )
        new = self._values()
        after = {**current, **new}
        problems = []
        if "code" in new and not after.get("code"):
            problems.append(self.env._("a code"))
        if "business_owner_id" in new and not after.get("business_owner_id"):
            problems.append(self.env._("a business owner"))
        if "data_classification" in new and not after.get("data_classification"):
            problems.append(self.env._("a data classification"))
        if problems:
            raise ValidationError(
                self.env._(
                    "%(name)s would leave %(object)s without %(missing)s.",
                    name=self.name,
                    object=record.display_name,
                    missing=", ".join(problems),
                )
            )
        if "schema" in new and record._name == "interop.event.type":
            reasons = schema_breaking_changes(
                json.loads(current.get("schema") or "{}"), json.loads(new["schema"])
            )
            if reasons:
                raise ValidationError(
                    self.env._(
                        "This schema change breaks senders, so it needs a new version "
                        "of the event type, not an edit in place: %(reasons)s",
                        reasons="; ".join(reasons),
                    )
                )
        # the record's own constraints (code format, https in production...): dry run
        savepoint = self.env.cr.savepoint(flush=True)
        try:
            record._interop_apply_write(new)
            record.flush_recordset()
        finally:
            savepoint.close(rollback=True)  # a dry run: nothing stays
            self.env.invalidate_all()

    def _apply(self):
        self.ensure_one()
        record = self._target()
        self.env["interop.config.version"]._record_baseline(record)
        # the why travels with the change (e.g. why a retirement cancels messages)
        record.with_context(
            interop_change_reason=f"{self.name}: {self.reason}"
        )._interop_apply_write(self._values())
        version = self.env["interop.config.version"]._record_version(record, self)
        self._workflow().write(
            {
                "state": "applied",
                "approver_id": self.env.uid,
                "date_decided": fields.Datetime.now(),
                "version_id": version.id,
            }
        )
        self.activity_unlink([ACTIVITY_TYPE])
        self.message_post(
            body=self.env._(
                "Approved by %(user)s and applied: version %(number)s.",
                user=self.env.user.name,
                number=version.number,
            ),
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.author_id.partner_id.ids,
        )
        record.message_post(
            body=self.env._(
                "Change request %(name)s applied (version %(number)s).",
                name=self.name,
                number=version.number,
            ),
            subtype_xmlid="mail.mt_note",
        )
        audit = self.env["interop.audit.entry"]
        audit._log(
            "change_approved",
            record=self,
            summary=self.env._("Change request %(name)s approved", name=self.name),
        )
        audit._log(
            "change_applied",
            record=record,
            summary=self.env._(
                "Change request %(name)s applied as version %(number)s",
                name=self.name,
                number=version.number,
            ),
            details={"fields": sorted(self._values())},
        )

    def action_open_object(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
