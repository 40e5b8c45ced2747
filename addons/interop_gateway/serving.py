# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""How Odoo serves the gateway's requests (paths under ``/interop/v1/``).

**One transaction per request.** Odoo serves a request with two database
transactions: one checks the registry and matches the route, and is rolled back;
the route runs in a second one. Each begins on a connection taken from the pool,
which psycopg2 resets first. A gateway request that writes (``POST`` of a message)
runs in the first transaction instead (:func:`_serve_gateway`): three statements
of eight fewer (``ROLLBACK``, then ``DISCARD ALL`` and ``BEGIN`` again), about a
tenth of the gateway's throughput on a small machine (bench/README.md). The
route runs as Odoo would run it: authentication, dispatch, commit, retries on a
concurrency failure, the error response. A read-only route is served as Odoo does.

**Never a 500 for a missing database.** When PostgreSQL is down, Odoo serves a
request without a database (its registry cannot be loaded), where the gateway's
routes do not exist: partner systems would get an HTML 404 and could take the
message as refused for good. Under ``/interop/v1/`` they get a 503 problem with
``Retry-After`` instead, and retry. When PostgreSQL goes away while a gateway
request runs, the request's connection is dead: Odoo's own end of the request
(commit, closing the cursor) fails on it, out of the gateway's reach, and would
answer a bare 500. That failure is answered with the same 503 problem
(:func:`_serve_db`).

**Nothing reads a body before the route.** Odoo's dispatcher parses a form body
(``application/x-www-form-urlencoded``, ``multipart/form-data``) into the route's
parameters before the route runs, and a chunked body has no length to check
first: the gateway's routes take no form, and on their paths the form is left
unparsed (:func:`_no_form`). The inbound route reads at most one byte more than
the endpoint's limit.

Installed by the manifest's ``post_load`` hook (:func:`install`, as queue_job installs
its patch): when a registry of a database that has the module loads it, and at server
start when ``interop_gateway`` is in ``server_wide_modules`` (recommended: then a worker
started while the database is down answers 503 too). The 503 answers wrap Odoo's own
``Request._serve_nodb`` and ``Request._serve_db``, which they call.

The one-transaction serving mirrors Odoo's ``Request._serve_db`` and
``Request._transactioning``: it is used only while their source is the one it was
written against (:data:`MIRRORED_SHA256`; a test fails with a clear message when an
Odoo update changes them, and the server then serves gateway POSTs as Odoo does), and
it can be switched off in ``odoo.conf``::

    [options]
    interop_gateway_one_transaction = False
