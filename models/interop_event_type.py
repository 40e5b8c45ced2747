# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import json
import re
import threading
from collections import namedtuple
from json.decoder import scanstring
from json.scanner import NUMBER_RE

import fastjsonschema
import jsonschema

from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

from .interop_endpoint import DATA_CLASSIFICATIONS

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
HANDLER_PREFIX = "_interop_handle_"
MASK = "***"
_WHITESPACE = re.compile(r"[ \t\n\r]*")

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

#: violation texts per JSON Schema keyword: what the value must be, never the value
_KEYWORD_TEXTS = {
    "type": "must be of type {}",
    "enum": "must be one of the values the contract allows",
    "const": "must be the value the contract fixes",
    "pattern": "must match the pattern {}",
    "format": "must be a valid {}",
    "minLength": "must have at least {} character(s)",
    "maxLength": "must have at most {} character(s)",
    "minimum": "must be at least {}",
    "maximum": "must be at most {}",
    "exclusiveMinimum": "must be greater than {}",
    "exclusiveMaximum": "must be less than {}",
    "multipleOf": "must be a multiple of {}",
    "minItems": "must have at least {} item(s)",
    "maxItems": "must have at most {} item(s)",
    "uniqueItems": "must not repeat an item",
    "minProperties": "must have at least {} propertie(s)",
    "maxProperties": "must have at most {} propertie(s)",
    "additionalProperties": "has properties the contract does not allow",
    "unevaluatedProperties": "has properties the contract does not allow",
    "propertyNames": "has property names the contract does not allow",
    "anyOf": "must match at least one of the shapes the contract allows",
    "oneOf": "must match exactly one of the shapes the contract allows",
    "not": "has a shape the contract forbids",
    "contains": "misses an item the contract requires",
}
#: keywords whose schema value is shown (it comes from the contract, not the payload)
_SHOWN_VALUES = {
    "type",
    "pattern",
    "format",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
}


def is_denied_record_model(model_name):
    """Whether the generic record handler may never write ``model_name``."""
    name = model_name or ""
    return name in DENIED_RECORD_MODELS or name.startswith(DENIED_RECORD_MODEL_PREFIXES)


def _declared_names(schema):
    """Every property name the schema declares (walked without recursion)."""
    names = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("properties", "dependentRequired") and isinstance(
                    value, dict
                ):
                    names.update(value)
                elif key == "required" and isinstance(value, list):
                    names.update(v for v in value if isinstance(v, str))
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return names


def _json_path(parts, declared):
    """``$.visit.lines[0].code`` from path parts; a key the schema does not declare
    (it came from the payload, and may be PHI) is shown as ``*``."""
    path = "$"
    for part in parts:
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            path += f"[{part}]"
        elif part in declared:
            path += f".{part}"
        else:
            path += ".*"
    return path


def violation_text(parts, keyword, schema_value, declared, missing=None):
    """One violation as ``path: what the value must be (keyword: k)``: built from
    the path and the failed keyword, never from the payload's values."""
    path = _json_path(parts, declared)
    if keyword == "required":
        if missing in declared:
            reason = f'misses the required property "{missing}"'
        else:
            reason = "misses a required property"
    else:
        text = _KEYWORD_TEXTS.get(keyword, "does not satisfy the contract")
        value = schema_value
        if keyword == "type" and isinstance(value, list):
            value = " or ".join(str(v) for v in value)
        if keyword in _SHOWN_VALUES and isinstance(value, (str, int, float)):
            reason = text.format(value)
        else:
            reason = text.replace(" {}", "")
    return f"{path}: {reason} (keyword: {keyword})"


def _all_violations(schema_text, payload, declared=None):
    """Every violation of ``payload`` against a JSON schema (see violation_text)."""
    schema = json.loads(schema_text)
    if declared is None:
        declared = _declared_names(schema)
    validator = jsonschema.validators.validator_for(schema)(schema)
    violations = []
    taken = {}  # the required properties already reported, per object
    for error in sorted(validator.iter_errors(payload), key=lambda e: e.path):
        parts = list(error.absolute_path)
        missing = None
        if error.validator == "required" and isinstance(error.instance, dict):
            # one error per missing property, in the order the schema lists them
            absent = [
                name
                for name in error.validator_value
                if name not in error.instance and isinstance(name, str)
            ]
            index = taken.get(tuple(parts), 0)
            taken[tuple(parts)] = index + 1
            missing = absent[index] if index < len(absent) else None
        violations.append(
            violation_text(
                parts, error.validator, error.validator_value, declared, missing
            )
        )
    return violations


def extract_key(payload, path):
    """The value at ``path`` of a payload as a key (text, at most 256 characters);
    None unless it is a plain value (an object or a list is no key)."""
    if not path or not isinstance(payload, dict):
        return None
    value = path_get(payload, path)
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)[:256]


