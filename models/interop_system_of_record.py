# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..errors import SystemOfRecordConflict

ENTITIES = [
    ("responsible_party", "Customers / Responsible Parties"),
    ("product", "Products and Services"),
    ("price", "Prices"),
    ("contract", "Contracts"),
    ("location", "Locations"),
    ("financial_posting", "Financial Postings"),
    ("other", "Other"),
]


class InteropSystemOfRecord(models.Model):
    """Which system is the source of truth for a business entity.

    Change-controlled: who owns a field decides which system may overwrite it (an
    endpoint given a price field writes prices), so a rule in effect changes, is
    archived or is deleted only through an approved change request, and a new rule
    starts archived, in effect once its activation is approved. Only Odoo itself
    (data files, server code in superuser mode) creates rules in effect.
    """

    _name = "interop.system.of.record"
    _description = "System of Record"
    _inherit = ["mail.thread", "interop.governed.mixin"]
    _order = "entity, model_id"
    _check_company_auto = True
    # the data owner (who is asked to fix a record) and the note are not governed:
    # they route work, they do not decide what a system may write
    _interop_governed_activation = True
    _interop_governed_fields = (
        "active",
        "entity",
        "model_id",
        "field_ids",
        "source",
        "endpoint_id",
        "company_id",
    )

    active = fields.Boolean(
        default=True,
        copy=False,
        tracking=True,
        help="In effect. A new rule starts archived: it takes effect once a change "
        "request activating it is approved.",
    )
    entity = fields.Selection(ENTITIES, required=True, tracking=True)
    model_id = fields.Many2one(
        "ir.model",
        string="Odoo Model",
        required=True,
        ondelete="cascade",
        tracking=True,
        help="The Odoo model holding this entity, e.g. Contact.",
    )
    model_name = fields.Char(related="model_id.model", store=True, index=True)
    field_ids = fields.Many2many(
        "ir.model.fields",
        string="Owned Fields",
        # stored fields, and those a model keeps in another (a product's name and
        # price are its template's)
        domain="[('model_id', '=', model_id), '|', ('store', '=', True), "
        "('related', '!=', False)]",
        help="Fields this system owns; leave empty when it owns the rest of the "
        "record (the fields no other system of record of the model lists).",
    )
    source = fields.Selection(
        [("odoo", "Odoo"), ("endpoint", "External System")],
        required=True,
        default="odoo",
        tracking=True,
    )
    endpoint_id = fields.Many2one(
        "interop.endpoint",
        string="System",
        check_company=True,
        tracking=True,
        help="The external system that owns the entity.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Data Owner",
        tracking=True,
        domain="[('share', '=', False)]",
        help="The person who creates and corrects these records (e.g. the catalog "
        "owner for products). Exceptions that need such a record name them. Empty: "
        "the business owner of the owning system.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    note = fields.Text()

    @api.constrains("active", "model_id", "company_id", "field_ids")
    def _check_one_owner_per_field(self):
        """A model may have several rules in effect, each owning some of its fields
        (the catalog's names and prices, the rest in Odoo); never two owners of a
        field, and at most one rule owning the rest of the record (no fields
        listed). An archived rule is checked when it is activated."""
        for rule in self.filtered("active"):
            others = self.search(
                [
                    ("id", "!=", rule.id),
                    ("active", "=", True),
                    ("model_id", "=", rule.model_id.id),
                    ("company_id", "=", rule.company_id.id),
                ]
            )
            if not rule.field_ids and others.filtered(
                lambda other: not other.field_ids
            ):
                raise ValidationError(
                    self.env._(
                        "%(model)s already has a system of record for the whole "
                        "record in %(company)s: list the fields this one owns.",
                        model=rule.model_id.name,
                        company=rule.company_id.name,
                    )
                )
            shared = rule.field_ids & others.field_ids
            if shared:
                raise ValidationError(
                    self.env._(
                        "A field has one system of record: another rule already "
                        "owns %(fields)s of %(model)s.",
                        fields=", ".join(shared.mapped("field_description")),
                        model=rule.model_id.name,
                    )
                )

    def _interop_is_change_controlled(self):
        self.ensure_one()
        return self.active

    def action_request_activation(self):
        """Request Activation: the change request that puts this rule in effect."""
        return self._interop_request_activation()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_effect(self):
        if not self.env.su and any(rule.active for rule in self):
            raise UserError(
                self.env._(
                    "A system of record in effect is archived through an approved "
                    "change request before it is deleted."
                )
            )

    @api.depends("entity", "model_id", "source", "endpoint_id")
    def _compute_display_name(self):
        labels = dict(ENTITIES)
        for record in self:
            record.display_name = f"{labels.get(record.entity, '')}: {record._owner()}"

    def _owner(self):
        """The name of the owning system: the endpoint's, or Odoo."""
        self.ensure_one()
        return self.endpoint_id.name if self.source == "endpoint" else "Odoo"

    @api.model
    def _rules(self, model_name, company):
        """Every rule in effect of ``model_name`` in ``company``."""
        return self.sudo().search(
            [
                ("active", "=", True),
                ("model_name", "=", model_name),
                ("company_id", "=", company.id),
            ]
        )

    @api.model
    def _find(self, model_name, company, fname=None):
        """The rule of ``model_name`` in ``company`` (may be empty): the one owning
        ``fname`` when given (see :meth:`_owners`), else the one owning the whole
        record, else the first."""
        rules = self._rules(model_name, company)
        owner = rules._owners([fname]).get(fname) if fname else None
        return owner or rules.filtered(lambda rule: not rule.field_ids)[:1] or rules[:1]

    def _owners(self, fnames):
        """{field name: the rule that owns it} among these rules (one model's, in
        one company), for the ``fnames`` a rule owns: the rule listing the field,
        else the rule of the whole record."""
        whole = self.filtered(lambda rule: not rule.field_ids)[:1]
        by_field = {}
        for rule in self - whole:
            for fname in rule.field_ids.mapped("name"):
                by_field[fname] = rule
        owners = {}
        for fname in fnames:
            rule = by_field.get(fname) or whole
            if rule:
                owners[fname] = rule
        return owners

    def _get_data_owner(self):
        """The person who fixes these records: the data owner, else the business
        owner of the owning system."""
        self.ensure_one()
        if self.user_id:
            return self.user_id
        if self.source == "endpoint":
            return self.endpoint_id.business_owner_id
        return self.env["res.users"]

    def _get_owner_label(self):
        self.ensure_one()
        labels = dict(ENTITIES)
        return self.env._(
            "%(entity)s in %(system)s",
            entity=labels.get(self.entity),
            system=self._owner(),
        )

    @api.model
    def _check_write(self, model_name, fnames, endpoint):
        """Refuse that ``endpoint`` writes ``fnames`` of ``model_name`` it does not own.

        Processing calls this before it creates or updates records from a message:
        a field owned by Odoo or by another system is never overwritten silently.
        """
        conflicts = {}
        rules = self._rules(model_name, endpoint.company_id)
        for fname, rule in rules._owners(fnames).items():
            if rule.source != "endpoint" or rule.endpoint_id != endpoint:
                conflicts.setdefault(rule, []).append(fname)
        if not conflicts:
            return True
        labels = dict(ENTITIES)
        sentences, owners = [], []
        for rule, conflicting in conflicts.items():
            owner = rule._owner()
            owners.append(owner)
            sentences.append(
                self.env._(
                    "%(entity)s are owned by %(owner)s: %(endpoint)s may not change "
                    "%(fields)s.",
                    entity=labels[rule.entity],
                    owner=owner,
                    endpoint=endpoint.name,
                    fields=", ".join(sorted(conflicting)),
                )
            )
        raise SystemOfRecordConflict(
            " ".join(sentences),
            suggested_action=self.env._(
                "Correct the data in %(owner)s, or change the system of record if "
                "ownership really moved; then replay the message.",
                owner=self.env._(" and ").join(dict.fromkeys(owners)),
            ),
        )
