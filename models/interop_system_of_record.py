# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

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
    """Which system is the source of truth for a business entity."""

    _name = "interop.system.of.record"
    _description = "System of Record"
    _inherit = ["mail.thread"]
    _order = "entity, model_id"
    _check_company_auto = True

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
        domain="[('model_id', '=', model_id), ('store', '=', True)]",
        help="Fields this system owns; leave empty when it owns the whole record.",
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

    _sql_constraints = [
        (
            "model_company_uniq",
            "unique(model_id, company_id)",
            "This model already has a system of record in this company.",
        ),
    ]

    @api.depends("entity", "model_id", "source", "endpoint_id")
    def _compute_display_name(self):
        labels = dict(ENTITIES)
        for record in self:
            owner = record.endpoint_id.name if record.source == "endpoint" else "Odoo"
            record.display_name = f"{labels.get(record.entity, '')}: {owner}"

    @api.model
    def _find(self, model_name, company):
        """The rule of ``model_name`` in ``company`` (may be empty)."""
        return self.sudo().search(
            [("model_name", "=", model_name), ("company_id", "=", company.id)],
            limit=1,
        )

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
        owner = self.endpoint_id.name if self.source == "endpoint" else "Odoo"
        return self.env._(
            "%(entity)s in %(system)s", entity=labels.get(self.entity), system=owner
        )

    @api.model
    def _check_write(self, model_name, fnames, endpoint):
        """Refuse that ``endpoint`` writes ``fnames`` of ``model_name`` it does not own.

        Processing calls this before it creates or updates records from a message:
        a field owned by Odoo or by another system is never overwritten silently.
        """
        rule = self.sudo().search(
            [
                ("model_name", "=", model_name),
                ("company_id", "=", endpoint.company_id.id),
            ],
            limit=1,
        )
        if not rule:
            return True
        if rule.source == "endpoint" and rule.endpoint_id == endpoint:
            return True
        owned = set(rule.field_ids.mapped("name")) or set(fnames)
        conflicting = sorted(owned.intersection(fnames))
        if not conflicting:
            return True
        owner = rule.endpoint_id.name if rule.source == "endpoint" else "Odoo"
        raise SystemOfRecordConflict(
            self.env._(
                "%(entity)s are owned by %(owner)s: %(endpoint)s may not change "
                "%(fields)s.",
                entity=dict(ENTITIES)[rule.entity],
                owner=owner,
                endpoint=endpoint.name,
                fields=", ".join(conflicting),
            ),
            suggested_action=self.env._(
                "Correct the data in %(owner)s, or change the system of record if "
                "ownership really moved; then replay the message.",
                owner=owner,
            ),
        )
