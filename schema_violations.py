# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What a payload breaks of its JSON Schema contract, as texts that carry paths and
keywords, never the values."""

import json

import jsonschema

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