def path_get(payload, path):
    """Value at a dotted ``path`` ("visit.id") of a JSON document, or None."""
    value = payload
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


_KEEP, _DROP, _REPLACE = "keep", "drop", "replace"


def _masked_value(value):
    return MASK if value not in (None, "") else value


def _walk_copy(payload, visit):
    """A copy of a JSON document, walked with an explicit stack (any depth).

    ``visit(key, value, state)`` decides for each key of an object what becomes of
    its value: ``(KEEP, state)`` copies it (walking on with ``state``), ``(DROP,
    None)`` leaves the key out, ``(REPLACE, value)`` puts ``value`` instead; a third
    item renames the key. List items are walked with their list's state.
    """
    holder = [None]
    stack = [(payload, holder, 0, visit(None, payload, None))]
    while stack:
        node, parent, key, (action, state) = stack.pop()
        if action == _REPLACE:
            parent[key] = state
        elif isinstance(node, dict):
            copy_ = {}
            parent[key] = copy_
            for child_key, child in node.items():
                outcome = visit(child_key, child, state)
                if outcome[0] == _DROP:
                    continue
                new_key = outcome[2] if len(outcome) > 2 else child_key
                if new_key != child_key:
                    base, count = new_key, 1
                    while new_key in node or new_key in copy_:
                        new_key, count = f"{base}{count}", count + 1
                copy_[new_key] = None  # keeps the order of the keys
                stack.append((child, copy_, new_key, outcome[:2]))
        elif isinstance(node, list):
            copy_ = [None] * len(node)
            parent[key] = copy_
            stack.extend(
                (child, copy_, index, visit(index, child, state))
                for index, child in enumerate(node)
            )
        else:
            parent[key] = node
    return holder[0]


def _parts(paths):
    return tuple((path, tuple(path.split("."))) for path in paths)


def _advance(patterns, key):
    """The patterns still to match below ``key`` (a list index matches as its list)."""
    if not isinstance(key, str):
        return patterns
    return tuple(
        (path, parts[1:])
        for path, parts in patterns
        if parts and parts[0] in ("*", key)
    )


def _mask_all(node):
    """Copy of ``node`` with every value masked."""
    return mask_payload(node, (), mask_everything=True)


def _mask_path(node, parts):
    """Copy of ``node`` with the values at ``parts`` masked."""
    return mask_payload(node, [".".join(parts)] if parts else (), not parts)


def mask_payload(payload, paths, mask_everything=False, declared=None):
    """Copy of ``payload`` with the values at ``paths`` (dotted, ``*`` for any key;
    lists are traversed) replaced by ``***``; walked without recursion, so that a
    payload of any depth can be shown. With ``declared`` (the property names of the
    schema), a key of a masked value that the schema does not declare is masked too:
    a sender may put anything in a key."""
    everything = ((None, ()),)

    def visit(key, value, state):
        patterns = (
            (everything if mask_everything else _parts(paths)) if key is None else state
        )
        if key is not None:
            patterns = (
                _advance(patterns, key) if patterns is not everything else patterns
            )
            if any(not parts for _path, parts in patterns):
                patterns = everything
        outcome = (_KEEP, patterns)
        if patterns is everything and not isinstance(value, (dict, list)):
            outcome = (_REPLACE, _masked_value(value))
        if (
            patterns is everything
            and declared is not None
            and isinstance(key, str)
            and key not in declared
        ):
            outcome += (MASK,)
        return outcome

    return _walk_copy(payload, visit)


def filter_copyable(payload, phi_paths, copy_paths):
    """``(payload, withheld)``: a copy of ``payload`` without the values at the PHI
    ``phi_paths`` that ``copy_paths`` does not allow to be copied into business
    records, and the PHI paths (as configured: no payload key) that lost a value.

    Paths as in :func:`mask_payload`; a copy path allows its whole subtree.
    """
    withheld = set()
    start = (_parts(phi_paths), _parts(copy_paths), None)

    def visit(key, value, state):
        if key is None:
            return _KEEP, start
        phi, allowed, zone = state
        if allowed is None:  # an allowed subtree: copied as it is
            return _KEEP, state
        phi, allowed = _advance(phi, key), _advance(allowed, key)
        if any(not parts for _path, parts in allowed):
            return _KEEP, ((), None, None)
        ended = [path for path, parts in phi if not parts]
        zone = zone or (ended[0] if ended else None)
        if zone is None:
            return _KEEP, (phi, allowed, None)
        if allowed and isinstance(value, (dict, list)):
            # only the allowed parts of this PHI value are copied
            return _KEEP, (phi, allowed, zone)
        if value not in (None, "", [], {}):
            withheld.add(zone)
        if isinstance(key, str):
            return _DROP, None
        return _REPLACE, None  # a list keeps its length

    return _walk_copy(payload, visit), sorted(withheld)


