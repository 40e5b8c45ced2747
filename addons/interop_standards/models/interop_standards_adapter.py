# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
from collections import namedtuple

from psycopg2 import IntegrityError

from odoo import fields, models

from odoo.addons.interop.models.interop_message import (
    DONE,
    PROCESSING,
    REJECTED,
    VALIDATED,
    _quiet_handler_sql_errors,
)

#: what an adapter stored for one original message
Stored = namedtuple("Stored", "original children repeat")


class InteropStandardsAdapter(models.AbstractModel):
    """What every standard's adapter does with one original message once it is
    read: log it (encrypted, masked for those without PHI access), and hand its
    canonical event over to the governed flow as its child, with the same
    correlation id. Idempotency, validation, processing, exceptions and audit are
    then those of any canonical message.
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
        its children, validated and queued like any inbound message. Returns a
        :data:`Stored`; ``repeat`` is ``(id, same body)`` of the message already
        logged with ``key`` when a concurrent request took it first."""
        Message = self._service_messages(endpoint)
        endpoint_rec = self._endpoint_record(endpoint)
        try:
            with self.env.cr.savepoint(), _quiet_handler_sql_errors():
                original = Message._log_message(
                    endpoint_rec,
                    self._original_event_type(original_code),
                    body,
                    content_type=content_type,
                    idempotency_key=key,
                    business_key=business_key,
                )
        except IntegrityError:
            return Stored(None, None, self._find_repeat(endpoint, key, body))
        original._set_state(VALIDATED)
        original._set_state(
            PROCESSING, date_started=fields.Datetime.now(), attempt_count=1
        )
        EventType = self.env["interop.event.type"].sudo()
        messages = Message.browse()
        for index, (canonical_code, payload) in enumerate(children, start=1):
            child_key = f"{original_code}:{key}" if key else None
            if child_key and len(children) > 1:
                child_key = f"{child_key}:{index}"
            messages |= Message._receive(
                endpoint_rec,
                EventType._find(canonical_code),
                payload,
                parent_id=original.id,
                correlation_id=original.correlation_id,
                idempotency_key=child_key,
            )
        original._set_state(DONE, date_finished=fields.Datetime.now())
        return Stored(original, messages, None)
