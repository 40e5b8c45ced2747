# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The gateway's answer when Odoo cannot reach the database.

When PostgreSQL is down, Odoo serves a request without a database (its registry
cannot be loaded), where the gateway's routes do not exist: partner systems would get
an HTML 404 and could take the message as refused for good. Under ``/interop/v1/``
they get a 503 problem with ``Retry-After`` instead, and retry.

When PostgreSQL goes away while a gateway request runs, the request's connection is
dead: Odoo's own end of the request (commit, closing the cursor) fails on it, out of
the gateway's reach, and would answer a bare 500. That failure is answered with the
same 503 problem (:func:`_serve_db`).

Installed when this package is imported: by the registry of a database that has the
module, and at server start when ``interop_gateway`` is in ``server_wide_modules``
(recommended: then a worker started while the database is down answers 503 too).
"""

import json
import logging

from odoo import http

from .errors import (
    DATABASE_UNAVAILABLE,
    PROBLEM_CONTENT_TYPE,
    Unavailable,
    problem_from_exception,
)

_logger = logging.getLogger(__name__)

GATEWAY_PREFIX = "/interop/v1/"


def _unavailable():
    status, problem, headers = problem_from_exception(Unavailable())
    headers["Content-Type"] = PROBLEM_CONTENT_TYPE
    return http.Response(
        json.dumps(problem), status=status, headers=list(headers.items())
    )


def _serve_nodb(self):
    if self.httprequest.path.startswith(GATEWAY_PREFIX):
        _logger.warning(
            "Interop gateway: no database to serve %s: answered 503",
            self.httprequest.path,
        )
        return _unavailable()
    return _serve_nodb.original(self)


def _serve_db(self):
    try:
        return _serve_db.original(self)
    except DATABASE_UNAVAILABLE as error:
        if not self.httprequest.path.startswith(GATEWAY_PREFIX):
            raise
        _logger.warning(
            "Interop gateway: database connection lost serving %s (%s): answered 503",
            self.httprequest.path,
            type(error).__name__,
        )
        return _unavailable()


def install():
    for name, replacement in (("_serve_nodb", _serve_nodb), ("_serve_db", _serve_db)):
        if getattr(getattr(http.Request, name), "original", None) is None:
            replacement.original = getattr(http.Request, name)
            setattr(http.Request, name, replacement)
