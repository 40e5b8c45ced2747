# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Failures of message processing that a business person can act on.

Processing code (handlers, the mapping resolver, the system-of-record check)
raises one of these; the message log turns it into an exception routed to the
right owner, with the words of ``summary`` and ``suggested_action``. None is
retried automatically: the data or the configuration must change first (then
the message is replayed). Transient, technical faults raise queue_job's
``RetryableJobError`` instead.

Never put a payload value that may be PHI into ``summary``: every user of the
exception queue sees it. ``detail`` is technical, shown folded, to managers.
"""

import traceback


class InteropProcessingError(Exception):
    """A message cannot be processed until a person acts."""

    #: code of an ``interop.exception.category`` record
    #: (data/interop_exception_category_data)
    category = "business_rule"
    severity = "medium"

    def __init__(
        self, summary, *, suggested_action=None, detail=None, owner=None, records=None
    ):
        super().__init__(summary)
        self.summary = summary
        self.suggested_action = suggested_action
        self.detail = detail
        #: a ``res.users`` or ``interop.team`` record that should work it, overriding
        #: routing
        self.owner = owner
        #: Odoo records the failure is about (linked on the exception): a recordset
        #: or a list of recordsets of several models
        self.records = records
        #: business facts shown on the exception, (label, value) pairs: business codes
        #: and dates only, never a payload value that may be PHI
        self.facts = []

    def add_facts(self, facts):
        """Add (label, value) pairs shown as the exception's details."""
        self.facts.extend((label, value) for label, value in facts if value)
        return self

    def add_records(self, *records):
        """Link more records on the exception (e.g. the visit a mapping failed in);
        returns the error, to re-raise it."""
        current = self.records
        if current is None:
            current = []
        elif not isinstance(current, (list, tuple)):
            current = [current]
        self.records = [*current, *(r for r in records if r)]
        return self

    def iter_records(self):
        """Each record the failure is about, once, in the order given."""
        records = self.records
        if records is None:
            return []
        if not isinstance(records, (list, tuple)):
            records = [records]
        seen = []
        for recordset in records:
            for record in recordset or []:
                if (record._name, record.id) not in [(r._name, r.id) for r in seen]:
                    seen.append(record)
        return seen


class PayloadValidationError(InteropProcessingError):
    """The payload does not satisfy its event type's contract."""

    category = "validation"

    def __init__(self, summary, *, violations=None, **kwargs):
        super().__init__(summary, **kwargs)
        self.violations = violations or []


class MappingError(InteropProcessingError):
    """An external code has no mapping valid on the date in a mapping table."""

    category = "mapping"

    def __init__(self, summary, *, table=None, code=None, **kwargs):
        super().__init__(summary, **kwargs)
        self.table = table
        self.code = code


class BusinessRuleError(InteropProcessingError):
    """The data is well-formed and mapped but breaks a business rule (e.g. no price)."""

    category = "business_rule"


class SystemOfRecordConflict(InteropProcessingError):
    """Processing would overwrite data owned by another system."""

    category = "system_of_record"
    severity = "high"


class ProbableDuplicate(InteropProcessingError):
    """A contact a message would create looks like one Odoo already has.

    Contacts are never merged automatically, and no look-alike is created: a
    person decides which one is right.
    """

    category = "conflict"


class TransportError(InteropProcessingError):
    """A technical or transport failure that retries could not overcome."""

    category = "technical"
    severity = "high"


class MessageHeld(Exception):
    """Processing must wait: not a failure, nothing for a person to do yet.

    A handler raises it when a timing rule says the message comes too early (an
    invoice before its service date, a payment before its invoice). What the handler
    did is rolled back; the message waits in the *held* state until ``release_at``,
    then a scheduled action queues it again and the handler checks again.
    """

    def __init__(self, reason, *, release_at, rule=None):
        super().__init__(reason)
        #: why, in words (shown on the message: no payload value that may be PHI)
        self.reason = reason
        #: when the message is processed again (UTC, naive)
        self.release_at = release_at
        #: the configuration record that decided it (e.g. a timing rule), if any
        self.rule = rule


def error_location(error):
    """Where ``error`` was raised, as ``file:line in function`` of the innermost
    frames: code, never values."""
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    return " < ".join(
        f"{frame.filename.rsplit('/addons/', 1)[-1]}:{frame.lineno} in {frame.name}"
        for frame in reversed(frames)
    )


def unkept_error_detail(env, error):
    """The technical detail of an error no code expected: its type and where it was
    raised. Never its text: database, parser and Python errors quote the values they
    choked on (payload values, PHI)."""
    return env._(
        "%(error_type)s raised at %(location)s. Its text is not kept: it may quote "
        "the values it choked on. Replay it in a test database to see it.",
        error_type=f"{type(error).__module__}.{type(error).__name__}",
        location=error_location(error),
    )