def _json_scalar(text, pos):
    """The JSON scalar (true, false, null or a number) at ``pos``, and its end."""
    for word, value in (
        ("true", True),
        ("false", False),
        ("null", None),
        ("NaN", float("nan")),
        ("Infinity", float("inf")),
        ("-Infinity", float("-inf")),
    ):
        if text.startswith(word, pos):
            return value, pos + len(word)
    match = NUMBER_RE.match(text, pos)
    if not match:
        raise ValueError(f"Expecting value: char {pos}")
    integer, fraction, exponent = match.groups()
    if fraction or exponent:
        return float(integer + (fraction or "") + (exponent or "")), match.end()
    return int(integer), match.end()


def _json_key(text, pos):
    if text[pos : pos + 1] != '"':
        raise ValueError(f"Expecting property name: char {pos}")
    key, pos = scanstring(text, pos + 1)
    pos = _WHITESPACE.match(text, pos).end()
    if text[pos : pos + 1] != ":":
        raise ValueError(f"Expecting ':' delimiter: char {pos}")
    return key, _WHITESPACE.match(text, pos + 1).end()


def loads_deep(text):
    """``json.loads`` of a document of any depth: Python's parser recurses (and
    stops at about a thousand levels); this one keeps its own stack."""
    if isinstance(text, bytes):
        text = text.decode()
    try:
        return json.loads(text)
    except RecursionError:
        return _loads_iteratively(text)


def _loads_iteratively(text):
    stack = []  # [container, key of the value being read]
    pos = _WHITESPACE.match(text, 0).end()
    while True:
        char = text[pos : pos + 1]
        if char in ("{", "["):
            pos = _WHITESPACE.match(text, pos + 1).end()
            closer = "}" if char == "{" else "]"
            if text[pos : pos + 1] == closer:
                value, pos = ({} if char == "{" else []), pos + 1
            elif char == "{":
                key, pos = _json_key(text, pos)
                stack.append([{}, key])
                continue
            else:
                stack.append([[], None])
                continue
        elif char == '"':
            value, pos = scanstring(text, pos + 1)
        else:
            value, pos = _json_scalar(text, pos)
        while True:  # a value is complete: add it, close what it completes
            pos = _WHITESPACE.match(text, pos).end()
            if not stack:
                if pos != len(text):
                    raise ValueError(f"Extra data: char {pos}")
                return value
            container, key = stack[-1]
            if isinstance(container, dict):
                container[key] = value
            else:
                container.append(value)
            char = text[pos : pos + 1]
            if char == ",":
                pos = _WHITESPACE.match(text, pos + 1).end()
                if isinstance(container, dict):
                    stack[-1][1], pos = _json_key(text, pos)
                break
            if char != ("}" if isinstance(container, dict) else "]"):
                raise ValueError(f"Expecting ',' delimiter: char {pos}")
            pos += 1
            stack.pop()
            value = container


def dumps_deep(value):
    """``json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)`` of a
    document of any depth (Python's encoder recurses)."""
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    except RecursionError:
        return _dumps_iteratively(value)


def _dumps_iteratively(value):
    out = []
    stack = [(False, value, 0)]
    while stack:
        is_text, item, level = stack.pop()
        if is_text:
            out.append(item)
            continue
        if isinstance(item, (dict, list)) and item:
            pad = "\n" + "  " * (level + 1)
            if isinstance(item, dict):
                opening, closing = "{", "}"
                entries = [
                    (json.dumps(str(k), ensure_ascii=False) + ": ", v)
                    for k, v in sorted(item.items(), key=lambda kv: str(kv[0]))
                ]
            else:
                opening, closing = "[", "]"
                entries = [("", v) for v in item]
            todo = [(True, opening, 0)]
            for index, (prefix, child) in enumerate(entries):
                todo.append((True, ("," if index else "") + pad + prefix, 0))
                todo.append((False, child, level + 1))
            todo.append((True, "\n" + "  " * level + closing, 0))
            stack.extend(reversed(todo))
        else:
            out.append(json.dumps(item, ensure_ascii=False))
    return "".join(out)


class InteropEventType(models.Model):
    """The contract of one kind of message: its schema, its owner, its handler."""

    _name = "interop.event.type"
    _description = "Event Type"
    _inherit = ["mail.thread", "interop.governed.mixin"]
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
        domain="[('share', '=', False)]",
        help="Receives the exceptions of this event type, unless a routing rule says "
        "otherwise.",
    )
    team_id = fields.Many2one("interop.team", string="Owning Team", tracking=True)
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
