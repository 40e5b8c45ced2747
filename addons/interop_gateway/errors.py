# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Refusals of the inbound gateway, and the one mapping from an error to its answer.

The gateway service raises a :class:`GatewayError`; the controller turns whatever
it catches into an RFC 9457 ``application/problem+json`` answer with
:func:`problem_from_exception`, and nothing else. The texts are the API's, in
English, for the developers of partner systems: never a payload value, and, for
credentials, never which part was wrong.
"""

from psycopg2 import InterfaceError, OperationalError

#: the database went away: the request may be retried
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:interop:problem:"

#: seconds a client waits before retrying when the database is unavailable
UNAVAILABLE_RETRY_AFTER = 5


class GatewayError(Exception):
    """A request the gateway refuses, with the HTTP status of the refusal."""

    status = 500
    slug = "internal-error"
    title = "Internal Server Error"
    default_detail = None

    def __init__(self, detail=None, *, message_id=None, violations=None, headers=None):
        super().__init__(detail or self.default_detail or self.title)
        self.detail = detail or self.default_detail
        #: id of the message logged for this request, when there is one
        self.message_id = message_id
        #: schema violations ("path: reason"), for 422
        self.violations = violations
        self.headers = dict(headers or {})


class BadRequest(GatewayError):
    status = 400
    slug = "bad-request"
    title = "Bad Request"


class MalformedJson(BadRequest):
    slug = "malformed-json"
    title = "Malformed JSON"


class Unauthorized(GatewayError):
    """Missing, unknown, expired or revoked key, or a bad signature: one answer."""

    status = 401
    slug = "unauthorized"
    title = "Unauthorized"
    default_detail = "Missing or invalid credentials."

    def __init__(self):
        # deliberately no argument: whatever failed, the answer is the same
        super().__init__(headers={"WWW-Authenticate": 'Bearer realm="interop"'})


class Forbidden(GatewayError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class NotFound(GatewayError):
    status = 404
    slug = "not-found"
    title = "Not Found"


class MethodNotAllowed(GatewayError):
    status = 405
    slug = "method-not-allowed"
    title = "Method Not Allowed"

    def __init__(self, allowed):
        super().__init__(
            f"This resource answers {allowed} only.", headers={"Allow": allowed}
        )


class IdempotencyConflict(GatewayError):
    status = 409
    slug = "idempotency-conflict"
    title = "Idempotency Key Reused"
    default_detail = (
        "A message with this idempotency key was already received with a different "
        "body."
    )


class PayloadTooLarge(GatewayError):
    status = 413
    slug = "payload-too-large"
    title = "Payload Too Large"


class UnsupportedMediaType(GatewayError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported Media Type"
    default_detail = "The body must be JSON: Content-Type application/json or +json."


class ValidationFailed(GatewayError):
    status = 422
    slug = "validation-failed"
    title = "Payload Does Not Match Its Schema"


class NestingTooDeep(GatewayError):
    """Well-formed JSON nested deeper than the endpoint accepts: 422, the body is
    not too large (413 is about size) nor malformed (400); it is refused before
    it is parsed, and nothing is logged."""

    status = 422
    slug = "nesting-too-deep"
    title = "Payload Nested Too Deeply"


class RateLimited(GatewayError):
    status = 429
    slug = "rate-limited"
    title = "Too Many Requests"

    def __init__(self, retry_after):
        super().__init__(
            "The endpoint's request rate limit is reached.",
            headers={"Retry-After": str(retry_after)},
        )


class Unavailable(GatewayError):
    status = 503
    slug = "unavailable"
    title = "Service Unavailable"
    default_detail = "The message cannot be taken now; retry later."

    def __init__(self):
        super().__init__(headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)})


def problem_from_exception(error):
    """Return ``(status, problem, headers)`` answering ``error``, whatever it is.

    A :class:`GatewayError` says what went wrong; a database that cannot take the
    message is a 503; anything else is a bare 500 (the caller logs it): no detail,
    no trace.
    """
    if isinstance(error, DATABASE_UNAVAILABLE):
        error = Unavailable()
    elif not isinstance(error, GatewayError):
        error = GatewayError()
    problem = {
        "type": PROBLEM_TYPE_PREFIX + error.slug,
        "title": error.title,
        "status": error.status,
    }
    if error.detail:
        problem["detail"] = error.detail
    if error.message_id:
        problem["message_id"] = error.message_id
    if error.violations is not None:
        problem["violations"] = list(error.violations)
    return error.status, problem, dict(error.headers)
