# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The gateway's answer when Odoo cannot reach the database.

When PostgreSQL is down, Odoo serves a request without a database (its registry
cannot be loaded), where the gateway's routes do not exist: partner systems would get
an HTML 404 and could take the message as refused for good. Under ``/interop/v1/``
they get a 503 problem with ``Retry-After`` instead, and retry.

Installed when this package is imported: by the registry of a database that has the
module, and at server start when ``interop_gateway`` is in ``server_wide_modules``
(recommended: then a worker started while the database is down answers 503 too).
"""

import json
import logging

from odoo import http

from .errors import PROBLEM_CONTENT_TYPE, Unavailable, problem_from_exception

_logger = logging.getLogger(__name__)

GATEWAY_PREFIX = "/interop/v1/"


def _serve_nodb(self):
    if self.httprequest.path.startswith(GATEWAY_PREFIX):
        _logger.warning(
            "Interop gateway: no database to serve %s: answered 503",
            self.httprequest.path,
        )
        status, problem, headers = problem_from_exception(Unavailable())
        headers["Content-Type"] = PROBLEM_CONTENT_TYPE
        return http.Response(
            json.dumps(problem), status=status, headers=list(headers.items())
        )
    return _serve_nodb.original(self)


def install():
    if getattr(http.Request._serve_nodb, "original", None) is None:
        _serve_nodb.original = http.Request._serve_nodb
        http.Request._serve_nodb = _serve_nodb