"""

import contextlib
import functools
import hashlib
import inspect
import json
import logging
import threading

from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException, NotFound

from odoo import api, http
from odoo.service import model as service_model
from odoo.tools import config

from .errors import (
    DATABASE_UNAVAILABLE,
    PROBLEM_CONTENT_TYPE,
    Unavailable,
    problem_from_exception,
)

_logger = logging.getLogger(__name__)

GATEWAY_PREFIX = "/interop/v1/"
#: the odoo.conf option that switches the one-transaction serving of gateway POSTs off
ONE_TRANSACTION_OPTION = "interop_gateway_one_transaction"
#: sha256 of the source of the Odoo 18.0 methods of ``http.Request`` that
#: :func:`_serve_gateway` mirrors: review it when Odoo changes them
MIRRORED_SHA256 = {
    "_serve_db": "3e7d0344a5ceb9bc8d97a9bfa002b67a207143d3c25855568a954c3eda1c16f3",
    "_transactioning": (
        "3502e15d183b89b116cc700852f4766f3aa0d47624d2aa723d14a1616edf1f76"
    ),
}
#: characters of a request's path a log line shows
LOGGED_PATH_SIZE = 200


def _logged_path(httprequest):
    """The request's path for a log line: quoted (a client's newline or control
    character cannot start a forged line) and cut short."""
    return repr(httprequest.path[:LOGGED_PATH_SIZE])


def _no_form(httprequest):
    """Leave the body of a gateway request unparsed: the dispatcher finds an empty
    form and no files, and reads nothing of the body."""
    httprequest.form = ImmutableMultiDict()
    httprequest.files = ImmutableMultiDict()


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
            _logged_path(self.httprequest),
        )
        return _unavailable()
    return _serve_nodb.original(self)


def _serve_gateway(self):
    """``Request._serve_db`` for a gateway path: the transaction that checks the
    registry and matches the route serves a route that writes, and commits."""
    not_found = rule = None
    readonly = True
    registry, cr = self._open_registry()
    with contextlib.closing(cr):
        self.registry = registry
        threading.current_thread().dbname = registry.db_name
        self.env = api.Environment(cr, self.session.uid, self.session.context)
        try:
            rule, args = registry["ir.http"]._match(self.httprequest.path)
        except NotFound as error:
            not_found = error
        if rule is not None:
            self._set_request_dispatcher(rule)
            readonly = rule.endpoint.routing["readonly"]
            if callable(readonly):
                readonly = readonly(rule.endpoint.func.__self__)
        if not readonly:
            threading.current_thread().cursor_mode = "rw"
            try:
                return service_model.retrying(
                    functools.partial(self._serve_ir_http, rule, args), env=self.env
                )
            except Exception as error:
                # what Odoo's Request._transactioning does with an error
                if isinstance(error, HTTPException) and error.code is None:
                    raise
                if (
                    "werkzeug" in config["dev_mode"]
                    and self.dispatcher.routing_type != "json"
                ):
                    raise
                if not hasattr(error, "error_response"):
                    error.error_response = registry["ir.http"]._handle_error(error)
                raise
    # not found (the gateway's catch-all route leaves nothing to a fallback), or a
    # read-only route: in transactions of their own, as Odoo serves them
    if not_found is not None:
        return self._transactioning(
            functools.partial(self._serve_ir_http_fallback, not_found), readonly=True
        )
    return self._transactioning(
        functools.partial(self._serve_ir_http, rule, args), readonly=True
    )


def _serve_db(self):
    gateway = self.httprequest.path.startswith(GATEWAY_PREFIX)
    try:
        if gateway:
            _no_form(self.httprequest)
            if _serve_db.mirror_matches and config.get(ONE_TRANSACTION_OPTION, True):
                return _serve_gateway(self)
        return _serve_db.original(self)
    except DATABASE_UNAVAILABLE as error:
        if not gateway:
            raise
        _logger.warning(
            "Interop gateway: database connection lost serving %s (%s): answered 503",
            _logged_path(self.httprequest),
            type(error).__name__,
        )
        return _unavailable()


#: set by install(): Odoo's methods are those _serve_gateway mirrors
_serve_db.mirror_matches = False


def _original(name):
    method = getattr(http.Request, name)
    return getattr(method, "original", None) or method


def mirrored_sha256():
    """{name: sha256 of its source} of the Odoo methods :func:`_serve_gateway`
    mirrors, as this server runs them."""
    return {
        name: hashlib.sha256(inspect.getsource(_original(name)).encode()).hexdigest()
        for name in MIRRORED_SHA256
    }


def install():
    """Wrap Odoo's ``Request._serve_nodb`` and ``Request._serve_db`` (once per
    process): the manifest's ``post_load`` hook."""
    _serve_db.mirror_matches = mirrored_sha256() == MIRRORED_SHA256
    if not _serve_db.mirror_matches:
        _logger.warning(
            "Interop gateway: Odoo's Request._serve_db or Request._transactioning "
            "changed since the gateway's one-transaction serving was written: gateway "
            "POSTs are served as Odoo serves them until it is reviewed"
        )
    for name, replacement in (("_serve_nodb", _serve_nodb), ("_serve_db", _serve_db)):
        if getattr(getattr(http.Request, name), "original", None) is None:
            replacement.original = getattr(http.Request, name)
            setattr(http.Request, name, replacement)
