# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import json
import re
import threading
from collections import namedtuple

import fastjsonschema
import jsonschema

from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

# importers of these names find them here too, as before they moved
from ..payload import (  # noqa: F401 # pylint: disable=unused-import
    MASK,
    dumps_deep,
    extract_key,
    filter_copyable,
    loads_deep,
    mask_payload,
    path_get,
)
from ..schema_violations import _all_violations, _declared_names, violation_text
from .interop_endpoint import DATA_CLASSIFICATIONS
from .interop_owned_mixin import OWNER_DOMAIN

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
HANDLER_PREFIX = "_interop_handle_"

#: what the gateway needs of an event type (see InteropEventType._contract)
Contract = namedtuple(
    "Contract", "id code company_id version id_field business_key_field check"
)

# Compiled validators, shared by every worker thread: {(db, schema digest): callable}.
_VALIDATORS = {}
_VALIDATORS_LOCK = threading.Lock()


#: models the generic record handler never writes: users, groups and companies, the
#: technical models (``ir.*``: access rights, server actions, parameters...), bank
#: accounts, the suite's own governance records and the job queue. The one list, read
#: by the event type's constraint and again when a message is processed.
DENIED_RECORD_MODELS = frozenset(
    (
        "res.users",
        "res.groups",
        "res.company",
        "res.partner.bank",
        "res.config.settings",
    )
)
DENIED_RECORD_MODEL_PREFIXES = (
    "ir.",
    "base.",
    "res.users.",
    "res.groups.",
    "res.device",
    "auth.",
    "auth_",
    "bus.",
    "mail.",
    "queue.",
    "interop.",
    "change.password.",
)


def is_denied_record_model(model_name):
    """Whether the generic record handler may never write ``model_name``."""
    name = model_name or ""
    return name in DENIED_RECORD_MODELS or name.startswith(DENIED_RECORD_MODEL_PREFIXES)


