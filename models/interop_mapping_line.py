# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict
from datetime import date

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.sql import create_index

from .interop_mapping_table import TARGET_RECORD, TARGET_VALUE

#: fields that say what a line maps to
TARGET_FIELDS = {"table_id", "res_id", "target_ref", "target_value"}
#: how many codes a chatter message of the table names before "and N more"
LOGGED_CODES_LIMIT = 10


class InteropMappingLine(models.Model):
    """One external code of a mapping table, what it maps to, and when."""

    _name = "interop.mapping.line"
    _description = "Mapping Line"
    _order = "table_id, external_code, date_from, id"
    _rec_name = "external_code"

    table_id = fields.Many2one(
        "interop.mapping.table",
        string="Mapping Table",
        required=True,
        ondelete="cascade",
    )
    external_code = fields.Char(
        required=True, help="The code as the external system sends it."
    )
    external_label = fields.Char(help="What the code means in the external system.")
    target_model_id = fields.Many2one(related="table_id.target_model_id")
    target_model = fields.Char(related="table_id.target_model")
    target_type = fields.Selection(related="table_id.target_type")
    # what the target picker offers (the server checks it again at save)
    target_domain = fields.Char(related="table_id.target_domain")
    res_id = fields.Many2oneReference(
        string="Target Record ID",
        model_field="target_model",
        help="Database id of the record the code maps to (record tables).",
    )
    target_ref = fields.Reference(
        string="Target",
        selection="_selection_target_model",
        compute="_compute_target_ref",
        inverse="_inverse_target_ref",
        help="The record the code maps to (record tables).",
    )
    target_value = fields.Char(
        string="Value", help="The value the code maps to (value tables)."
    )
    date_from = fields.Date(
        string="Valid From", help="Leave empty when valid since always."
    )
    date_to = fields.Date(
        string="Valid Until",
        help="Last day the mapping is valid (included). Leave empty when open-ended.",
    )
    active = fields.Boolean(default=True)
    note = fields.Text()
    company_id = fields.Many2one(
        related="table_id.company_id", store=True, index=True, string="Company"
    )

    def init(self):
        # the lookup of _resolve: codes of one table
        create_index(
            self.env.cr,
            "interop_mapping_line_table_code_idx",
            self._table,
            ["table_id", "external_code"],
        )

    @api.model
    def _selection_target_model(self):
        # from the registry: Odoo validates every value written against this list
        return [
            (name, model._description or name)
            for name, model in self.env.registry.items()
            if not (model._abstract or model._transient)
        ]

    @api.depends("target_model", "res_id")
    def _compute_target_ref(self):
        for line in self:
            line.target_ref = (
                f"{line.target_model},{line.res_id}"
                if line.target_model and line.res_id
                else False
            )

    def _inverse_target_ref(self):
        for line in self:
            target = line.target_ref
            if target and target._name != line.target_model:
                raise ValidationError(
                    self.env._(
                        "Code %(code)s of table %(table)s must map to a record of "
                        "%(model)s.",
                        code=line.external_code,
                        table=line.table_id.name,
                        model=line.target_model_id.name,
                    )
                )
            # the write of target_ref logs the change: not its res_id once more
            line.with_context(interop_mapping_nolog=True).res_id = (
                target.id if target else False
            )

    @api.constrains("res_id", "table_id")
    def _check_target_allowed(self):
        """A line maps only to the records its table allows (services only...)."""
        for line in self.filtered(
            lambda li: li.res_id and li.target_type == TARGET_RECORD
        ):
            domain = line.table_id._target_domain()
            if not domain:
                continue
            # sudo: the table's rule decides, whatever the editor may read
            Target = self.env[line.target_model].sudo().with_context(active_test=False)
            if not Target.search_count([("id", "=", line.res_id), *domain], limit=1):
                raise ValidationError(
                    self.env._(
                        "Code %(code)s of table %(table)s cannot map to "
                        "%(target)s: the table allows only %(allowed)s.",
                        code=line.external_code,
                        table=line.table_id.name,
                        target=Target.browse(line.res_id).display_name,
                        allowed=line.table_id.target_domain,
                    )
                )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for line in self:
            if line.date_from and line.date_to and line.date_from > line.date_to:
                raise ValidationError(
                    self.env._(
                        "Code %(code)s of table %(table)s ends before it starts.",
                        code=line.external_code,
                        table=line.table_id.name,
                    )
                )

    def _check_target(self):
        """Each line maps to a value, or to an existing record of the table's model.

        Called by create and write rather than declared as a constraint: Odoo checks
        the constraints of stored fields before it runs the inverse of
        ``target_ref``, which sets ``res_id``.
        """
        res_ids_by_model = defaultdict(set)
        for line in self:
            if line.target_type == TARGET_VALUE and not line.target_value:
                raise ValidationError(
                    self.env._(
                        "Code %(code)s of table %(table)s needs a value.",
                        code=line.external_code,
                        table=line.table_id.name,
                    )
                )
            if line.target_type == TARGET_RECORD:
                res_ids_by_model[line.target_model].add(line.res_id)
        for model, res_ids in res_ids_by_model.items():
            existing = self.env[model].browse(res_ids - {0}).exists()
            missing = self.filtered(
                lambda line, model=model, existing=existing: (
                    line.target_model == model and line.res_id not in existing.ids
                )
            )
            if missing:
                raise ValidationError(
                    self.env._(
                        "Code %(code)s of table %(table)s needs an existing %(model)s "
                        "record to map to.",
                        code=missing[0].external_code,
                        table=missing[0].table_id.name,
                        model=missing[0].target_model_id.name,
                    )
                )

    @api.constrains("table_id", "external_code", "date_from", "date_to", "active")
    def _check_no_overlap(self):
        """Only one active line may map a code of a table on any given day."""
        lines = self.filtered("active")
        if not lines:
            return
        candidates = self.with_context(active_test=True).search(
            [
                ("table_id", "in", lines.table_id.ids),
                ("external_code", "in", list(set(lines.mapped("external_code")))),
            ]
        )
        periods = defaultdict(list)
        for candidate in candidates:
            periods[candidate.table_id, candidate.external_code].append(candidate)
        for line in lines:
            for other in periods[line.table_id, line.external_code]:
                if other != line and line._overlaps(other):
                    raise ValidationError(
                        self.env._(
                            "Code %(code)s already has an active mapping in table "
                            "%(table)s for part of this period: end it (Valid "
                            "Until) or archive it first.",
                            code=line.external_code,
                            table=line.table_id.name,
                        )
                    )

    def _overlaps(self, other):
        """Whether the periods of two lines share a day; open ends are infinite."""
        self.ensure_one()
        return (self.date_from or date.min) <= (other.date_to or date.max) and (
            other.date_from or date.min
        ) <= (self.date_to or date.max)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._strip_external_code(vals)
        lines = super().create(vals_list)
        lines._check_target()
        lines._log_on_tables(self.env._("Mapping added"))
        return lines

    def write(self, vals):
        self._strip_external_code(vals)
        result = super().write(vals)
        if TARGET_FIELDS.intersection(vals):
            self._check_target()
        if vals.get("active") is False:
            self._log_on_tables(self.env._("Mapping archived"))
        elif vals.get("active"):
            self._log_on_tables(self.env._("Mapping restored"))
        elif vals:
            labels = sorted(
                self._fields[name]._description_string(self.env) for name in vals
            )
            self._log_on_tables(
                self.env._("Mapping changed (%(fields)s)", fields=", ".join(labels))
            )
        return result

    def unlink(self):
        self._log_on_tables(self.env._("Mapping deleted"))
        return super().unlink()

    @api.model
    def _strip_external_code(self, vals):
        if isinstance(vals.get("external_code"), str):
            vals["external_code"] = vals["external_code"].strip()

    def _log_on_tables(self, what):
        """Note on each table's chatter which of its codes changed, never values."""
        context = self.env.context
        if not self or any(
            context.get(key)
            for key in ("tracking_disable", "mail_notrack", "interop_mapping_nolog")
        ):
            return
        bodies = {}
        for table in self.table_id:
            codes = self.filtered(lambda line, table=table: line.table_id == table)
            names = codes[:LOGGED_CODES_LIMIT].mapped("external_code")
            if len(codes) > LOGGED_CODES_LIMIT:
                names.append(
                    self.env._(
                        "and %(count)s more", count=len(codes) - LOGGED_CODES_LIMIT
                    )
                )
            bodies[table.id] = self.env._(
                "%(what)s: %(codes)s", what=what, codes=", ".join(names)
            )
        # the lines were just written with the user's rights: a note needs no more
        self.table_id._message_log_batch(bodies)
