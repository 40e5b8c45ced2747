# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import traceback

# the classic text format every Prometheus reads (names here need no escaping)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:interop:problem:"


def _problem(status, slug, title, detail, headers=None):
    """An RFC 9457 answer, shaped as the gateway's."""
    body = {
        "type": PROBLEM_TYPE_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    return request.make_json_response(
        body,
        status=status,
        headers=[("Content-Type", PROBLEM_CONTENT_TYPE), *(headers or {}).items()],
    )


def _unauthorized():
    # whatever failed (no key, unknown, revoked, a gateway key): one answer
    return _problem(
        401,
        "unauthorized",
        "Unauthorized",
        "Missing or invalid metrics key.",
        headers={"WWW-Authenticate": 'Bearer realm="interop-metrics"'},
    )


class InteropMonitorController(http.Controller):
    @http.route(
        "/interop/v1/metrics",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def metrics(self, company_id=None, **_params):
        """The figures of the key's company, in Prometheus' text format.

        ``Authorization: Bearer iom_...``; ``company_id`` may only name the key's
        own company (403 otherwise).
        """
        scheme, _sep, key = (
            request.httprequest.headers.get("Authorization") or ""
        ).partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return _unauthorized()
        env = request.env
        company_key = env["interop.metrics.key"]._authenticate(key.strip())
        if not company_key:
            return _unauthorized()
        if company_id not in (None, "", str(company_key)):
            return _problem(
                403,
                "forbidden",
                "Forbidden",
                "This metrics key reads its own company's figures only.",
            )
        company = env["res.company"].sudo().browse(company_key)
        try:
            body = env["interop.monitor.metrics"]._exposition(company)
        except Exception as error:  # noqa: BLE001 - a bare 500, no detail
            _logger.error(
                "Interop metrics: unexpected error %s\n%s",
                type(error).__name__,
                "".join(traceback.format_tb(error.__traceback__)),
            )
            return _problem(
                500, "internal-error", "Internal Server Error", "The figures failed."
            )
        return request.make_response(
            body, headers=[("Content-Type", CONTENT_TYPE_PLAIN_0_0_4)]
        )
