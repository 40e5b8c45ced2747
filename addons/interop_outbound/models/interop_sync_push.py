# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from datetime import date, datetime, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

#: a push leaves alone records changed in the last minute: a transaction still
#: running may yet commit a change dated before the watermark
PUSH_LAG = timedelta(seconds=60)
#: field types a push never sends
UNSENT_FIELD_TYPES = ("binary", "html", "properties", "properties_definition")


class InteropSyncPush(models.AbstractModel):
    """A push: the records of a model changed since the watermark, read with the
    rights of the sync's Run As user, sent chunk by chunk as outbound messages.
    Inherited by ``interop.sync``."""

    _name = "interop.sync.push"
    _description = "Batch Sync Push"

    def _push_problem(self):
        """Why this push cannot read what it says, in words; None when it can."""
        self.ensure_one()
        model_name = self.model_id.model
        if not self._is_syncable_model(model_name):
            return self.env._(
                "%(model)s is not a model Interop syncs: a push reads only the "
                "models the Interop modules declare syncable.",
                model=self.model_id.name,
            )
        if not self._is_run_as_user(self.user_id):
            return self.env._("%(sync)s has no valid Run As user.", sync=self.name)
        sent = self.sudo().field_ids
        if any(
            field.model_id != self.model_id or field.ttype in UNSENT_FIELD_TYPES
            for field in sent
        ):
            return self.env._(
                "%(sync)s sends fields that are not fields of %(model)s it can send.",
                sync=self.name,
                model=self.model_id.name,
            )
        domain = self._get_push_domain()
        Model = self._as_run_as_user(model_name)
        try:
            # the query as the Run As user builds it, not run: a condition on
            # a field or a model that user cannot read is refused here
            Model._search(domain)
        except AccessError:
            return self.env._(
                "The domain of %(sync)s uses a field or a model its Run As user "
                "cannot read.",
                sync=self.name,
            )
        except (ValueError, KeyError, TypeError):
            return self.env._(
                "The domain of %(sync)s is not a valid list of conditions on "
                "%(model)s.",
                sync=self.name,
                model=self.model_id.name,
            )
        try:
            Model.check_field_access_rights("read", sent.mapped("name"))
        except AccessError:
            return self.env._(
                "%(sync)s sends a field its Run As user cannot read.", sync=self.name
            )
        return None

    def _as_run_as_user(self, model_name):
        """``model_name`` with the rights of the Run As user, in its companies."""
        return (
            self.env[model_name]
            .with_user(self.user_id)
            .with_context(allowed_company_ids=[])
        )

    def _push_records_model(self):
        return self._as_run_as_user(self.model_id.model)

    def _get_push_domain(self):
        self.ensure_one()
        try:
            domain = safe_eval(self.domain or "[]", {"uid": self.env.uid})
        except (ValueError, SyntaxError, NameError, TypeError):
            domain = None
        if not isinstance(domain, list):
            raise ValidationError(
                self.env._(
                    "The domain of %(sync)s is not a valid list of conditions.",
                    sync=self.name,
                )
            )
        return domain

    def _push_query(self, limit=None, ordered=True):
        """Records to send: matching the domain, changed after the watermark, and
        not in the last minute (a transaction still running may yet commit a
        change dated earlier), oldest change first."""
        Model = self._push_records_model()
        domain = self._get_push_domain() + [
            ("write_date", "<=", fields.Datetime.now() - PUSH_LAG)
        ]
        query = Model._search(
            domain, order="write_date, id" if ordered else None, limit=limit
        )
        written, _sep, last_id = (self.watermark or "").partition("|")
        if written:
            # compared in SQL, to the microsecond: the ORM would round the date
            query.add_where(
                SQL(
                    "(%s, %s) > (%s, %s)",
                    SQL.identifier(Model._table, "write_date"),
                    SQL.identifier(Model._table, "id"),
                    datetime.fromisoformat(written),
                    int(last_id or 0),
                )
            )
        return query

    def _push_chunk(self, run):
        """Send the next chunk of changed records as one outbound message."""
        Model = self._push_records_model()
        records = Model.browse(self._push_query(limit=self.chunk_size).get_result_ids())
        rows = []
        failed = 0
        for record in records:
            try:
                rows.append(self._push_serialize(record))
            except (AccessError, UserError, ValueError, TypeError) as error:
                self._record_failure(
                    run, error, self.env._("record %(id)s", id=record.id)
                )
                failed += 1
        if rows:
            self.endpoint_id._send(
                self.event_type_id,
                {
                    "sync": self.name,
                    "model": self.model_id.model,
                    "records": rows,
                },
                path=self.resource_path,
                business_key=f"{self.name}: {records[0].id}-{records[-1].id}"[:200],
                sync_run_id=run.id,
            )
        run._add_counts(read=len(records), created=len(rows), failed=failed)
        if records:
            last = records[-1]
            self._advance_watermark(f"{last.write_date.isoformat(' ')}|{last.id}")
        return len(records) == self.chunk_size

    def _push_serialize(self, record):
        row = {
            "id": record.id,
            "write_date": fields.Datetime.to_string(record.write_date),
        }
        for field in self.field_ids:
            row[field.name] = self._json_value(field.ttype, record[field.name])
        json.dumps(row)  # refuse, for this record only, what JSON cannot carry
        return row

    @api.model
    def _json_value(self, ttype, value):
        if ttype == "many2one":
            return value.id or None
        if ttype in ("one2many", "many2many"):
            return value.ids
        if ttype == "boolean":
            return bool(value)
        if value is False:
            return None
        if isinstance(value, datetime):
            return fields.Datetime.to_string(value)
        if isinstance(value, date):
            return fields.Date.to_string(value)
        return value
