# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Payloads as JSON trees: keys read at a path, PHI masked or left out by path,
and parsing and writing that survive any depth."""

import json
import re
from json.decoder import scanstring
from json.scanner import NUMBER_RE

MASK = "***"
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_KEEP, _DROP, _REPLACE = "keep", "drop", "replace"


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


def dumps_body(payload):
    """The body a parsed payload is logged as: compact JSON, its non-ASCII
    characters kept (what its hash, and a repeat's comparison, are over)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


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
