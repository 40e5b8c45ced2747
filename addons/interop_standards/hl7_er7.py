# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""HL7 v2 (ER7) read with the ``hl7`` library: the message parsed, the values of its
fields, its errors as an ACK names them, the header of its ACK. No Odoo here: the
adapter (``models/interop_hl7_adapter.py``) checks, logs and answers with these."""

from collections import namedtuple
from datetime import UTC, datetime

import hl7
from hl7 import containers as hl7_containers
from hl7 import parser as hl7_parser
from hl7.exceptions import HL7Exception


class Hl7Error(Exception):
    """One error of a message, as its ACK names it: where (segment, its
    occurrence, field, component), what (HL7 table 0357) and in words (never a
    value of the message)."""

    def __init__(self, code, segment, field, text, sequence=1, component=None):
        super().__init__(text)
        self.code = code
        self.segment = segment
        self.sequence = sequence
        self.field = field
        self.component = component
        self.text = text

    @property
    def location(self):
        location = f"{self.segment}-{self.field}" if self.field else self.segment
        if self.component:
            location += f".{self.component}"
        if self.sequence > 1:
            location += f" (occurrence {self.sequence})"
        return location

    def reason(self):
        """The error for the message log: location, code and words."""
        return f"{self.location}: {self.text} (HL7 {self.code})"


class Hl7Reject(Hl7Error):
    """An error that refuses the whole message (AR): its header, type, version."""


#: one message read from a request: its text, what it became, its ACK
Outcome = namedtuple("Outcome", "ack message_id")


def _light(container, level):
    """``container`` (one of hl7's) built as the library builds it, without the
    per-object assertion and the chain of constructors: same class, same list,
    same separator, escape, separators and factory."""

    def __init__(
        self, separator=None, sequence=(), esc="\\", separators="\r|~^&", factory=None
    ):
        list.__init__(self, sequence)
        self.separator = separators[level]
        self.esc = esc
        self.separators = separators
        self.factory = factory if factory is not None else hl7_containers.Factory

    return type(container.__name__, (container,), {"__init__": __init__})


class _Factory(hl7_containers.Factory):
    """hl7's containers, built lighter (the factory is the library's hook for it)."""

    create_message = _light(hl7_containers.Message, 0)
    create_segment = _light(hl7_containers.Segment, 1)
    create_field = _light(hl7_containers.Field, 2)
    create_repetition = _light(hl7_containers.Repetition, 3)
    create_component = _light(hl7_containers.Component, 4)


class _ParsePlan(hl7_parser._ParsePlan):
    """hl7's parse plan, the plan of the next level made once per level: the
    library makes it again for every segment, field, repetition and component."""

    _next_plan = None

    def next(self):
        if self._next_plan is None:
            self._next_plan = super().next() or False
        return self._next_plan or None


def parse(er7):
    """``hl7.parse(er7)``: the library's parser (its plan, its ``_split``, its
    containers), 0.6x the time: a DFT is read in about 0.2 ms instead of 0.35.
    hl7 is pinned (requirements.txt); a test compares both on every message of the
    tests and the demo."""
    text = er7.strip()
    plan = hl7_parser.create_parse_plan(text, _Factory)
    plan.__class__ = _ParsePlan
    return hl7_parser._split(text, plan)


def field_value(segment, field, component=1, repeat=1):
    """The (unescaped) value of a field's component, "" when absent."""
    if segment is None:
        return ""
    try:
        return str(segment.extract_field(1, field, repeat, component, 1)).strip()
    except (IndexError, HL7Exception):
        return ""


def field_repeats(segment, field, component=1, limit=20):
    values = []
    for repeat in range(1, limit + 1):
        value = field_value(segment, field, component, repeat)
        if not value:
            break
        values.append(value)
    return values


def segments_of(message, segment_id):
    try:
        return list(message.segments(segment_id))
    except KeyError:
        return []


def required(segment, segment_id, field, what, component=1, sequence=1):
    value = field_value(segment, field, component)
    if not value:
        raise Hl7Error(
            101,
            segment_id,
            field,
            f"{what} is missing.",
            sequence=sequence,
            component=component if component > 1 else None,
        )
    return value


def timestamp(value, segment_id, field, what, sequence=1):
    """An HL7 DTM as ISO 8601 (UTC "Z" when it carries no offset)."""
    try:
        moment = hl7.parse_datetime(value)
        if moment is not None and moment.tzinfo is not None:
            # an offset beyond a day, or one past year 9999 in UTC, raises here
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise Hl7Error(
            102, segment_id, field, f"{what} is not an HL7 date/time.", sequence
        )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def person_name(segment, field):
    """A person's name (XPN: family^given) as "Given Family"."""
    family, given = field_value(segment, field, 1), field_value(segment, field, 2)
    return " ".join(part for part in (given, family) if part)


def header_part(msh, *path):
    """The text of a part of the header (``msh(9)(1)(2)``: MSH-9's trigger), ""
    when the header does not have it."""
    part = msh
    try:
        for index in path:
            part = part(index)
    except (IndexError, TypeError):  # a field cut short, a text without components
        return ""
    return str(part)


def ack_text(message, verdict, message_id):
    """The MSH and MSA of the ACK that ``hl7.Message.create_ack`` builds for
    ``message`` from INTEROP, as text, without building its containers (a fifth of
    the time): the same fields, taken from the message as it takes them; a part the
    header lacks (a message refused for it) is left empty where ``create_ack``
    fails."""
    msh = message.segment("MSH")
    separator = str(msh(1))
    component = message.separators[3]
    header = (
        "INTEROP",
        "INTEROP",
        header_part(msh, 3),
        header_part(msh, 4),
        datetime.now(UTC).strftime("%Y%m%d%H%M%S"),
        "",
        component.join(("ACK", header_part(msh, 9, 1, 2), "ACK")),
        message_id,
        header_part(msh, 11),
        header_part(msh, 12),
    )
    return (
        f"MSH{separator}{msh(2)}{separator}{separator.join(header)}\r"
        f"MSA{separator}{verdict}{separator}{header_part(msh, 10)}\r"
    )
