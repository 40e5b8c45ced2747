# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The gateway's strict JSON: what a partner may send, parsed without surprises.

Pure Python, no Odoo: :func:`parse` refuses with the gateway's errors
(:class:`~.errors.MalformedJson`, :class:`~.errors.NestingTooDeep`).
"""

import json
import math
import re

from .errors import MalformedJson, NestingTooDeep

#: what the JSON nesting scan looks at: a string (to skip what it holds; an
#: unterminated one runs to the end, which keeps the scan linear) or a bracket
_JSON_STRUCTURE = re.compile(rb'"(?:[^"\\]++|\\.)*+"?|[\[\]{}]', re.DOTALL)

#: a JSON escape that may decode to what a text column cannot hold: NUL, surrogates
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


class _DuplicateMember(ValueError):
    pass


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _unique_members(pairs):
    members = dict(pairs)
    if len(members) != len(pairs):
        raise _DuplicateMember()
    return members


def _has_unstorable_text(payload):
    """Whether a string of ``payload`` (key or value) holds NUL or a lone
    surrogate; iterative, the payload may be deep."""
    stack = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            if "\x00" in value:
                return True
            try:
                value.encode()
            except UnicodeEncodeError:
                return True
    return False


def json_depth_exceeds(body, max_depth):
    """Whether the JSON text ``body`` (bytes) nests arrays and objects deeper than
    ``max_depth``; without parsing it, without recursion.

    Brackets inside strings do not count. A body with no more opening brackets
    than ``max_depth`` is answered from two counts, without a scan.
    """
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False
    depth = 0
    for match in _JSON_STRUCTURE.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def parse(body, max_depth=None):
    """The payload of ``body``: UTF-8 JSON that the message log can store.

    Nesting deeper than ``max_depth`` is refused first (422, nothing parsed).
    Beyond the JSON grammar, refused as malformed: another encoding than
    UTF-8, NaN and Infinity, numbers beyond a double, duplicate member names
    (parsers disagree on which one wins), nesting beyond Python's recursion
    limit, and strings PostgreSQL cannot hold (NUL, unpaired surrogates).
    """
    if max_depth and json_depth_exceeds(body, max_depth):
        raise NestingTooDeep(
            f"The body nests arrays and objects deeper than this endpoint "
            f"accepts ({max_depth} levels)."
        )
    try:
        text = body.decode()
        payload = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_members,
        )
    except json.JSONDecodeError as error:
        raise MalformedJson(
            f"The body is not valid JSON (line {error.lineno}, column {error.colno})."
        ) from None
    except RecursionError:
        raise MalformedJson("The body is nested too deeply.") from None
    except _DuplicateMember:
        raise MalformedJson("The body repeats a member name in an object.") from None
    except ValueError:  # not UTF-8, NaN, Infinity, overflow, digits limit
        raise MalformedJson("The body is not valid UTF-8 JSON.") from None
    if _UNSTORABLE_ESCAPE.search(text) and _has_unstorable_text(payload):
        raise MalformedJson("The body holds a NUL character or an unpaired surrogate.")
    return payload