class InteropEventType(models.Model):
    """The contract of one kind of message: its schema, its owner, its handler."""

    _name = "interop.event.type"
    _description = "Event Type"
    _inherit = ["mail.thread", "interop.governed.mixin", "interop.owned.mixin"]
    _interop_owner_field = "business_owner_id"
    # once messages were validated against it, its contract changes only through an
    # approved change request (and a breaking schema change needs a new version)
    _interop_governed_fields = (
        "schema",
        "phi_paths",
        "phi_copy_paths",
        "id_field",
        "business_key_field",
        "data_classification",
        "business_owner_id",
        "team_id",
        "handler_model",
        "handler_method",
        "channel",
        "record_model_id",
        "record_match_field",
        "record_field_map",
    )
    _order = "code, version desc"
    _rec_names_search = ["code", "name"]

    code = fields.Char(
        required=True,
        tracking=True,
        help="Dotted lower-case name used in URLs, e.g. 'service.completed'.",
    )
    version = fields.Integer(required=True, default=1, tracking=True)
    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound")],
        required=True,
        default="inbound",
        tracking=True,
    )
    description = fields.Text()
    schema = fields.Text(
        string="JSON Schema",
        required=True,
        default='{\n  "type": "object"\n}',
        tracking=True,
        help="JSON Schema (draft 2020-12) every payload must satisfy. Once messages "
        "were validated against it, it cannot change: create a new version.",
    )
    phi_paths = fields.Text(
        string="PHI Fields",
        help="One dotted path per line (e.g. 'patient.name', 'patient.*', "
        "'lines.notes'): values masked for users without PHI access. When the "
        "classification is PHI and no path is given, every value is masked.",
    )
    phi_copy_paths = fields.Text(
        string="PHI Copied to Records",
        tracking=True,
        help="One dotted path per line (same syntax as the PHI fields): the PHI values "
        "the handler may copy out of the message log into business records (e.g. a "
        "contact's name), where every user who reads those records sees them. Any "
        "other PHI value is withheld from the handler, which is told so in the "
        "attempt's note. Empty: the handler gets no PHI value at all.",
    )
    id_field = fields.Char(
        string="Idempotency Field",
        help="Dotted path of the field identifying the event in the payload, used as "
        "idempotency key when the sender gives no Idempotency-Key header.",
    )
    business_key_field = fields.Char(
        help="Dotted path of the business key (e.g. 'visit_id'), shown on messages "
        "and searchable.",
    )
    data_classification = fields.Selection(
        DATA_CLASSIFICATIONS, required=True, default="confidential", tracking=True
    )
    business_owner_id = fields.Many2one(
        "res.users",
        tracking=True,
        domain=OWNER_DOMAIN,
        help="Receives the exceptions of this event type, unless a routing rule says "
        "otherwise.",
    )
    handler_model = fields.Char(
        tracking=True,
        help="Model whose handler method processes the messages, e.g. "
        "'interop.handler.record'.",
    )
    handler_method = fields.Char(
        tracking=True,
        help=f"Method of the handler model, named {HANDLER_PREFIX}<what>; it receives "
        "the message and its payload and returns the records it created or touched.",
    )
    channel = fields.Char(
        string="Job Channel",
        required=True,
        default="root.interop",
        tracking=True,
        help="queue_job channel of the processing jobs.",
    )
    company_id = fields.Many2one(
        "res.company", help="Leave empty to share the event type between companies."
    )
    # Configuration of the generic record handler (interop.handler.record)
    record_model_id = fields.Many2one(
        "ir.model",
        string="Target Model",
        ondelete="set null",
        tracking=True,
        help="Generic handler: the model whose records the messages create or update.",
    )
    record_match_field = fields.Char(
        string="Match On",
        tracking=True,
        help="Generic handler: the target field identifying an existing record "
        "(e.g. 'ref'); its value comes from the field map.",
    )
    record_field_map = fields.Text(
        string="Field Map",
        tracking=True,
        help='Generic handler: JSON object {"target_field": "payload.path"} or '
        '{"target_field": {"path": "payload.path", "mapping": "table-code"}} to '
        "translate an external code through a mapping table.",
    )
    message_count = fields.Integer(compute="_compute_message_count")

    _sql_constraints = [
        (
            "code_version_uniq",
            "unique(code, version)",
            "This version of the event type already exists.",
        ),
        ("version_positive", "CHECK(version > 0)", "Versions start at 1."),
    ]

    def _compute_message_count(self):
        counts = dict(
            self.env["interop.message"]._read_group(
                [("event_type_id", "in", self.ids)], ["event_type_id"], ["__count"]
            )
        )
        for event_type in self:
            event_type.message_count = counts.get(event_type, 0)

    @api.depends("code", "version", "name")
    def _compute_display_name(self):
        for event_type in self:
            event_type.display_name = (
                f"{event_type.code} v{event_type.version}"
                if event_type.code
                else event_type.name
            )

    @api.constrains("code")
    def _check_code(self):
        for event_type in self:
            if not CODE_PATTERN.match(event_type.code or ""):
                raise ValidationError(
                    self.env._(
                        "The code %(code)r is not valid: use dotted lower-case words, "
                        "e.g. 'service.completed'.",
                        code=event_type.code,
                    )
                )

    @api.constrains("schema")
    def _check_schema(self):
        for event_type in self:
            try:
                schema = json.loads(event_type.schema)
            except ValueError as error:
                raise ValidationError(
                    self.env._(
                        "The schema of %(event)s is not valid JSON: %(error)s",
                        event=event_type.display_name,
                        error=error,
                    )
                ) from None
            try:
                jsonschema.validators.validator_for(schema).check_schema(schema)
            except jsonschema.SchemaError as error:
                raise ValidationError(
                    self.env._(
                        "The schema of %(event)s is not a valid JSON Schema: %(error)s",
                        event=event_type.display_name,
                        error=error.message,
                    )
                ) from None

    @api.constrains("handler_model", "handler_method")
    def _check_handler(self):
        for event_type in self:
            if not (event_type.handler_model or event_type.handler_method):
                continue
            if not (event_type.handler_model and event_type.handler_method):
                raise ValidationError(
                    self.env._(
                        "%(event)s needs both a handler model and a handler method.",
                        event=event_type.display_name,
                    )
                )
            if event_type.handler_model not in self.env:
                raise ValidationError(
                    self.env._(
                        "The handler model %(model)r does not exist.",
                        model=event_type.handler_model,
                    )
                )
            method = event_type.handler_method or ""
            handler = self.env[event_type.handler_model]
            if not method.startswith(HANDLER_PREFIX) or not callable(
                getattr(handler, method, None)
            ):
                raise ValidationError(
                    self.env._(
                        "The handler %(model)s.%(method)s does not exist: handler "
                        "methods are named %(prefix)s<what>.",
                        model=event_type.handler_model,
                        method=method,
                        prefix=HANDLER_PREFIX,
                    )
                )

    @api.constrains("record_model_id")
    def _check_record_model(self):
        for event_type in self:
            model = event_type.record_model_id.model
            if model and is_denied_record_model(model):
                raise ValidationError(
                    self.env._(
                        "The generic handler never writes %(model)s records: users, "
                        "groups, companies, bank accounts, technical and Interop "
                        "records are changed by people, with their own rights.",
                        model=model,
                    )
                )

    @api.constrains("id_field", "business_key_field", "phi_paths")
    def _check_keys_not_phi(self):
        # both keys are stored in clear on the message, for every Interop user
        for event_type in self:
            for key_path in (event_type.id_field, event_type.business_key_field):
                if key_path and event_type._is_phi_path(key_path, explicit=True):
                    raise ValidationError(
                        self.env._(
                            "The key %(path)s of %(event)s is a PHI field: keys are "
                            "shown to every Interop user. Choose a field without "
                            "patient data.",
                            path=key_path,
                            event=event_type.display_name,
                        )
                    )

    @api.constrains("record_field_map", "record_model_id", "record_match_field")
    def _check_record_field_map(self):
        for event_type in self.filtered("record_field_map"):
            try:
                field_map = json.loads(event_type.record_field_map)
            except ValueError:
                field_map = None
            if not isinstance(field_map, dict):
                raise ValidationError(
                    self.env._(
                        "The field map of %(event)s must be a JSON object.",
                        event=event_type.display_name,
                    )
                )
            model = event_type.record_model_id
            if not model:
                continue
            unknown = [f for f in field_map if f not in self.env[model.model]._fields]
            if event_type.record_match_field and (
                event_type.record_match_field not in field_map
            ):
                unknown.append(event_type.record_match_field)
            if unknown:
                raise ValidationError(
                    self.env._(
                        "The field map of %(event)s names fields %(model)s does not "
                        "have, or misses the match field: %(fields)s",
                        event=event_type.display_name,
                        model=model.model,
                        fields=", ".join(unknown),
                    )
                )

    def _interop_is_change_controlled(self):
        self.ensure_one()
        return bool(self.message_count)

    def write(self, vals):
        if "version" in vals or "code" in vals:
            used = self.filtered(
                lambda e: (
                    e.message_count
                    and any(
                        vals.get(f, e[f]) != e[f]
                        for f in ("version", "code")
                        if f in vals
                    )
                )
            )
            if used:
                raise UserError(
                    self.env._(
                        "%(events)s already validated messages: its code and version "
                        "cannot change. Create a new version instead.",
                        events=", ".join(used.mapped("display_name")),
                    )
                )
        result = super().write(vals)
        self.env.registry.clear_cache()  # the gateway's contracts
        return result

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()  # the gateway's contracts
        return records

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    def action_new_version(self):
        """Copy the event type as its next version, and open it."""
        self.ensure_one()
        latest = self.with_context(active_test=False).search(
            [("code", "=", self.code)], order="version desc", limit=1
        )
        new = self.copy({"version": latest.version + 1})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": new.id,
            "view_mode": "form",
        }

    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "interop.interop_message_action"
        )
        action["domain"] = [("event_type_id", "=", self.id)]
        action["context"] = {}
        return action

    # Contract helpers used by the gateway and processing

    @api.model
    def _find(self, code, version=None, direction="inbound"):
        """The active event type ``code`` (its latest version unless given)."""
        domain = [("code", "=", code), ("direction", "=", direction)]
        if version:
            domain.append(("version", "=", version))
        return self.search(domain, order="version desc", limit=1)

    def _schema_digest(self):
        return hashlib.sha256((self.schema or "").encode()).hexdigest()

    def _get_validator(self):
        """The compiled fastjsonschema validator of this schema (compiled once)."""
        self.ensure_one()
        key = (self.env.cr.dbname, self._schema_digest())
        validator = _VALIDATORS.get(key)
        if validator is None:
            with _VALIDATORS_LOCK:
                validator = _VALIDATORS.get(key)
                if validator is None:
                    validator = fastjsonschema.compile(json.loads(self.schema))
                    _VALIDATORS[key] = validator
        return validator

    def _validate_payload(self, payload):
        """Return the list of violations of ``payload`` (empty when it is valid)."""
        return self._payload_checker()(payload)

    def _payload_checker(self):
        """A function returning the violations of a payload (empty when valid).

        The compiled validator answers the common, valid case fast; only an invalid
        payload pays for the full list of violations, each as "path: reason".
        """
        self.ensure_one()
        validator = self._get_validator()
        schema_text = self.schema
        declared = _declared_names(json.loads(schema_text))

        def check(payload):
            try:
                validator(payload)
                return []
            except fastjsonschema.JsonSchemaException as error:
                # its message quotes payload keys and values: only its path and rule
                first = violation_text(
                    error.path[1:], error.rule, error.rule_definition, declared
                )
            return _all_violations(schema_text, payload, declared) or [first]

        return check

    @api.model
    @tools.ormcache("code", "direction")
    def _contract(self, code, direction="inbound"):
        """The :data:`Contract` of the active event type ``code``, or None.

        What the gateway needs, cached in each worker; any change of an event type
        clears the cache in all of them.
        """
        # sudo: the contract of a message, looked up for a partner system
        event_type = self.sudo()._find(code, direction=direction)
        if not event_type:
            return None
        return Contract(
            id=event_type.id,
            code=event_type.code,
            company_id=event_type.company_id.id,
            version=event_type.version,
            id_field=event_type.id_field or None,
            business_key_field=event_type.business_key_field or None,
            check=event_type._payload_checker(),
        )

    def _phi_path_list(self):
        self.ensure_one()
        return [
            line.strip() for line in (self.phi_paths or "").splitlines() if line.strip()
        ]

    def _phi_patterns(self):
        """The PHI paths; every value ("*") for a PHI event without paths."""
        self.ensure_one()
        paths = self._phi_path_list()
        if not paths and self.data_classification == "phi":
            return ["*"]
        return paths

    def _is_phi_path(self, path, explicit=False):
        """Whether the value at dotted ``path`` is PHI (or lies under PHI);
        ``explicit``: by the PHI fields listed, not by the classification alone."""
        self.ensure_one()
        parts = path.split(".")
        patterns = self._phi_path_list() if explicit else self._phi_patterns()
        for pattern in patterns:
            pattern_parts = pattern.split(".")
            if len(pattern_parts) <= len(parts) and all(
                p in ("*", part) for p, part in zip(pattern_parts, parts, strict=False)
            ):
                return True
        return False

    def _mask_payload(self, payload):
        """``payload`` as users without PHI access may see it."""
        self.ensure_one()
        paths = self._phi_path_list()
        everything = self.data_classification == "phi" and not paths
        try:
            declared = _declared_names(json.loads(self.schema or "{}"))
        except ValueError:
            declared = set()
        return mask_payload(
            payload, paths, mask_everything=everything, declared=declared
        )

    def _filter_copyable(self, payload):
        """``(payload, withheld paths)``: what the handler may copy into business
        records (see ``phi_copy_paths``)."""
        self.ensure_one()
        phi_paths = self._phi_patterns()
        if not phi_paths or not isinstance(payload, (dict, list)):
            return payload, []  # nothing to withhold: no copy of the payload
        copy_paths = [
            line.strip()
            for line in (self.phi_copy_paths or "").splitlines()
            if line.strip()
        ]
        return filter_copyable(payload, phi_paths, copy_paths)

    def _extract_business_key(self, payload):
        self.ensure_one()
        return extract_key(payload, self.business_key_field)

    def _extract_idempotency_key(self, payload):
        self.ensure_one()
        return extract_key(payload, self.id_field)
