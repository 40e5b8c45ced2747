# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import re
import traceback

from psycopg2 import Error as PsycopgError
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wsgi import get_input_stream

from odoo import http
from odoo.http import request

from ..errors import (
    DATABASE_UNAVAILABLE,
    PROBLEM_CONTENT_TYPE,
    BadRequest,
    GatewayError,
    MethodNotAllowed,
    NotFound,
    problem_from_exception,
)

_logger = logging.getLogger(__name__)

# Partner systems have no session: never create or send one.
ROUTE_OPTIONS = {"type": "http", "csrf": False, "save_session": False}
# Partner systems authenticate with their API key, not as Odoo users
# (ir.http _auth_method_interop_partner).
GATEWAY_AUTH = "interop_partner"
#: the gateway's resources (under /interop/v1/) and the method each answers
RESOURCE_METHODS = (
    (re.compile(r"^inbound/[^/]+/[^/]+$"), "POST"),
    (re.compile(r"^messages/[^/]+$"), "GET"),
    (re.compile(r"^(openapi\.json|health)$"), "GET"),
)
#: bytes read from the body at a time
READ_CHUNK = 64 * 1024


def _input_stream(httprequest):
    """The request's body stream, bounded by its Content-Length, or the
    de-chunked stream of a chunked body (werkzeug's ``Request.stream``). Odoo's
    request wrapper exposes no stream; its WSGI environment is reached as Odoo's
    own bus module reaches it."""
    return get_input_stream(httprequest._HTTPRequest__environ)


def read_at_most(stream, size):
    """At most ``size`` bytes of ``stream``, read in chunks: a chunked body (no
    Content-Length) is never read further, however much the client sends."""
    chunks = []
    remaining = size
    try:
        while remaining > 0:
            chunk = stream.read(min(remaining, READ_CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except (ClientDisconnected, OSError):
        # the body ended before its announced length, or its chunks are malformed
        raise BadRequest("The body could not be read to its end.") from None
    return b"".join(chunks)


class InteropGatewayController(http.Controller):
    """The gateway's HTTP surface: parse, call the gateway service, answer.

    Every refusal is an ``application/problem+json`` answer built by
    :func:`~odoo.addons.interop_gateway.errors.problem_from_exception`.
    """

    @http.route(
        "/interop/v1/inbound/<string:endpoint_code>/<string:event_type_code>",
        auth=GATEWAY_AUTH,
        methods=["POST"],
        **ROUTE_OPTIONS,
    )
    def inbound(self, endpoint_code, event_type_code, **_params):
        """Receive one event of ``event_type_code`` from the endpoint
        ``endpoint_code``: 202 when queued, 200 for a repeat, a problem otherwise."""
        httprequest = request.httprequest
        try:
            answer = request.env["interop.gateway"]._accept(
                endpoint_code,
                event_type_code,
                httprequest.headers,
                # The announced length is checked against the limit first; then
                # one byte more than the limit is read at most, whatever is sent.
                lambda size: read_at_most(_input_stream(httprequest), size),
                length=httprequest.content_length,
            )
        except Exception as error:  # noqa: BLE001 - every error becomes a problem
            return self._problem(error)
        return request.make_json_response(
            answer.body, headers=list(answer.headers.items()), status=answer.status
        )

    @http.route(
        "/interop/v1/messages/<int:message_id>",
        auth=GATEWAY_AUTH,
        methods=["GET"],
        **ROUTE_OPTIONS,
    )
    def message_status(self, message_id, **_params):
        """Status of a message sent with a key of the same endpoint."""
        try:
            answer = request.env["interop.gateway"]._message_status(
                message_id, request.httprequest.headers
            )
        except Exception as error:  # noqa: BLE001 - every error becomes a problem
            return self._problem(error)
        return request.make_json_response(answer.body, status=answer.status)

    @http.route(
        "/interop/v1/openapi.json",
        auth=GATEWAY_AUTH,
        methods=["GET"],
        readonly=True,
        **ROUTE_OPTIONS,
    )
    def openapi(self, **_params):
        """The OpenAPI 3.1 document of the event types the caller's key may send;
        without a key, the public document when it is enabled (a 401 otherwise)."""
        try:
            document = request.env["interop.gateway.openapi"]._document_for(
                request.httprequest.headers,
                server_url=request.httprequest.url_root.rstrip("/"),
            )
        except Exception as error:  # noqa: BLE001 - every error becomes a problem
            return self._problem(error)
        return request.make_json_response(document)

    @http.route(
        "/interop/v1/health",
        auth="none",
        methods=["GET"],
        readonly=True,
        **ROUTE_OPTIONS,
    )
    def health(self, **_params):
        """Whether the database answers; nothing more."""
        try:
            request.env.cr.execute("SELECT 1")
        except PsycopgError:
            request.env.cr.rollback()
            return request.make_json_response(
                {"status": "unavailable", "database": "unreachable"}, status=503
            )
        return request.make_json_response({"status": "ok", "database": "reachable"})

    @http.route("/interop/v1/<path:rest>", auth="none", **ROUTE_OPTIONS)
    def unknown(self, rest, **_params):
        """Every other request under /interop/v1/ gets a problem too: 405 with the
        method a resource answers, 404 for what does not exist (an HTML page would
        leave partner systems guessing)."""
        for pattern, method in RESOURCE_METHODS:
            if pattern.match(rest) and request.httprequest.method != method:
                return self._problem(MethodNotAllowed(method))
        return self._problem(NotFound("No such resource."))

    def _problem(self, error):
        status, problem, headers = problem_from_exception(error)
        if status >= 500:
            # nothing of a failed request is kept
            try:
                request.env.cr.rollback()
            except PsycopgError as rollback_error:
                # the connection is gone, and the transaction with it; Odoo's end
                # of the request fails on it too, answered 503 (serving._serve_db)
                _logger.debug("Interop gateway: no rollback (%s)", rollback_error)
            if isinstance(error, DATABASE_UNAVAILABLE):
                _logger.warning(
                    "Interop gateway: database unavailable (%s)", type(error).__name__
                )
            elif not isinstance(error, GatewayError):
                # The type and the stack, not the error's text: a driver error
                # quotes the values of its statement (payload, headers).
                _logger.error(
                    "Interop gateway: unexpected error %s\n%s",
                    type(error).__name__,
                    "".join(traceback.format_tb(error.__traceback__)),
                )
        headers["Content-Type"] = PROBLEM_CONTENT_TYPE
        return request.make_json_response(
            problem, headers=list(headers.items()), status=status
        )
