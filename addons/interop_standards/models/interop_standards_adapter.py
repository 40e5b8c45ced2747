# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
from collections import namedtuple

from odoo import fields, models

from odoo.addons.interop.errors import PayloadValidationError, TransportError
from odoo.addons.interop.models.interop_event_type import extract_key
from odoo.addons.interop.models.interop_message import DONE, REJECTED
from odoo.addons.interop.payload import dumps_body

#: an original with more children than this stores them grouped
GROUPED_FROM = 20
GROUPED_CHUNK = 1000

#: what an adapter stored for one original message
Stored = namedtuple("Stored", "original children repeat")


class InteropStandardsAdapter(models.AbstractModel):
    """What every standard's adapter does with one original message once it is
    read: log it (encrypted, masked for those without PHI access), and hand its
    canonical event over to the governed flow as its child, with the same
    correlation id. Idempotency, validation, processing, exceptions and audit are
    then those of any canonical message.

    A message of one canonical event (HL7, FHIR) is stored queued and answered;
    its processing derives the child (:meth:`_log_original`,
    :meth:`_derive_child`). A file whose answer reports what it posted (an X12
    835) stores its children in the request (:meth:`_log_accepted`).
    """

    _name = "interop.standards.adapter"
    _description = "Interop Healthcare Standards Adapter"

    def _service_messages(self, endpoint):
        """``interop.message`` as the endpoint's service user (creator of the
        rows), in superuser mode: the log is written by its own methods only."""
        return self.env["interop.message"].with_user(endpoint.service_user_id).sudo()

    def _endpoint_record(self, endpoint):
        # sudo: the record of the authenticated key's endpoint (a gateway profile)
        return self.env["interop.endpoint"].sudo().browse(endpoint.id)

    def _original_event_type(self, code):
        # sudo: the event type of the original messages of a standard
        return self.env["interop.event.type"].sudo()._find(code)

    def _find_repeat(self, endpoint, key, body):
        """``(message id, same body)`` of the message this endpoint already sent
        with ``key``, or None."""
        if not key:
            return None
        received = self.env["interop.gateway"]._find_received(endpoint, key)
        if received is None:
            return None
        same = received.payload_hash == hashlib.sha256(body).hexdigest()
        return received.id, same

    def _log_rejected(
        self, endpoint, original_code, body, content_type, reasons, business_key=None
    ):
        """Log an original message that is refused: rejected, with ``reasons``
        (segment, field and rule; never a value), for the endpoint's technical
        owner. It takes no idempotency key: the sender corrects it and sends it
        again with the same one."""
        Message = self._service_messages(endpoint)
        event_type = self._original_event_type(original_code)
        original = Message._log_message(
            self._endpoint_record(endpoint),
            event_type,
            body,
            content_type=content_type,
            business_key=business_key,
        )
        original._set_state(
            REJECTED,
            rejection_reasons="\n".join(reasons),
            last_error=self.env._(
                "The message was refused (%(count)s error(s)): see the rejection "
                "reasons.",
                count=len(reasons),
            ),
            date_finished=fields.Datetime.now(),
        )
        if event_type:
            original._raise_rejection()
        return original

    def _log_original(
        self, endpoint, original_code, body, content_type, key, business_key=None
    ):
        """Log an accepted original message whose one canonical event its
        processing derives (:meth:`_derive_child`): an HL7 message, a FHIR
        bundle. The adapter has read and checked it, and answers the sender from
        that reading; the original is stored queued under its idempotency ``key``
        in one statement that claims the key, and dispatched, as the JSON gateway
        stores a message (``interop.message._intake``). Its drain reads it again
        and stores the canonical event as its child, which its own drain
        processes: the request stores one row, not two.

        Returns a :data:`Stored` (no children yet); ``repeat`` is ``(id, same
        body)`` of the message already logged with ``key`` when a concurrent
        request took it first.
        """
        intake = self._service_messages(endpoint)._intake(
            endpoint,
            self.env["interop.event.type"]._contract(original_code),
            body,
            None,
            violations=[],  # checked by the adapter
            idempotency_key=key or None,
            business_key=business_key,
            content_type=content_type,
        )
        if intake is None:
            return Stored(None, None, self._find_repeat(endpoint, key, body))
        Message = self.env["interop.message"]
        return Stored(Message.browse(intake.id), Message, None)

    def _check_original(self, original, original_code):
        """Refuse to process ``original`` unless it is a message of
        ``original_code``, the event type whose messages the calling handler
        reads: an approved change pointing another event type at that handler
        would let its senders post canonical events their key may not send."""
        # sudo: the event type of the message being processed
        event_type = original.sudo().event_type_id
        if event_type.code != original_code:
            raise TransportError(
                self.env._(
                    "This handler reads %(expected)s messages only, not "
                    "%(event)s: nothing was derived.",
                    expected=original_code,
                    event=event_type.display_name,
                ),
                suggested_action=self.env._(
                    "Set the handler of the event type back to its own, then retry."
                ),
            )

    def _not_converted(self, message_words, reasons, suggested_action):
        """The error of an original that no longer converts to its canonical event
        (``message_words``: what it is, e.g. "The HL7 message"), for its owner:
        its ``reasons`` (locations and rules, never a value)."""
        return PayloadValidationError(
            self.env._(
                "%(message)s no longer converts to its canonical event (%(count)s "
                "error(s)): %(reasons)s",
                message=message_words,
                count=len(reasons),
                reasons="; ".join(reasons),
            ),
            violations=reasons,
            suggested_action=suggested_action,
        )

    def _derive_child(self, original, original_code, canonical_code, payload):
        """The processing of an original logged by :meth:`_log_original` (of
        event type ``original_code``, checked by :meth:`_check_original`): store
        its canonical event ``payload`` (of event type ``canonical_code``) as its
        child, with its correlation id, validated and queued like any inbound
        message (a payload its contract now refuses is stored rejected, for the
        owner).

        The child's idempotency key is the original's, prefixed
        (:meth:`_child_key`): for an original processed again, the insert of a
        second child claims a key taken, and stores nothing.
        """
        # sudo: the log is written by its own methods only (as at intake)
        original = original.sudo()
        key = original.idempotency_key
        # without a key, nothing stops a second child but this look
        if not key and original.child_ids:
            return
        endpoint = original.endpoint_id
        contract = self.env["interop.event.type"]._contract(canonical_code)
        self._service_messages(endpoint)._intake(
            endpoint,
            contract,
            dumps_body(payload),
            payload,
            violations=contract.check(payload),
            idempotency_key=self._child_key(original_code, key),
            business_key=extract_key(payload, contract.business_key_field),
            parent_id=original.id,
            correlation_id=original.correlation_id,
        )

    def _child_key(self, original_code, key, index=None):
        """The idempotency key of a canonical child of the original sent with
        ``key`` (None without one): the original's, prefixed with its event type,
        followed by the child's ``index`` when the original has several."""
        if not key:
            return None
        child_key = f"{original_code}:{key}"
        return child_key if index is None else f"{child_key}:{index}"

    def _log_accepted(
        self,
        endpoint,
        original_code,
        body,
        content_type,
        key,
        children,
        business_key=None,
    ):
        """Log an accepted original message under its idempotency ``key`` and its
        canonical events (``children``: ``(event type code, payload)`` pairs) as
        its children, validated and queued like any inbound message, in the same
        request: a file whose children the sender's answer reports (an X12 835).
        Returns a :data:`Stored`; ``repeat`` is ``(id, same body)`` of the message
        already logged with ``key`` when a concurrent request took it first.

        The gateway's intake path (``interop.message._log_queued``, ``_intake``):
        the original is inserted in one statement that also claims its key (a
        repeat is found by that claim failing), each child likewise, and the
        original is then marked done; the event types are the cached contracts.
        """
        Message = self._service_messages(endpoint)
        EventType = self.env["interop.event.type"]
        original_type = EventType._contract(original_code)
        now = fields.Datetime.now()
        logged = Message._log_queued(
            endpoint.id,
            _id(endpoint.company_id),
            original_type.id,
            original_type.version,
            body,
            idempotency_key=key or None,
            business_key=business_key,
            content_type=content_type,
        )
        if logged is None:
            return Stored(None, None, self._find_repeat(endpoint, key, body))
        original_id, correlation_id, _drain = logged
        if len(children) > GROUPED_FROM:
            child_ids = self._log_children_grouped(
                Message,
                endpoint,
                original_code,
                key,
                children,
                original_id,
                correlation_id,
            )
        else:
            child_ids = []
            for index, (canonical_code, payload) in enumerate(children, start=1):
                contract = EventType._contract(canonical_code)
                child_key = self._child_key(
                    original_code, key, index if len(children) > 1 else None
                )
                intake = Message._intake(
                    endpoint,
                    contract,
                    dumps_body(payload),
                    payload,
                    violations=contract.check(payload),
                    skip_duplicate=False,
                    idempotency_key=child_key,
                    business_key=extract_key(payload, contract.business_key_field),
                    parent_id=original_id,
                    correlation_id=correlation_id,
                )
                child_ids.append(intake.id)
        original = Message.browse(original_id)
        # accepted and handed over: the original's own work is done
        original.sudo().write(
            {
                "state": DONE,
                "date_started": now,
                "date_finished": fields.Datetime.now(),
                "attempt_count": 1,
            }
        )
        return Stored(original, Message.browse(child_ids), None)

    def _log_children_grouped(
        self,
        Message,
        endpoint,
        original_code,
        key,
        children,
        original_id,
        correlation_id,
    ):
        """The children of a file of many (an 835's payments): the rows
        :meth:`interop.message._log_queued` writes, inserted a thousand per
        statement, then dispatched as each would be. A child that breaks its
        contract is stored rejected (``_intake``)."""
        EventType = self.env["interop.event.type"]
        company_id = _id(endpoint.company_id)
        child_ids = [None] * len(children)
        valid = {}
        for index, (canonical_code, payload) in enumerate(children, start=1):
            contract = EventType._contract(canonical_code)
            child_key = self._child_key(original_code, key, index)
            body = dumps_body(payload)
            business_key = extract_key(payload, contract.business_key_field)
            violations = contract.check(payload)
            if violations:
                child_ids[index - 1] = Message._intake(
                    endpoint,
                    contract,
                    body,
                    payload,
                    violations=violations,
                    skip_duplicate=False,
                    idempotency_key=child_key,
                    business_key=business_key,
                    parent_id=original_id,
                    correlation_id=correlation_id,
                ).id
                continue
            valid.setdefault(contract.id, (contract, []))[1].append(
                (index - 1, body, child_key, business_key)
            )
        Dispatch = self.env["interop.message.dispatch"]
        for contract, rows in valid.values():
            for start in range(0, len(rows), GROUPED_CHUNK):
                chunk = rows[start : start + GROUPED_CHUNK]
                ids = Message._log_queued_many(
                    endpoint.id,
                    company_id,
                    contract.id,
                    contract.version,
                    [
                        {
                            "body": body,
                            "idempotency_key": child_key,
                            "business_key": business_key,
                        }
                        for _index, body, child_key, business_key in chunk
                    ],
                    parent_id=original_id,
                    correlation_id=correlation_id,
                )
                for (index, *_rest), message_id in zip(chunk, ids, strict=True):
                    child_ids[index] = message_id
            event_type = EventType.sudo().browse(contract.id)
            ids = [child_ids[index] for index, *_rest in rows]
            # the first as the gateway dispatches a message; the others join the
            # drain it queued, or are dispatched one by one when no drain takes them
            # (a batch size of 1, a run without delay)
            Message.sudo()._dispatch_new(event_type, ids[0])
            pending = Dispatch._processing_batch_size() > 1
            for message_id in ids[1:]:
                Message.sudo()._dispatch_new(
                    event_type, message_id, drain_pending=pending
                )
        return child_ids


def _id(value):
    """The id of a record or of a profile's many2one (already an id)."""
    return value.id if isinstance(value, models.BaseModel) else value
