# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import ast

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.sql import create_unique_index

from ..errors import MappingError
from .interop_endpoint import check_code_format
from .interop_owned_mixin import OWNER_DOMAIN

TARGET_RECORD = "record"
TARGET_VALUE = "value"


class InteropMappingTable(models.Model):
    """A governed crosswalk from the codes of an external system to Odoo.

    Processing code never searches Odoo for an external code: it asks the table
    (``_resolve``), and an unmapped code becomes a ``MappingError`` routed to the
    table's owner.
    """

    _name = "interop.mapping.table"
    _description = "Mapping Table"
    _inherit = ["mail.thread", "interop.governed.mixin", "interop.owned.mixin"]
    _interop_owner_field = "owner_id"
    # once it maps codes, what a table means changes only through a change request
    _interop_governed_fields = (
        # archiving takes it out of change control: that is a change too
        "active",
        "code",
        "endpoint_id",
        "target_type",
        "target_model_id",
        "target_domain",
        "owner_id",
        "team_id",
    )
    _order = "name, id"
    _rec_names_search = ["name", "code"]
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        required=True,
        tracking=True,
        copy=False,
        help="Lower-case slug processing code uses to find the table, e.g. "
        "'service-codes'. A table bound to an endpoint overrides the shared table "
        "of the same code for that endpoint.",
    )
    active = fields.Boolean(default=True, tracking=True)
    description = fields.Text(tracking=True)
    code_system = fields.Char(
        string="External Code System",
        tracking=True,
        help="Where the external codes come from, e.g. 'CPT' or 'payer id'.",
    )
    endpoint_id = fields.Many2one(
        "interop.endpoint",
        tracking=True,
        check_company=True,
        index=True,
        ondelete="restrict",
        help="Leave empty for a table shared by every endpoint.",
    )
    target_type = fields.Selection(
        [(TARGET_RECORD, "Odoo Record"), (TARGET_VALUE, "Value")],
        required=True,
        default=TARGET_RECORD,
        tracking=True,
        help="Odoo Record: each code maps to a record of the target model. "
        "Value: each code maps to a plain value.",
    )
    target_model_id = fields.Many2one(
        "ir.model",
        ondelete="cascade",
        tracking=True,
        domain="[('transient', '=', False)]",
        help="The model of the records the codes map to, e.g. Contact.",
    )
    target_model = fields.Char(
        related="target_model_id.model", store=True, string="Target Model Name"
    )
    target_domain = fields.Char(
        string="Targets Allowed",
        default="[]",
        tracking=True,
        help="Which records of the target model a code may map to, as a domain: "
        "e.g. services only, [('type', '=', 'service')]. A line mapping elsewhere "
        "is refused.",
    )
    owner_id = fields.Many2one(
        "res.users",
        required=True,
        tracking=True,
        check_company=True,
        domain=OWNER_DOMAIN,
        help="Receives the exceptions of codes this table cannot map.",
    )
    team_id = fields.Many2one(check_company=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
        tracking=True,
    )
    line_ids = fields.One2many(
        "interop.mapping.line",
        "table_id",
        string="Mappings",
        context={"active_test": False},
    )
    line_count = fields.Integer(string="Active Mappings", compute="_compute_line_count")

    _sql_constraints = [
        # implemented by the unique index of init(): a shared table has no endpoint
        (
            "code_company_uniq",
            "",
            "A mapping table with this code and endpoint (or none) already exists.",
        ),
    ]

    def init(self):
        create_unique_index(
            self.env.cr,
            "interop_mapping_table_code_company_uniq",
            self._table,
            ["company_id", "code", "COALESCE(endpoint_id, 0)"],
        )

    @api.depends("line_ids.active")
    def _compute_line_count(self):
        counts = dict(
            self.env["interop.mapping.line"]._read_group(
                [("table_id", "in", self.ids)], ["table_id"], ["__count"]
            )
        )
        for table in self:
            table.line_count = counts.get(table, 0)

    @api.constrains("code")
    def _check_code(self):
        for table in self:
            check_code_format(self.env, table.code, "service-codes")

    @api.constrains("target_type", "target_model_id")
    def _check_target_model(self):
        for table in self:
            if table.target_type != TARGET_RECORD:
                continue
            if table.target_model not in self.env:
                raise ValidationError(
                    self.env._(
                        "The mapping table %(table)s maps codes to Odoo records: "
                        "choose its target model.",
                        table=table.name,
                    )
                )
            model = self.env[table.target_model]
            if model._abstract or model._transient:
                raise ValidationError(
                    self.env._(
                        "%(model)s does not store records: it cannot be the target "
                        "model of %(table)s.",
                        model=table.target_model_id.name,
                        table=table.name,
                    )
                )

    def _target_domain(self):
        """The domain of ``target_domain``, checked: a list the target model takes."""
        self.ensure_one()
        try:
            domain = ast.literal_eval((self.target_domain or "[]").strip() or "[]")
            if not isinstance(domain, list):
                raise TypeError(domain)
            self.env[self.target_model]._search(domain)
        except (ValueError, SyntaxError, TypeError, KeyError) as error:
            raise ValidationError(
                self.env._(
                    "The targets allowed by %(table)s are not a domain of %(model)s "
                    "(e.g. [('type', '=', 'service')]): %(error)s",
                    table=self.name,
                    model=self.target_model_id.name,
                    error=type(error).__name__,
                )
            ) from error
        return domain

    @api.constrains("target_domain", "target_model_id")
    def _check_target_domain(self):
        for table in self.filtered(
            lambda t: t.target_type == TARGET_RECORD and t.target_model in self.env
        ):
            table._target_domain()
        self.line_ids._check_target_allowed()

    @api.depends("name", "code")
    def _compute_display_name(self):
        for table in self:
            table.display_name = (
                f"{table.name} ({table.code})" if table.code else table.name
            )

    def _interop_is_change_controlled(self):
        self.ensure_one()
        return self.active and bool(self.line_ids)

    def write(self, vals):
        if {"target_type", "target_model_id"}.intersection(vals):
            self._check_target_unchanged_with_lines(vals)
        return super().write(vals)

    def _check_target_unchanged_with_lines(self, vals):
        for table in self:
            target = (table.target_type, table.target_model_id.id)
            new_target = (
                vals.get("target_type", table.target_type),
                vals.get("target_model_id", table.target_model_id.id) or False,
            )
            if new_target != target and table.line_ids:
                raise UserError(
                    self.env._(
                        "The mapping table %(table)s has mapping lines: its target "
                        "cannot change. Create a new table instead.",
                        table=table.name,
                    )
                )

    def action_view_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "interop.interop_mapping_line_action"
        )
        action["domain"] = [("table_id", "=", self.id)]
        action["context"] = {"default_table_id": self.id}
        return action

    @api.model
    def _resolve(self, table_code, external_code, on_date=None, endpoint=None):
        """Return what ``external_code`` maps to in the table ``table_code``.

        :param str table_code: code of the table, e.g. ``"payer-codes"``
        :param str external_code: the code received from the external system
        :param on_date: the date the mapping must be valid on (default: today)
        :param endpoint: the ``interop.endpoint`` the code comes from; its own table
            is preferred over the shared table of the same code
        :return: a record of the target model (record tables) or a string (value
            tables)
        :raise MappingError: the table is unknown, or no active line maps the code
            on that date; the error names the table's owner
        """
        return self._resolve_many(
            table_code, [external_code], on_date=on_date, endpoint=endpoint
        )[(external_code or "").strip()]

    @api.model
    def _resolve_many(self, table_code, external_codes, on_date=None, endpoint=None):
        """Resolve several codes of one table at once: see ``_resolve``.

        :return: ``{external code: target}`` for each distinct (stripped) code
        :raise MappingError: one error naming every code that cannot be mapped
        """
        codes = list(dict.fromkeys((code or "").strip() for code in external_codes))
        on_date = on_date or fields.Date.context_today(self)
        table = self._find_table(table_code, codes, endpoint)
        lines = self.env["interop.mapping.line"].search_fetch(
            [
                ("table_id", "=", table.id),
                ("external_code", "in", codes),
                "|",
                ("date_from", "=", False),
                ("date_from", "<=", on_date),
                "|",
                ("date_to", "=", False),
                ("date_to", ">=", on_date),
            ],
            ["external_code", "res_id", "target_value"],
            order="id",
        )
        line_by_code = {line.external_code: line for line in lines}
        missing = [code for code in codes if code not in line_by_code]
        if missing:
            raise table._mapping_error(missing, on_date)
        if table.target_type == TARGET_VALUE:
            return {line.external_code: line.target_value for line in lines}
        targets = self.env[table.target_model].browse(lines.mapped("res_id")).exists()
        deleted = [
            line.external_code for line in lines if line.res_id not in targets.ids
        ]
        if deleted:
            raise table._mapping_error(deleted, on_date, target_deleted=True)
        return {line.external_code: targets.browse(line.res_id) for line in lines}

    @api.model
    def _find_table(self, table_code, codes, endpoint):
        tables = self.search_fetch(
            [
                ("code", "=", table_code),
                ("company_id", "=", self.env.company.id),
                ("endpoint_id", "in", [endpoint.id if endpoint else False, False]),
            ],
            ["name", "endpoint_id", "target_type", "target_model", "owner_id"],
        )
        table = tables.filtered("endpoint_id")[:1] or tables[:1]
        if not table:
            raise MappingError(
                self.env._(
                    "No active mapping table has the code %(table)r in %(company)s.",
                    table=table_code,
                    company=self.env.company.name,
                ),
                code=", ".join(codes),
                suggested_action=self.env._(
                    "Create the mapping table (or restore the archived one), then "
                    "replay the message."
                ),
            )
        return table

    def _mapping_error(self, codes, on_date, target_deleted=False):
        """The ``MappingError`` telling the owner which codes this table misses."""
        self.ensure_one()
        quoted = ", ".join(repr(code) for code in codes)
        date = fields.Date.to_string(on_date)
        if target_deleted:
            summary = self.env._(
                "Table %(table)s maps %(codes)s to deleted records.",
                codes=quoted,
                table=self.name,
            )
            suggested_action = self.env._(
                "Map these codes to existing records in the table, then replay the "
                "message."
            )
        elif len(codes) == 1:
            summary = self.env._(
                "Code %(codes)s of table %(table)s has no mapping valid on %(date)s.",
                codes=quoted,
                table=self.name,
                date=date,
            )
            suggested_action = self.env._(
                "Add a mapping line for this code in the table, then replay the "
                "message."
            )
        else:
            summary = self.env._(
                "Codes %(codes)s of table %(table)s have no mapping valid on %(date)s.",
                codes=quoted,
                table=self.name,
                date=date,
            )
            suggested_action = self.env._(
                "Add a mapping line for each of these codes in the table, then "
                "replay the message."
            )
        return MappingError(
            summary,
            table=self,
            code=", ".join(codes),
            owner=self.owner_id,
            suggested_action=suggested_action,
        )
