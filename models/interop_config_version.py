# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError


class InteropConfigVersion(models.Model):
    """A numbered snapshot of governed configuration, kept when a change applies."""

    _name = "interop.config.version"
    _description = "Configuration Version"
    _order = "res_model, res_id, number desc"

    res_model = fields.Char(
        string="Object Model", required=True, readonly=True, index=True
    )
    res_id = fields.Many2oneReference(
        string="Object ID",
        model_field="res_model",
        required=True,
        readonly=True,
        index=True,
    )
    res_name = fields.Char(string="Object", readonly=True)
    number = fields.Integer(required=True, readonly=True)
    snapshot_json = fields.Text(string="Values", required=True, readonly=True)
    change_request_id = fields.Many2one("interop.change.request", readonly=True)
    company_id = fields.Many2one(
        "res.company",
        readonly=True,
        index=True,
        help="The object's company; empty for objects shared by every company.",
    )
    diff_html = fields.Html(
        string="Compared With Now", compute="_compute_diff_html", sanitize=False
    )
    snapshot_html = fields.Html(
        string="Values Shown", compute="_compute_snapshot_html", sanitize=False
    )

    _sql_constraints = [
        (
            "number_uniq",
            "unique(res_model, res_id, number)",
            "This version number already exists for this object.",
        )
    ]

    @api.depends("res_name", "number", "create_date", "change_request_id")
    def _compute_display_name(self):
        for version in self:
            parts = [f"{version.res_name or ''} v{version.number}"]
            if version.create_date:
                parts.append(fields.Date.to_string(version.create_date))
            if version.change_request_id:
                parts.append(version.change_request_id.name)
            elif version.number == 0:
                parts.append(self.env._("baseline"))
            version.display_name = ", ".join(p for p in parts if p)

    @api.depends("snapshot_json")
    def _compute_snapshot_html(self):
        Request = self.env["interop.change.request"]
        for version in self:
            if version.res_model not in self.env:
                version.snapshot_html = False
                continue
            Model = self.env[version.res_model]
            rows = [
                Markup("<tr><td>%s</td><td>%s</td></tr>")
                % (
                    Model._fields[fname].get_description(self.env)["string"],
                    Request._display_value(Model, fname, value),
                )
                for fname, value in json.loads(version.snapshot_json or "{}").items()
                if fname in Model._fields
            ]
            version.snapshot_html = Markup(
                "<table class='table table-sm'><tbody>%s</tbody></table>"
            ) % Markup("").join(rows)

    @api.model
    def _record_baseline(self, record):
        """Version 0: the values ``record`` had when it first came under change
        control, so that the first approved change can be rolled back."""
        if self._last_version(record):
            return self
        return self._create_version(record, 0)

    @api.model
    def _record_version(self, record, change_request=None):
        """Keep the current governed values of ``record`` as its next version."""
        return self._create_version(
            record, self._last_version(record).number + 1, change_request
        )

    @api.model
    def _last_version(self, record):
        # sudo: the numbering spans the versions kept while the object belonged to
        # another company, which the company rule hides from the approver
        return self.sudo().search(
            [("res_model", "=", record._name), ("res_id", "=", record.id)],
            order="number desc",
            limit=1,
        )

    @api.model
    def _create_version(self, record, number, change_request=None):
        company = record.company_id if "company_id" in record._fields else None
        return self.sudo().create(
            {
                "res_model": record._name,
                "res_id": record.id,
                "res_name": record.display_name,
                "company_id": company.id if company else False,
                "number": number,
                "snapshot_json": json.dumps(record._interop_snapshot(), sort_keys=True),
                "change_request_id": change_request.id if change_request else False,
            }
        )

    def _target(self):
        self.ensure_one()
        return self.env[self.res_model].browse(self.res_id).exists()

    def _changed_values(self):
        """The snapshot's values that differ from the object's current ones."""
        record = self._target()
        current = record._interop_snapshot()
        governed = record._get_interop_governed_fields()
        return {
            f: v
            for f, v in json.loads(self.snapshot_json).items()
            if f in governed and current.get(f) != v
        }

    @api.depends("snapshot_json")
    def _compute_diff_html(self):
        Request = self.env["interop.change.request"]
        for version in self:
            record = version._target()
            if not record:
                version.diff_html = False
                continue
            preview = Request.new(
                {
                    "res_model": version.res_model,
                    "res_id": version.res_id,
                    "values_json": json.dumps(version._changed_values()),
                    "old_values_json": json.dumps(record._interop_snapshot()),
                }
            )
            version.diff_html = preview._render_diff()

    def action_rollback(self):
        """Draft a change request restoring this version (it needs approval too)."""
        self.ensure_one()
        self.env["interop.change.request"].check_access("create")
        changes = self._changed_values()
        if not changes:
            raise UserError(self.env._("The object already has these values."))
        request = self.env["interop.change.request"]._draft_from_edit(
            self._target(),
            changes,
            kind="rollback",
            version=self,
            reason=self.env._("Roll back to version %(number)s", number=self.number),
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": request._name,
            "res_id": request.id,
            "view_mode": "form",
        }
