# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What an outbound call came to, and when to try again.

Pure functions and a value object, kept out of the models so that the policy
(what is retried, how long to wait) reads in one place.
"""

import email.utils
import math
import random
from dataclasses import dataclass
from datetime import UTC

#: first retry delay of a transient failure; it doubles with each attempt
RETRY_BASE_SECONDS = 30
#: longest delay between two attempts computed by the back-off
RETRY_MAX_SECONDS = 3600
#: longest ``Retry-After`` honoured (a remote asking for more is asked again then)
RETRY_AFTER_MAX_SECONDS = 6 * 3600
#: largest response body kept (encrypted) on an attempt
RESPONSE_MAX_BYTES = 256 * 1024
#: answers refusing our credentials
AUTH_STATUSES = (401, 403, 407)
#: answers saying the call went to the wrong address or method
CONFIGURATION_STATUSES = (404, 405)

#: what an HTTP status says of a call (:func:`classify_status`)
ACCEPTED = "accepted"
BUSY = "busy"
CREDENTIALS = "credentials"
CONFIGURATION = "configuration"
REJECTED = "rejected"


@dataclass
class CallResult:
    """The outcome of one HTTP call of an outbound message.

    ``error`` is None when the remote accepted the call (2xx). ``transient`` says
    whether trying again later may succeed; ``breaker_failure`` whether the call
    counts as a failure of the remote (no answer, a timeout, a 5xx);
    ``reached`` whether the remote answered at all in a way that proves it is up.
    """

    status: int = 0
    latency_ms: int = 0
    body: bytes = b""
    content_type: str = ""
    retry_after: int | None = None
    error: Exception | None = None
    transient: bool = False
    breaker_failure: bool = False
    reached: bool = False
    #: what the status says of the call (:func:`classify_status`), when answered
    kind: str = ""

    @property
    def ok(self):
        return self.error is None


def classify_status(status):
    """What the HTTP ``status`` of a remote's answer says of the call.

    :data:`ACCEPTED` (2xx); :data:`BUSY`, busy or failing, worth trying again later
    (429, 5xx); :data:`CREDENTIALS`, our credentials refused (401, 403, 407);
    :data:`CONFIGURATION`, the wrong address or method (404, 405, or an answer
    below 400 that is not a success); :data:`REJECTED`, the remote refused the
    message itself (any other 4xx).
    """
    if 200 <= status < 300:
        return ACCEPTED
    if status == 429 or status >= 500:
        return BUSY
    if status in AUTH_STATUSES:
        return CREDENTIALS
    if status in CONFIGURATION_STATUSES or status < 400:
        return CONFIGURATION
    return REJECTED


def classify_response(status, headers, body, latency_ms, now):
    """The :class:`CallResult` of a remote's answer, its ``error`` left to the
    caller to word (from ``kind``).

    ``headers``: the answer's headers (a case-insensitive mapping); ``body`` its
    content, kept up to :data:`RESPONSE_MAX_BYTES`; ``now`` a naive UTC datetime.
    A busy or failing remote (:data:`BUSY`) is worth trying again, after its
    ``Retry-After`` when it gives one; a 5xx counts against the circuit, a 429
    (slow down) neither opens nor closes it.
    """
    result = CallResult(
        status=status,
        latency_ms=latency_ms,
        body=body[:RESPONSE_MAX_BYTES],
        content_type=headers.get("Content-Type", "")[:100],
        reached=True,
        kind=classify_status(status),
    )
    if result.kind == BUSY:
        result.retry_after = parse_retry_after(headers.get("Retry-After"), now)
        result.transient = True
        result.reached = False
        result.breaker_failure = status >= 500
    return result


def backoff_seconds(attempt):
    """Exponential back-off with jitter before attempt ``attempt + 1``.

    30 s, 60 s, 120 s... capped at an hour, plus up to a quarter more at random,
    so that the messages of one outage do not all come back at the same second.
    """
    delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0))
    return delay + random.randint(0, delay // 4)


def parse_retry_after(value, now):
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date).

    ``now`` is a naive UTC datetime; None when the header is absent or invalid.
    """
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        seconds = int(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo:
            when = when.astimezone(UTC).replace(tzinfo=None)
        seconds = math.ceil((when - now).total_seconds())
    return min(max(seconds, 1), RETRY_AFTER_MAX_SECONDS)
