# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import json
import logging

from psycopg2.errors import SerializationFailure

from odoo import api, models
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from ..errors import (
    BusinessRuleError,
    MappingError,
    ProbableDuplicate,
    SystemOfRecordConflict,
)
from .interop_event_type import is_denied_record_model, path_get

_logger = logging.getLogger(__name__)

RELATIONAL_TYPES = ("many2one", "one2many", "many2many", "many2one_reference")
#: one row per match value ever serialized (see ``_lock_match``): rewritten by each
#: transaction that takes its lock
SERIAL_TABLE = SQL.identifier("interop_handler_serial")
#: seconds before a job that met a creation committed meanwhile runs again
SERIAL_RETRY_DELAY = 2


def _schema_declares(schema, path):
    """Whether the JSON schema declares the dotted ``path`` property by property
    (through ``properties``, and ``items`` of arrays)."""
    node = schema
    for part in path.split("."):
        while isinstance(node, dict) and isinstance(node.get("items"), dict):
            node = node["items"]
        properties = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(properties, dict) or part not in properties:
            return False
        node = properties[part]
    return True


def _lock_key(model_name, field_name, value):
    """A signed 64-bit advisory lock key for one match value of one model."""
    text = f"interop.upsert\0{model_name}\0{field_name}\0{value}"
    digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class InteropHandlerRecord(models.AbstractModel):
    """Handlers an administrator can wire to an event type without writing code."""

    _name = "interop.handler.record"
    _description = "Interop Generic Record Handler"

    def init(self):
        # a small table of its own: the marker rows of _lock_match
        self.env.cr.execute(
            SQL(
                """
                CREATE TABLE IF NOT EXISTS %s (
                    lock_key bigint PRIMARY KEY,
                    date_written timestamp NOT NULL
                )
                """,
                SERIAL_TABLE,
            )
        )

    @api.model
    def _interop_handle_log_only(self, message, payload):
        """Keep the message for the record: nothing to create in Odoo."""
        return

    @api.model
    def _interop_handle_upsert(self, message, payload):
        """Create or update one record of the event type's target model.

        Values come from the event type's field map (payload paths, optionally
        translated through mapping tables); the record is matched on the match field.
        Fields owned by another system of record are refused, and so are the models
        no generic flow may write (``is_denied_record_model``) and links to other
        records the contract does not declare.
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
        model_name = event_type.record_model_id.model
        if is_denied_record_model(model_name):
            # configured before the rule existed, or past it in the database
            raise BusinessRuleError(
                self.env._(
                    "Event type %(event)s would write %(model)s records: the generic "
                    "handler never writes users, groups, companies, bank accounts, "
                    "technical or Interop records. Nothing was written.",
                    event=event_type.display_name,
                    model=model_name,
                ),
                suggested_action=self.env._(
                    "Point the event type at a business model, or write a dedicated "
                    "handler reviewed by the integration team."
                ),
            )
        Model = self.env[model_name]
        vals = self._prepare_upsert_vals(event_type, message, payload, Model)
        match_field = event_type.record_match_field
        try:
            self.env["interop.system.of.record"]._check_write(
                Model._name, list(vals), message.endpoint_id
            )
        except SystemOfRecordConflict as error:
            # the exception links the record the message would have changed
            if match_field and vals.get(match_field) not in (None, False, ""):
                error.add_records(
                    Model.search([(match_field, "=", vals[match_field])], limit=1)
                )
            raise
        record = Model.browse()
        if match_field and vals.get(match_field) not in (None, False, ""):
            # a record of this value committed by a concurrent job since this
            # transaction began is a transient fault: a new transaction sees it
            self._lock_match(Model, match_field, vals[match_field])
            record = Model.search([(match_field, "=", vals[match_field])], limit=1)
        if record:
            record.write(vals)
        else:
            if Model._name == "res.partner":
                self._check_new_contact(Model, vals, message)
            record = Model.create(vals)
        return record

    def _check_new_contact(self, Partner, vals, message):
        """A contact the generic handler would create goes through the check every
        handler creating contacts goes through: a look-alike of an existing contact
        is not created (never a silent second contact), a person decides.
        Serialized per company, as the other creators of contacts are."""
        endpoint = message.endpoint_id
        Partner._interop_lock_party_creation(endpoint.company_id)
        duplicates, reason = Partner._interop_probable_duplicates(
            vals, ref=vals.get("ref")
        )
        if not duplicates:
            return
        # no payload value in the words: the match value may be an email
        raise ProbableDuplicate(
            self.env._(
                "A new contact from %(endpoint)s (event %(event)s) looks like "
                "existing contact #%(contact)s (%(reason)s): contacts are not "
                "merged automatically. Nothing was written.",
                endpoint=endpoint.name,
                event=message.event_type_id.sudo().display_name,
                contact=duplicates[0].id,
                reason=reason,
            ),
            suggested_action=self.env._(
                "If it is the same contact, give the existing contact the values "
                "the message matches on; otherwise correct the contact that is "
                "wrong. Then retry."
            ),
            records=duplicates,
        )

    def _lock_match(self, Model, field_name, value):
        """Serialize the creations of one match value, in this transaction: two
        jobs never both find nothing and create the same record twice.

        An advisory lock makes concurrent transactions wait for each other until
        the first one ends; then the value's marker row is rewritten. When a
        concurrent transaction rewrote it and committed after this one began, this
        transaction cannot see what it created (it reads the database as it was
        when it began: REPEATABLE READ) and the rewrite is a serialization failure:
        raised as :class:`RetryableJobError`, the transient fault it is, the job is
        run again in a new transaction, which sees the record. No second
        connection: it would not see what this transaction wrote, and would wait
        on the tables this transaction locks (a module being installed).
        """
        key = _lock_key(Model._name, field_name, value)
        cr = self.env.cr
        cr.execute(SQL("SELECT pg_advisory_xact_lock(%s)", key))
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    SQL(
                        """
                        INSERT INTO %(table)s (lock_key, date_written)
                        VALUES (%(key)s, now() AT TIME ZONE 'UTC')
                        ON CONFLICT (lock_key)
                        DO UPDATE SET date_written = EXCLUDED.date_written
                        """,
                        table=SERIAL_TABLE,
                        key=key,
                    ),
                    # an expected outcome, not a broken statement
                    log_exceptions=False,
                )
        except SerializationFailure as error:
            _logger.info(
                "Interop: a %s was created by a concurrent job meanwhile: the job "
                "runs again in %s s and finds it",
                Model._name,
                SERIAL_RETRY_DELAY,
            )
            raise RetryableJobError(
                "A record with this match value was just created by another job",
                seconds=SERIAL_RETRY_DELAY,
                ignore_retry=True,
            ) from error

    def _prepare_upsert_vals(self, event_type, message, payload, Model):
        field_map = json.loads(event_type.record_field_map)
        Mapping = self.env["interop.mapping.table"]
        vals = {}
        undeclared = []
        schema = None
        for fname, spec in field_map.items():
            if isinstance(spec, str):
                spec = {"path": spec}
            value = path_get(payload, spec["path"])
            if spec.get("mapping") and value not in (None, ""):
                value = self._resolve(Mapping, event_type, message, spec, value)
            elif value is not None and self._is_relational(Model, fname):
                # ids and command lists straight from a payload: only for fields
                # whose payload path the contract declares
                if schema is None:
                    schema = json.loads(event_type.schema or "{}")
                if not _schema_declares(schema, spec["path"]) or not (
                    self._is_relational_value(Model._fields[fname], value)
                ):
                    undeclared.append(fname)
                    continue
            if value is not None:
                vals[fname] = value
        if undeclared:
            raise BusinessRuleError(
                self.env._(
                    "Fields %(fields)s of %(model)s link to other records: their "
                    "value must come through a mapping table, or from a payload field "
                    "the contract of %(event)s declares, as ids. Nothing was written.",
                    fields=", ".join(sorted(undeclared)),
                    model=Model._name,
                    event=event_type.display_name,
                ),
                suggested_action=self.env._(
                    "Translate these fields through a mapping table in the field map "
                    "of the event type (or declare them in a new version of its "
                    "schema), then retry."
                ),
            )
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

    @api.model
    def _is_relational(self, Model, fname):
        field = Model._fields.get(fname)
        return bool(field) and field.type in RELATIONAL_TYPES

    @api.model
    def _is_relational_value(self, field, value):
        """A many2one takes an id; a *2many a list of commands or ids."""
        if field.type in ("many2one", "many2one_reference"):
            return isinstance(value, int) and not isinstance(value, bool)
        return isinstance(value, list)

    def _resolve(self, Mapping, event_type, message, spec, value):
        try:
            resolved = Mapping._resolve(
                spec["mapping"], str(value), endpoint=message.endpoint_id
            )
        except MappingError as error:
            if not event_type._is_phi_path(spec["path"]):
                raise
            # the unmapped code is PHI: the exception names the field, not the code
            raise MappingError(
                self.env._(
                    "A value of %(path)s (PHI, not shown here) has no mapping in "
                    "table %(table)s.",
                    path=spec["path"],
                    table=error.table.display_name if error.table else spec["mapping"],
                ),
                table=error.table,
                owner=error.owner,
                suggested_action=self.env._(
                    "Someone with PHI Access reads the code in the message, adds its "
                    "mapping line, then replays the message."
                ),
            ) from None
        return resolved.id if isinstance(resolved, models.BaseModel) else resolved
