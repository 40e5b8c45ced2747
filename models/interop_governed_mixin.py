# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

# A form asks that an edit of a change-controlled record become a change request: a
# client may send this key, it only turns a refusal into a draft request.
REQUEST_KEY = "interop_request_change"
# An approved change being applied. The context carries this object, not a flag: an
# object cannot travel through RPC, so no client-supplied context unlocks the write.
APPLY_KEY = "interop_change_apply"
_APPLY_TOKEN = object()


class InteropGovernedMixin(models.AbstractModel):
    """Configuration whose governed fields change only through approved requests.

    Once a record is change-controlled (e.g. an active endpoint), writing one of its
    ``_interop_governed_fields`` is refused, unless the write comes from an approved
    change request, or from a form that asks for a change request (context
    ``interop_request_change``): the edit is then drafted as a change request and the
    record stays as it was until the request is approved.
    """

    _name = "interop.governed.mixin"
    _description = "Change-Controlled Configuration"

    _interop_governed_fields = ()
    #: rules in effect while active (routing, timing, systems of record): a record a
    #: person creates starts archived, and putting an archived one in effect is
    #: governed as an edit of one in effect (``_interop_request_activation``). Only
    #: Odoo itself (data files, server code in superuser mode) and approved changes
    #: create them in effect.
    _interop_governed_activation = False

    def _get_interop_governed_fields(self):
        """Names of the governed fields; modules extending a model add theirs here."""
        return tuple(self._interop_governed_fields)

    def _interop_apply_write(self, vals):
        """Write ``vals`` past change control: approved changes, server-side setup.

        Private (a leading underscore): RPC cannot call it. A many2many's value is
        the list of ids the snapshot keeps (see :meth:`_interop_snapshot`).
        """
        # an empty list is no command to ``write``: the ids are set explicitly
        vals = {
            fname: [Command.set(value or [])]
            if self._fields[fname].type == "many2many"
            and isinstance(value, (list, tuple))
            and all(isinstance(item, int) for item in value)
            else value
            for fname, value in vals.items()
        }
        return self.with_context(**{APPLY_KEY: _APPLY_TOKEN}).write(vals)

    def _interop_applying(self):
        """Whether this write applies an approved change (``_interop_apply_write``)."""
        return self.env.context.get(APPLY_KEY) is _APPLY_TOKEN

    def _interop_activation_governed(self):
        """Whether putting records in effect needs an approved change here: a
        person's create or write, not Odoo's own nor an approved change."""
        return self._interop_governed_activation and not (
            self.env.su or self._interop_applying()
        )

    @api.model
    def default_get(self, fields_list):
        defaults = super().default_get(fields_list)
        if "active" in defaults and self._interop_activation_governed():
            defaults["active"] = False
        return defaults

    @api.model_create_multi
    def create(self, vals_list):
        if self._interop_activation_governed() and any(
            vals.get("active") for vals in vals_list
        ):
            raise UserError(
                self.env._(
                    "A new %(model)s starts archived: it takes effect once a change "
                    "request activating it is approved (Request Activation on its "
                    "form).",
                    model=self._description,
                )
            )
        return super().create(vals_list)

    def _interop_request_activation(self):
        """Draft the change request that puts this archived record in effect, and
        open it: its author says why and submits it there. The models of
        ``_interop_governed_activation`` offer it as ``action_request_activation``."""
        self.ensure_one()
        self.check_access("write")
        if not self._interop_governed_activation or self.active:
            raise UserError(self.env._("%s is already in effect.", self.display_name))
        request = self._interop_draft_change({"active": True})
        return {
            "type": "ir.actions.act_window",
            "res_model": request._name,
            "res_id": request.id,
            "views": [[False, "form"]],
        }

    interop_pending_change_count = fields.Integer(
        string="Pending Changes", compute="_compute_interop_pending_change_count"
    )
    interop_is_change_controlled = fields.Boolean(
        string="Change Controlled", compute="_compute_interop_pending_change_count"
    )
    interop_pending_change_html = fields.Html(
        string="Pending Changes Detail",
        compute="_compute_interop_pending_change_html",
        sanitize=False,
    )

    def _compute_interop_pending_change_count(self):
        groups = self.env["interop.change.request"]._read_group(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", self.ids),
                ("state", "in", ("draft", "submitted")),
            ],
            ["res_id"],
            ["__count"],
        )
        counts = dict(groups)
        for record in self:
            record.interop_pending_change_count = counts.get(record.id, 0)
            record.interop_is_change_controlled = bool(
                record.id and record._interop_is_change_controlled()
            )

    def _compute_interop_pending_change_html(self):
        Request = self.env["interop.change.request"]
        for record in self:
            requests = Request.search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "=", record.id or 0),
                    ("state", "in", ("draft", "submitted")),
                ],
                order="id",
            )
            record.interop_pending_change_html = (
                Markup("").join(r._render_pending() for r in requests) or False
            )

    def _interop_is_change_controlled(self):
        """Whether edits of governed fields need an approved change request now."""
        self.ensure_one()
        return False

    def _interop_snapshot(self):
        """Governed values of the record, JSON-serialisable, as ``write`` takes them
        (a many2many as the sorted list of its ids)."""
        self.ensure_one()
        snapshot = {}
        for fname in self._get_interop_governed_fields():
            field = self._fields[fname]
            value = self[fname]
            if field.type == "many2one":
                value = value.id or False
            elif field.type == "many2many":
                value = sorted(value.ids)
            elif field.type in ("date", "datetime"):
                value = field.to_string(value) if value else False
            snapshot[fname] = value
        return snapshot

    def write(self, vals):
        if self._interop_applying():
            return super().write(vals)
        governed = set(self._get_interop_governed_fields()).intersection(vals)
        if not governed:
            return super().write(vals)
        # who may not write the record may not ask for a change of it either
        self.check_access("write")
        # an archived rule put in effect: as an edit of one in effect
        activating = bool(vals.get("active")) and self._interop_activation_governed()
        controlled = self.filtered(
            lambda r: (
                (r._interop_is_change_controlled() or (activating and not r.active))
                and any(
                    r._interop_snapshot()[f] != r._normalise(f, vals[f])
                    for f in governed
                )
            )
        )
        if not controlled:
            return super().write(vals)
        if not self.env.context.get(REQUEST_KEY):
            archived = controlled.filtered(lambda r: activating and not r.active)
            if archived:
                raise UserError(
                    self.env._(
                        "%(records)s is archived: it is put in effect only through an "
                        "approved change request (Request Activation on its form).",
                        records=", ".join(archived.mapped("display_name")),
                    )
                )
            raise UserError(
                self.env._(
                    "%(records)s is in use: its %(fields)s change only through an "
                    "approved change request (Request Change on the form).",
                    records=", ".join(controlled.mapped("display_name")),
                    fields=", ".join(
                        self._fields[f].get_description(self.env)["string"]
                        for f in sorted(governed)
                    ),
                )
            )
        for record in controlled:
            record._interop_draft_change({f: vals[f] for f in governed})
        rest = {k: v for k, v in vals.items() if k not in governed}
        if rest:
            super(InteropGovernedMixin, controlled).write(rest)
        uncontrolled = self - controlled
        if uncontrolled:
            super(InteropGovernedMixin, uncontrolled).write(vals)
        return True

    def _interop_draft_change(self, vals):
        """The draft change request writing ``vals`` (governed fields) on this
        record; what approval would refuse (http in production, a breaking
        schema...) is refused now, at save, in words."""
        self.ensure_one()
        request = self.env["interop.change.request"]._draft_from_edit(self, vals)
        request._check_governance()
        return request

    def _normalise(self, fname, value):
        """``value`` of ``fname`` as ``write`` gets it, in the form of the snapshot:
        a many2one's id; a many2many's sorted ids once its commands are applied to
        this record's (one record, or none)."""
        field = self._fields[fname]
        if field.type == "many2one" and isinstance(value, models.BaseModel):
            return value.id
        if field.type == "many2many":
            return self._normalise_many2many(fname, value)
        if value is None:
            return False
        return value

    def _normalise_many2many(self, fname, value):
        if isinstance(value, models.BaseModel):
            return sorted(value.ids)
        commands = list(value or ())
        # a list of ids is what it is set to; an empty list, no command at all
        if commands and all(isinstance(command, int) for command in commands):
            return sorted(set(commands))
        ids = set(self[fname].ids) if len(self) == 1 else set()
        for command in commands:
            if not isinstance(command, (list, tuple)) or not command:
                raise UserError(self.env._("A list of records cannot be read."))
            if command[0] == Command.SET:
                ids = set(command[2] or ())
            elif command[0] == Command.CLEAR:
                ids = set()
            elif command[0] == Command.LINK:
                ids.add(command[1])
            elif command[0] in (Command.UNLINK, Command.DELETE):
                ids.discard(command[1])
            else:
                # what a governed list names is chosen, not created or edited here
                raise UserError(
                    self.env._(
                        "%(field)s of a change-controlled record is chosen among "
                        "existing records: it is not created or edited from here.",
                        field=self._fields[fname].get_description(self.env)["string"],
                    )
                )
        return sorted(ids)

    def action_view_change_requests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "interop.interop_change_request_action"
        )
        action.update(
            domain=[("res_model", "=", self._name), ("res_id", "=", self.id)],
            context={"create": False},
        )
        return action

    def action_view_versions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "interop.interop_config_version_action"
        )
        action.update(
            domain=[("res_model", "=", self._name), ("res_id", "=", self.id)],
            context={"create": False},
        )
        return action
