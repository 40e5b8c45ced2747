# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from markupsafe import Markup, escape

from odoo import api, models


def schema_breaking_changes(old, new, path="(root)"):
    """Reasons why JSON Schema ``new`` would break payloads valid under ``old``.

    Breaking: a property removed, a property newly required, a type changed.
    Adding an optional property or loosening a constraint is compatible.
    """
    reasons = []
    if not isinstance(old, dict) or not isinstance(new, dict):
        return reasons
    if old.get("type") != new.get("type"):
        reasons.append(f"{path}: type {old.get('type')!r} became {new.get('type')!r}")
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    for name in sorted(newly_required):
        reasons.append(f"{path}: '{name}' became required")
    old_props = old.get("properties") or {}
    new_props = new.get("properties") or {}
    for name in sorted(set(old_props) - set(new_props)):
        reasons.append(f"{path}: property '{name}' was removed")
    for name in sorted(set(old_props) & set(new_props)):
        reasons += schema_breaking_changes(
            old_props[name], new_props[name], f"{path}/{name}"
        )
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        reasons += schema_breaking_changes(old["items"], new["items"], f"{path}[]")
    return reasons


class InteropChangeRequestDiff(models.AbstractModel):
    """What a change request changes, as reviewers read it: a table of the fields
    before and after, a line per path of a changed schema, the names of the
    records it points to. Inherited by ``interop.change.request``."""

    _name = "interop.change.request.diff"
    _description = "Change Request Diff"

    def _display_value(self, Model, fname, value):
        field = Model._fields[fname]
        if value in (False, None, ""):
            return ""
        if field.type == "many2one":
            # sudo: the name of what the change points to (a credential, a user),
            # for every reader of the request; no other value of it
            return self.env[field.comodel_name].sudo().browse(
                value
            ).exists().display_name or str(value)
        if field.type == "many2many":
            # sudo: the names of what it lists (fields of a model, say), as above
            records = self.env[field.comodel_name].sudo().browse(value).exists()
            return ", ".join(sorted(records.mapped("display_name")))
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, value)
        return str(value)

    def _render_diff(self):
        Model = self.env[self.res_model]
        old, new = self._old_values(), self._values()
        rows = []
        for fname, value in new.items():
            if fname not in Model._fields:
                continue
            label = Model._fields[fname].get_description(self.env)["string"]
            before = old.get(fname)
            if fname == "schema":
                detail = self._schema_diff(before, value)
                rows.append(
                    Markup("<tr><td>%s</td><td colspan='2'><pre>%s</pre></td></tr>")
                    % (label, detail)
                )
                continue
            rows.append(
                Markup(
                    "<tr><td>%s</td><td><del>%s</del></td><td><ins>%s</ins></td></tr>"
                )
                % (
                    label,
                    self._display_value(Model, fname, before),
                    self._display_value(Model, fname, value),
                )
            )
        head = Markup(
            "<table class='table table-sm'><thead><tr><th>%s</th><th>%s</th>"
            "<th>%s</th></tr></thead><tbody>"
        ) % (self.env._("Field"), self.env._("Before"), self.env._("After"))
        return head + Markup("").join(rows) + Markup("</tbody></table>")

    def _render_pending(self):
        """The request's name, state and diff, for the form of its object."""
        self.ensure_one()
        state = dict(self._fields["state"]._description_selection(self.env))[self.state]
        return Markup("<p><strong>%s</strong> (%s)</p>%s") % (
            self.name,
            state,
            self._render_diff(),
        )

    @api.model
    def _schema_diff(self, before, after):
        """Readable JSON diff of two schemas: a line per added/removed/changed path."""

        def flatten(node, prefix=""):
            if isinstance(node, dict):
                items = {}
                for key, value in node.items():
                    items.update(flatten(value, f"{prefix}/{key}"))
                return items
            return {prefix or "/": json.dumps(node, sort_keys=True)}

        try:
            old = flatten(json.loads(before or "{}"))
            new = flatten(json.loads(after or "{}"))
        except ValueError:
            return escape(after or "")
        lines = []
        for path in sorted(set(old) | set(new)):
            if path not in new:
                lines.append(f"- {path}: {old[path]}")
            elif path not in old:
                lines.append(f"+ {path}: {new[path]}")
            elif old[path] != new[path]:
                lines.append(f"~ {path}: {old[path]} -> {new[path]}")
        return escape("\n".join(lines) or self.env._("(no change)"))
