# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import functools
import hashlib
import hmac
import logging
import math
import re
import time
from collections import namedtuple
from contextlib import contextmanager
from datetime import UTC

from psycopg2 import errors as pg_errors

from odoo import api, models
from odoo.tools import SQL

from odoo.addons.interop.models.interop_event_type import extract_key

from .. import strict_json
from ..errors import (
    BadRequest,
    Forbidden,
    IdempotencyConflict,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from ..rate_limit import RateCounter, seconds_to_next_window

_logger = logging.getLogger(__name__)

#: seconds a signed request's timestamp may be off the server's clock
SIGNATURE_TOLERANCE = 300
SIGNATURE_SCHEME = "sha256"
#: the path a partner signs (canonical_string)
INBOUND_PATH = "/interop/v1/inbound/%s/%s"
#: the value of X-Interop-Signature: the scheme, "=", 64 hex digits
_SIGNATURE = re.compile(re.escape(SIGNATURE_SCHEME) + r"=([0-9a-fA-F]{64})")
#: the value of X-Interop-Timestamp: Unix seconds, ASCII digits (12: beyond year 33000)
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
#: an API key as a header carries it: printable ASCII, no space, bounded
_API_KEY = re.compile(r"[\x21-\x7e]{1,256}")
#: an Idempotency-Key: printable ASCII (spaces inside allowed)
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
#: an endpoint or event type code in a URL: what a code can be, bounded
_CODE = re.compile(r"[\x21-\x7e]{1,128}")
#: seconds between two recordings of a key's last use
LAST_USED_RESOLUTION = 60
MAX_IDEMPOTENCY_KEY_SIZE = 256
RATE_TABLE = "interop_gateway_rate"
MESSAGE_URL = "/interop/v1/messages/%s"
MAX_INT4 = 2**31 - 1

#: what the gateway answers when it does not refuse: status, JSON body, headers
Answer = namedtuple("Answer", "status body headers")
#: a message already received with an idempotency key
Received = namedtuple("Received", "id correlation_id state payload_hash")

# When this process last recorded the use of a key: {(db, key id): monotonic time}.
_LAST_USED = {}
# This process's rate counters (rate_limit.RateCounter)
_RATE = RateCounter()


def canonical_string(method, path, idempotency_key, timestamp, body):
    """What a partner signs (bytes): the method, the path, the Idempotency-Key
    header ("" without one), the timestamp, each followed by a line feed, then
    the raw body. Text is UTF-8."""
    head = "\n".join((method.upper(), path, idempotency_key or "", timestamp, ""))
    return head.encode() + body


class InteropGateway(models.AbstractModel):
    """The inbound gateway: authenticate, check, log and queue one request.

    Called by the controller as the public user: every read uses ``sudo`` on the
    one record it needs; the message is logged and queued as the endpoint's service
    user, whose rights the processing uses. Refusals raise a
    :class:`~odoo.addons.interop_gateway.errors.GatewayError`.
    """

    _name = "interop.gateway"
    _description = "Interop Inbound Gateway"

    def init(self):
        # One row per endpoint and minute, shared by every worker. UNLOGGED: counts
        # are worthless after a crash, and cheaper to write without WAL.
        self.env.cr.execute(
            SQL(
                """
                CREATE UNLOGGED TABLE IF NOT EXISTS %(table)s (
                    endpoint_id integer NOT NULL,
                    window_start bigint NOT NULL,
                    count integer NOT NULL,
                    PRIMARY KEY (endpoint_id, window_start)
                )
                """,
                table=SQL.identifier(RATE_TABLE),
            )
        )

    # Entry points

    @api.model
    def _accept(self, endpoint_code, event_type_code, headers, read_body, length=None):
        """Take one inbound message; return the :data:`Answer` (202, or 200 for a
        repeat).

        :param headers: the request's headers (any mapping)
        :param read_body: callable returning at most the given number of bytes of
            the body; called once the request is authenticated and its announced
            length accepted
        :param length: the announced Content-Length, if any
        """
        headers = {name.lower(): value for name, value in headers.items()}
        credential = self._authenticate(headers)
        # the endpoint and the event type as cached profiles, not records: the hot
        # path reads nothing of them from the database
        endpoint = self._get_endpoint(credential, endpoint_code)
        if not _CODE.fullmatch(event_type_code):
            raise NotFound("No such endpoint or event type.")
        self._check_rate_limit(endpoint, credential)
        body = self._read_body(endpoint, headers, read_body, length)
        header_key = self._get_header_idempotency_key(headers)
        signature = self._check_signature(
            endpoint,
            headers,
            body,
            path=INBOUND_PATH % (endpoint_code, event_type_code),
            idempotency_key=header_key,
        )
        self._check_open(endpoint)
        contract = self._get_event_type(endpoint, credential, event_type_code)
        payload = self._parse_json(body, max_depth=endpoint.max_json_depth)
        idempotency_key = header_key or extract_key(payload, contract.id_field)
        if not idempotency_key and signature:
            # A signed request without any key: its signature identifies it. A
            # replay of it within the timestamp window is answered as a repeat (200)
            # and creates nothing.
            idempotency_key = f"signature:{signature}"
        return self._store(endpoint, contract, body, payload, idempotency_key)

    @api.model
    def _message_status(self, message_id, headers):
        """The :data:`Answer` describing an inbound message of the caller's
        endpoint."""
        headers = {name.lower(): value for name, value in headers.items()}
        credential = self._authenticate(headers)
        # sudo: a partner system reads the status of its own endpoint's messages
        message_sudo = (
            self.env["interop.message"]
            .sudo()
            .with_context(active_test=False)
            .browse(message_id if 0 < message_id <= MAX_INT4 else [])
            .exists()
        )
        if (
            not message_sudo
            or message_sudo.endpoint_id.id != credential.endpoint_id
            or message_sudo.direction != "inbound"
        ):
            raise NotFound("No such message.")
        body = self._message_reference(message_sudo)
        body.update(
            event_type=message_sudo.event_type_id.code or None,
            received_at=message_sudo.date_received.replace(tzinfo=UTC).isoformat(),
            last_error=message_sudo.last_error or None,
        )
        return Answer(200, body, {})

    # Steps

    def _authenticate(self, headers):
        # any header value may be anything a client sends (latin-1 text of any
        # bytes, any length): whatever is not an API key is no credential
        scheme, _sep, key = (headers.get("authorization") or "").partition(" ")
        key = key.strip()
        credential = None
        if scheme.lower() == "bearer" and _API_KEY.fullmatch(key):
            credential = self.env["interop.api.key"]._authenticate(key)
        if not credential:
            raise Unauthorized()
        return credential

    def _get_endpoint(self, credential, endpoint_code):
        """The gateway profile of the key's endpoint (interop.endpoint
        ``_gateway_profile``)."""
        profile = self.env["interop.endpoint"]._gateway_profile(credential.endpoint_id)
        if profile is None or profile.code != endpoint_code:
            # another endpoint's URL: as if it did not exist
            raise NotFound("No such endpoint or event type.")
        return profile

    def _check_rate_limit(self, endpoint, credential):
        limit = endpoint.rate_limit
        now = time.time()
        count = self._count_request(endpoint.id, now, limit) if limit else 0
        self._touch_key(credential)
        if limit and count > limit:
            raise RateLimited(retry_after=seconds_to_next_window(now))

    def _count_request(self, endpoint_id, now, limit):
        """Count the request in the endpoint's current window; return the count of
        the window across workers, as far as this worker knows it
        (:class:`~..rate_limit.RateCounter`)."""
        return _RATE.count(
            (self.env.cr.dbname, endpoint_id),
            now,
            limit,
            functools.partial(self._add_usage, endpoint_id),
        )

    def _add_usage(self, endpoint_id, window, count):
        """Add ``count`` requests to the shared counter of the window; return its
        total. In a transaction of its own: the counter row is a hot spot that must
        not stay locked while the message is logged."""
        with self._bookkeeping_cursor() as cr:
            cr.execute(
                SQL(
                    """
                    INSERT INTO %(table)s AS rate (endpoint_id, window_start, count)
                    VALUES (%(endpoint)s, %(window)s, %(count)s)
                    ON CONFLICT (endpoint_id, window_start)
                    DO UPDATE SET count = rate.count + EXCLUDED.count
                    RETURNING count
                    """,
                    table=SQL.identifier(RATE_TABLE),
                    endpoint=endpoint_id,
                    window=window,
                    count=count,
                )
            )
            total = cr.fetchone()[0]
            if total == count:  # a new window: forget the endpoint's older ones
                cr.execute(
                    SQL(
                        "DELETE FROM %s WHERE endpoint_id = %s AND window_start < %s",
                        SQL.identifier(RATE_TABLE),
                        endpoint_id,
                        window,
                    )
                )
        return total

    @contextmanager
    def _bookkeeping_cursor(self):
        """A short transaction of its own, committed at once, for the usage counters
        and the key's last use: their rows are hot spots that must not stay locked
        while the message is logged. Under READ COMMITTED, concurrent requests wait
        for the row and add up (or find nothing left to do) instead of failing as
        Odoo's REPEATABLE READ would make them."""
        with self.env.registry.cursor() as cr:
            if not self.env.registry.in_test_mode():
                cr.execute(SQL("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"))
            yield cr

    def _touch_key(self, credential):
        """Note the key's last use, at most once a minute per worker."""
        memo_key = (self.env.cr.dbname, credential.key_id)
        if time.monotonic() - _LAST_USED.get(memo_key, -math.inf) < (
            LAST_USED_RESOLUTION
        ):
            return
        with self._bookkeeping_cursor() as cr:
            cr.execute(
                SQL(
                    """
                    UPDATE interop_api_key
                    SET date_last_used = now() AT TIME ZONE 'UTC'
                    WHERE id = %(key)s AND (
                        date_last_used IS NULL
                        OR date_last_used < now() AT TIME ZONE 'UTC'
                            - make_interval(secs => %(resolution)s)
                    )
                    """,
                    key=credential.key_id,
                    resolution=LAST_USED_RESOLUTION,
                )
            )
        _LAST_USED[memo_key] = time.monotonic()

    def _read_body(self, endpoint, headers, read_body, length):
        content_type = (headers.get("content-type") or "").lower()
        mimetype, _sep, params = content_type.partition(";")
        mimetype = mimetype.strip()
        charset = params.partition("charset=")[2].strip().strip('"')
        if not (
            mimetype == "application/json"
            or (mimetype.startswith("application/") and mimetype.endswith("+json"))
        ) or charset not in ("", "utf-8"):
            raise UnsupportedMediaType()
        limit = endpoint.max_body_bytes
        too_large = PayloadTooLarge(
            f"The body is larger than this endpoint accepts ({limit} bytes)."
        )
        if length and length > limit:
            raise too_large
        # one byte more than the limit tells a body over it: a chunked body (no
        # announced length) is never read further
        body = read_body(limit + 1)
        if len(body) > limit:
            raise too_large
        return body

    def _check_signature(self, endpoint, headers, body, path, idempotency_key):
        """Check the request's signature when the endpoint requires one; return
        the verified signature (hex), or None when none is required.

        The signed text is :func:`canonical_string` of the request: its method,
        path, Idempotency-Key, timestamp and body, so that none of them can be
        changed or replayed with another key.
        """
        if not endpoint.require_signature:
            return None
        timestamp = (headers.get("x-interop-timestamp") or "").strip()
        signature = _SIGNATURE.fullmatch(
            (headers.get("x-interop-signature") or "").strip()
        )
        secret = endpoint.secret
        if not (secret and signature and _TIMESTAMP.fullmatch(timestamp)):
            raise Unauthorized()
        if abs(time.time() - int(timestamp)) > SIGNATURE_TOLERANCE:
            raise Unauthorized()
        expected = hmac.new(
            secret.encode(),
            canonical_string("POST", path, idempotency_key, timestamp, body),
            hashlib.sha256,
        ).hexdigest()
        given = signature.group(1).lower()
        if not hmac.compare_digest(expected, given):
            raise Unauthorized()
        return given

    def _check_open(self, endpoint):
        if endpoint.state != "active":
            raise Forbidden("The endpoint is not active: it exchanges no data.")
        if endpoint.direction == "outbound" or not endpoint.service_user_id:
            raise Forbidden("The endpoint does not receive messages.")

    def _get_event_type(self, endpoint, credential, event_type_code):
        """The contract of the event type (interop.event.type ``_contract``)."""
        contract = self.env["interop.event.type"]._contract(event_type_code)
        if contract is None or (
            contract.company_id and contract.company_id != endpoint.company_id
        ):
            raise NotFound("No such endpoint or event type.")
        if credential.scope_ids:
            # sudo: the codes of the key's scope, for a partner system
            allowed = (
                self.env["interop.event.type"]
                .sudo()
                .browse(credential.scope_ids)
                .mapped("code")
            )
            if contract.code not in allowed:
                raise Forbidden("This key may not send this event type.")
        return contract

    def _parse_json(self, body, max_depth=None):
        """The payload of ``body`` (:func:`..strict_json.parse`)."""
        return strict_json.parse(body, max_depth=max_depth)

    def _get_header_idempotency_key(self, headers):
        """The Idempotency-Key header, trimmed ("" when absent)."""
        key = (headers.get("idempotency-key") or "").strip()
        if len(key) > MAX_IDEMPOTENCY_KEY_SIZE:
            raise BadRequest(
                f"The Idempotency-Key header is longer than "
                f"{MAX_IDEMPOTENCY_KEY_SIZE} characters."
            )
        if key and not _IDEMPOTENCY_KEY.fullmatch(key):
            raise BadRequest(
                "The Idempotency-Key header holds other characters than printable "
                "ASCII."
            )
        return key

    def _store(self, endpoint, event_type, body, payload, idempotency_key):
        """Log the message and queue its processing, in the request's transaction
        (``interop.message._intake``).

        A valid message is stored queued in one statement that also claims its
        idempotency key; a repeat is found by that claim failing, so a new message
        costs no lookup.
        """
        # logged and queued as the endpoint's service user (creator, job user)
        Message = self.env["interop.message"].with_user(endpoint.service_user_id)
        business_key = extract_key(payload, event_type.business_key_field)
        violations = event_type.check(payload)
        if violations:
            return self._store_invalid(
                Message,
                endpoint,
                event_type,
                body,
                payload,
                business_key,
                violations,
            )
        try:
            intake = Message._intake(
                endpoint,
                event_type,
                body,
                payload,
                violations=violations,
                idempotency_key=idempotency_key,
                business_key=business_key,
            )
        except pg_errors.SerializationFailure:
            # A concurrent request with the same key committed after this request
            # began: its message is visible to a new transaction only. Nothing of
            # this transaction is kept (the usage counters have their own).
            self.env.cr.rollback()
            return self._answer_repeat(
                self._find_received(endpoint, idempotency_key, committed=True), body
            )
        if intake is None:
            return self._answer_repeat(
                self._find_received(endpoint, idempotency_key), body
            )
        return Answer(
            202,
            {
                "message_id": intake.id,
                "correlation_id": intake.correlation_id,
                "status": intake.state,
            },
            {"Location": MESSAGE_URL % intake.id},
        )

    def _store_invalid(
        self,
        Message,
        endpoint,
        event_type,
        body,
        payload,
        business_key,
        violations,
    ):
        """Refuse a payload that does not match its contract (422), whatever its
        key: the sender learns what to correct, and the message is logged rejected
        (without the key: the sender corrects it and sends it again with the same
        key)."""
        # sudo: records of the profiles, for the (rare) rejected message
        endpoint = self.env["interop.endpoint"].sudo().browse(endpoint.id)
        event_type = self.env["interop.event.type"].sudo().browse(event_type.id)
        intake = Message._intake(
            endpoint,
            event_type,
            body,
            payload,
            violations=violations,
            business_key=business_key,
        )
        raise ValidationFailed(
            f"The payload does not match the schema of {event_type.display_name} "
            f"({len(violations)} violation(s)).",
            message_id=intake.id,
            violations=violations,
        )

    def _find_received(self, endpoint, idempotency_key, committed=False):
        # endpoint: a record or a gateway profile (its id is what counts)
        """The message received with this key, as a :data:`Received`, or None.

        ``committed``: look in a new transaction, which sees what concurrent
        transactions committed since this one started (REPEATABLE READ).
        """
        domain = [
            ("endpoint_id", "=", endpoint.id),
            ("direction", "=", "inbound"),
            ("idempotency_key", "=", idempotency_key),
        ]
        if not committed:
            return self._read_received(self.env, domain)
        with self.env.registry.cursor() as cr:
            return self._read_received(self.env(cr=cr), domain)

    @api.model
    def _read_received(self, env, domain):
        # sudo: the sender's earlier message, found by the unique index of its key
        # (pruned messages too: their hash is kept)
        message_sudo = (
            env["interop.message"]
            .sudo()
            .with_context(active_test=False)
            .search(domain, limit=1)
        )
        if not message_sudo:
            return None
        return Received(
            message_sudo.id,
            message_sudo.correlation_id,
            message_sudo.state,
            message_sudo.payload_hash,
        )

    def _answer_repeat(self, received, body):
        if received.payload_hash != hashlib.sha256(body).hexdigest():
            raise IdempotencyConflict(message_id=received.id)
        return Answer(
            200,
            {
                "message_id": received.id,
                "correlation_id": received.correlation_id,
                "status": received.state,
            },
            {"Location": MESSAGE_URL % received.id},
        )

    @api.model
    def _message_reference(self, message):
        return {
            "message_id": message.id,
            "correlation_id": message.correlation_id,
            "status": message.state,
        }
