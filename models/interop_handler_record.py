# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo import api, models

from ..errors import BusinessRuleError
from .interop_event_type import path_get


class InteropHandlerRecord(models.AbstractModel):
    """Handlers an administrator can wire to an event type without writing code."""

    _name = "interop.handler.record"
    _description = "Interop Generic Record Handler"

    @api.model
    def _interop_handle_log_only(self, message, payload):
        """Keep the message for the record: nothing to create in Odoo."""
        return

    @api.model
    def _interop_handle_upsert(self, message, payload):
        """Create or update one record of the event type's target model.

        Values come from the event type's field map (payload paths, optionally
        translated through mapping tables); the record is matched on the match field.
        Fields owned by another system of record are refused.
        """
        # sudo: the handler's configuration is metadata the service user may not read
        # (ir.model); the records themselves are written with the service user's rights
        event_type = message.event_type_id.sudo()
        if not event_type.record_model_id or not event_type.record_field_map:
            raise BusinessRuleError(
                self.env._(
                    "Event type %(event)s uses the generic handler but has no target "
                    "model or field map.",
                    event=event_type.display_name,
                ),
                suggested_action=self.env._(
                    "Complete the generic handler settings of the event type, then "
                    "retry."
                ),
            )
        Model = self.env[event_type.record_model_id.model]
        vals = self._prepare_upsert_vals(event_type, message, payload, Model)
        self.env["interop.system.of.record"]._check_write(
            Model._name, list(vals), message.endpoint_id
        )
        match_field = event_type.record_match_field
        record = Model.browse()
        if match_field and vals.get(match_field) not in (None, False, ""):
            record = Model.search([(match_field, "=", vals[match_field])], limit=1)
        if record:
            record.write(vals)
        else:
            record = Model.create(vals)
        return record

    def _prepare_upsert_vals(self, event_type, message, payload, Model):
        field_map = json.loads(event_type.record_field_map)
        Mapping = self.env["interop.mapping.table"]
        vals = {}
        for fname, spec in field_map.items():
            if isinstance(spec, str):
                spec = {"path": spec}
            value = path_get(payload, spec["path"])
            if spec.get("mapping") and value not in (None, ""):
                resolved = Mapping._resolve(
                    spec["mapping"], str(value), endpoint=message.endpoint_id
                )
                value = (
                    resolved.id if isinstance(resolved, models.BaseModel) else resolved
                )
            if value is not None:
                vals[fname] = value
        missing = [
            fname
            for fname in (Model._fields.keys() & vals.keys())
            if Model._fields[fname].required and vals[fname] in (None, "")
        ]
        if missing:
            raise BusinessRuleError(
                self.env._(
                    "Required values are missing: %(fields)s.",
                    fields=", ".join(missing),
                )
            )
        return vals
