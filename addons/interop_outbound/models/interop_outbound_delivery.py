# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import time

import requests

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.interop.errors import InteropProcessingError, TransportError
from odoo.addons.interop.models.interop_message import (
    CANCELLED,
    DONE,
    FAILED,
    PROCESSING,
    QUEUED,
    VALIDATED,
)
from odoo.addons.queue_job.exception import RetryableJobError

from ..errors import CredentialError, RemoteRejectionError
from ..outbound import (
    ACCEPTED,
    BUSY,
    CONFIGURATION,
    CREDENTIALS,
    CallResult,
    backoff_seconds,
    classify_response,
)
from ..transaction import run_in_own_transaction
from .interop_endpoint import BREAKER_CLOSED, BREAKER_OPEN

#: the attempt was a transient failure: the message is tried again later
RETRY = "retry"


class InteropOutboundDelivery(models.AbstractModel):
    """How an outbound message reaches its endpoint: one call per attempt (its
    credential, the last guards), what the answer says (``outbound.py``), the
    attempt recorded, and the message done, retried, held behind an open circuit
    or failed to its owner. Inherited by ``interop.message``."""

    _name = "interop.outbound.delivery"
    _description = "Outbound Delivery"

    def _job_send(self):
        """queue_job entry point: one delivery attempt of one outbound message."""
        self.ensure_one()
        # sudo: the log is written by Interop itself; the job runs as whoever queued
        # the message (a user, a service user)
        message = self.sudo()
        if not message._lock_for_delivery():
            return self.env._("Skipped: another job is delivering the message.")
        if message.state != QUEUED:
            # a message already delivered (or cancelled) is never sent again
            return self.env._("Skipped: message is %(state)s.", state=message.state)
        if message.endpoint_id._must_hold_deliveries(message):
            message._hold()
            return self.env._("Held: the endpoint does not take deliveries now.")
        return message._deliver()

    def _lock_for_delivery(self):
        """Claim the message row for this transaction; False when another holds it.

        FOR NO KEY UPDATE rather than FOR UPDATE: attempts inserted by a transaction
        of their own (see ``transaction.py``) only need a key share of this row.
        """
        self.ensure_one()
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM interop_message WHERE id = %s "
                "FOR NO KEY UPDATE SKIP LOCKED",
                self.id,
            ),
            # a concurrent change is a serialization failure queue_job retries
            log_exceptions=False,
        )
        locked = bool(self.env.cr.fetchone())
        self.invalidate_recordset()
        return locked

    @api.model
    def _cancel_unsendable(self):
        """Cancel the queued outbound messages this database never sends: those to
        production endpoints, from a database that is not production (a demo, a
        neutralized copy). Their log says why; no attempt, no exception."""
        database = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("interop.database_environment", "development")
        )
        if database == "production":
            return self.browse()
        messages = self.sudo().search(
            [
                ("direction", "=", "outbound"),
                ("state", "=", QUEUED),
                ("endpoint_id.environment", "=", "production"),
            ]
        )
        messages._set_state(
            CANCELLED,
            date_finished=fields.Datetime.now(),
            last_error=self.env._(
                "Not sent: this database is %(database)s and never calls production "
                "endpoints.",
                database=database,
            ),
        )
        return messages

    def _hold(self):
        endpoint = self.endpoint_id
        self.sudo().write({"date_held": fields.Datetime.now()})
        endpoint._ensure_held_delivery(eta=endpoint._breaker_cooldown_remaining())

    def _deliver(self, draining=False):
        """Send the message once and record the attempt; return what happened.

        Raises ``RetryableJobError`` when the failure is transient and attempts
        remain: the attempt and the breaker's count are then already committed in
        a transaction of their own, as the job's own is rolled back.
        """
        self.ensure_one()
        endpoint = self.endpoint_id
        started = fields.Datetime.now()
        number = len(self.attempt_ids) + 1
        # attempts since the message was last queued (a replay starts a new round)
        round_number = 1 + len(
            self.attempt_ids.filtered(
                lambda a: (
                    a.date_started
                    and self.date_queued
                    and a.date_started >= self.date_queued
                )
            )
        )
        self._set_state(
            PROCESSING, date_started=started, date_held=False, last_error=False
        )
        # sudo: the credential authenticates the call on behalf of whoever queued the
        # message; nobody reads it
        credential_sudo = endpoint.sudo().outbound_credential_id
        result = self._perform_call(credential_sudo)
        breaker_state = endpoint._breaker_record(result)
        attempt_vals = self._prepare_attempt_vals(
            result, number, started, credential_sudo
        )
        if result.ok:
            return self._finish_done(result, attempt_vals)
        error = result.error
        if result.transient:
            if draining:
                # the job's snapshot predates the breaker's update: use its answer
                seconds = (
                    endpoint.breaker_cooldown
                    if breaker_state == BREAKER_OPEN
                    else result.retry_after or backoff_seconds(round_number)
                )
                self._retry_later(
                    result, attempt_vals, seconds, hold=True, ignore_retry=True
                )
            if breaker_state != BREAKER_CLOSED:
                return self._hold_after_failure(result, attempt_vals)
            if round_number < endpoint.outbound_max_attempts:
                seconds = result.retry_after or backoff_seconds(round_number)
                self._retry_later(result, attempt_vals, seconds)
            error = TransportError(
                self.env._(
                    "Delivery to %(endpoint)s failed after %(count)s attempts: "
                    "%(error)s",
                    endpoint=endpoint.name,
                    count=round_number,
                    error=error.summary,
                ),
                detail=error.detail,
                owner=endpoint.technical_owner_id or None,
                suggested_action=self.env._(
                    "Check with the partner that the endpoint is up, then retry: the "
                    "message is sent again with the same idempotency key, so it "
                    "cannot be applied twice."
                ),
            )
        return self._finish_failed(error, attempt_vals, result)

    def _perform_call(self, credential=None, params=None):
        """Make the HTTP call of this message; return a ``CallResult``.

        POST messages send their stored payload as the body; GET messages (pages
        of a sync) send ``params`` as the query string.
        """
        self.ensure_one()
        endpoint = self.endpoint_id
        headers = {
            "Accept": "application/json",
            "X-Correlation-Id": self.correlation_id,
        }
        kwargs = {"params": params} if params else {}
        if self.http_method != "GET":
            headers["Content-Type"] = self.content_type or "application/json"
            if self.idempotency_key:
                headers["Idempotency-Key"] = self.idempotency_key
            kwargs["data"] = self._get_payload_bytes()
        url = endpoint._outbound_url(self.outbound_path)
        start = time.monotonic()
        try:
            response = self._send_request(credential, url, headers, kwargs)
        except InteropProcessingError as error:
            # the guard or the credential refused: nothing left Odoo
            return CallResult(error=error)
        except requests.exceptions.SSLError:
            return CallResult(
                error=TransportError(
                    self.env._(
                        "The TLS certificate of %(endpoint)s could not be verified.",
                        endpoint=endpoint.name,
                    ),
                    owner=endpoint.technical_owner_id or None,
                    suggested_action=self.env._(
                        "Ask the partner to fix its certificate (or its chain), "
                        "then retry."
                    ),
                )
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            return CallResult(
                latency_ms=int((time.monotonic() - start) * 1000),
                error=TransportError(
                    self.env._(
                        "%(endpoint)s could not be reached (%(error)s).",
                        endpoint=endpoint.name,
                        error=type(error).__name__,
                    ),
                    owner=endpoint.technical_owner_id or None,
                ),
                transient=True,
                breaker_failure=True,
            )
        except requests.RequestException as error:
            return CallResult(
                error=TransportError(
                    self.env._(
                        "The call to %(endpoint)s could not be made (%(error)s).",
                        endpoint=endpoint.name,
                        error=type(error).__name__,
                    ),
                    owner=endpoint.technical_owner_id or None,
                )
            )
        latency = int((time.monotonic() - start) * 1000)
        return self._classify_response(response, latency)

    def _send_request(self, credential, url, headers, kwargs):
        endpoint = self.endpoint_id
        method = self.http_method or "POST"
        if credential and credential.endpoint_id != endpoint:
            # the last guard: a secret goes only to the endpoint it was given for
            raise credential._error(
                self.env._(
                    "Credential %(name)s does not belong to %(endpoint)s: it is not "
                    "sent there.",
                    name=credential.name,
                    endpoint=endpoint.name,
                ),
                suggested_action=self.env._(
                    "Choose a credential of the endpoint itself, then retry."
                ),
            )
        if credential:
            kwargs["auth"] = credential._get_auth()
        response = endpoint._http_request(method, url, headers=headers, **kwargs)
        if (
            response.status_code == 401
            and credential
            and credential.kind == "oauth2_client_credentials"
        ):
            # an access token revoked before its expiry: one more try with a new one
            kwargs["auth"] = credential._get_auth(
                renew=True, refused_token=getattr(kwargs["auth"], "token", None)
            )
            response = endpoint._http_request(method, url, headers=headers, **kwargs)
        return response

    def _classify_response(self, response, latency):
        """The ``CallResult`` of the remote's ``response``, its error worded for the
        endpoint's technical owner (the policy is ``outbound.classify_response``)."""
        endpoint = self.endpoint_id
        result = classify_response(
            response.status_code,
            response.headers,
            response.content,
            latency,
            fields.Datetime.now(),
        )
        kind, status = result.kind, result.status
        if kind == ACCEPTED:
            return result
        words = {"endpoint": endpoint.name, "status": status}
        owner = endpoint.technical_owner_id or None
        if kind == BUSY:
            result.error = TransportError(
                self.env._(
                    "%(endpoint)s answered HTTP %(status)s (busy or failing).",
                    **words,
                ),
                owner=owner,
            )
        elif kind == CREDENTIALS:
            result.error = CredentialError(
                self.env._(
                    "%(endpoint)s refused our credentials (HTTP %(status)s).", **words
                ),
                owner=owner,
                suggested_action=self.env._(
                    "Check the endpoint's outbound credential with the partner, "
                    "set a new secret if needed, then retry."
                ),
            )
        elif kind == CONFIGURATION:
            result.error = TransportError(
                self.env._(
                    "%(endpoint)s did not accept the call at this address "
                    "(HTTP %(status)s).",
                    **words,
                ),
                owner=owner,
                suggested_action=self.env._(
                    "Check the endpoint's base URL and the path with the partner, "
                    "then retry."
                ),
            )
        else:
            result.error = RemoteRejectionError(
                self.env._(
                    "%(endpoint)s refused the message (HTTP %(status)s).", **words
                ),
                detail=self.env._(
                    "HTTP %(status)s, %(size)s bytes of %(type)s: the answer is kept, "
                    "encrypted, on the attempt.",
                    status=status,
                    size=len(result.body),
                    type=result.content_type or "?",
                ),
                suggested_action=self.env._(
                    "Read the remote's answer on the message's attempt, correct the "
                    "data in Odoo or the mapping, then retry."
                ),
            )
        return result

    def _get_payload_bytes(self):
        self.ensure_one()
        # sudo: the ciphertext is restricted to administrators; sending it is ours
        token = self.sudo().payload_enc
        return self.env["interop.crypto"]._decrypt_bytes(token) if token else b""

    def _prepare_attempt_vals(self, result, number, started, credential):
        vals = {
            "message_id": self.id,
            "number": number,
            "date_started": started,
            "date_finished": fields.Datetime.now(),
            "duration_ms": result.latency_ms,
            "latency_ms": result.latency_ms,
            "http_status": result.status,
            "credential_id": credential.id if credential else False,
        }
        if result.body:
            crypto = self.env["interop.crypto"]
            vals.update(
                response_enc=crypto._encrypt(result.body),
                response_size=len(result.body),
                response_content_type=result.content_type,
            )
        if result.error is not None:
            vals.update(
                error=result.error.summary,
                category_code=result.error.category,
            )
        return vals

    def _finish_done(self, result, attempt_vals):
        self.env["interop.message.attempt"].sudo().create(
            dict(attempt_vals, result=DONE)
        )
        self._set_state(
            DONE,
            date_finished=fields.Datetime.now(),
            duration_ms=result.latency_ms,
            attempt_count=attempt_vals["number"],
            http_status=result.status,
        )
        self.env["interop.exception"]._resolve_for_messages(self)
        return self.env._("Delivered (HTTP %(status)s).", status=result.status)

    def _finish_failed(self, error, attempt_vals, result, raise_exception=True):
        self.env["interop.message.attempt"].sudo().create(
            dict(
                attempt_vals,
                result=FAILED,
                error=error.summary,
                category_code=error.category,
            )
        )
        self._set_state(
            FAILED,
            date_finished=fields.Datetime.now(),
            duration_ms=result.latency_ms,
            attempt_count=attempt_vals["number"],
            http_status=result.status,
            last_error=error.summary,
        )
        if raise_exception:
            self.env["interop.exception"]._raise_for_message(self, error)
        return self.env._("Failed: %(error)s", error=error.summary)

    def _retry_later(
        self, result, attempt_vals, seconds, hold=False, ignore_retry=False
    ):
        """Record the attempt for good, and have queue_job try again in ``seconds``."""
        vals = dict(attempt_vals, result=RETRY)
        run_in_own_transaction(
            self.env,
            lambda env: env["interop.message.attempt"].sudo().create(vals),
        )
        # queue_job rolls these back; written anyway so that the message reads the
        # same to a caller that keeps the transaction (tests, a sync)
        self._set_state(
            QUEUED,
            date_held=fields.Datetime.now() if hold else False,
            last_error=result.error.summary,
            http_status=result.status,
        )
        raise RetryableJobError(
            result.error.summary, seconds=seconds, ignore_retry=ignore_retry
        )

    def _hold_after_failure(self, result, attempt_vals):
        summary = self.env._(
            "%(error)s The circuit is open: the message is held and delivered in "
            "order when the endpoint answers again.",
            error=result.error.summary,
        )
        self.env["interop.message.attempt"].sudo().create(
            dict(attempt_vals, result=RETRY, error=summary)
        )
        self._set_state(
            QUEUED,
            date_held=fields.Datetime.now(),
            last_error=summary,
            http_status=result.status,
        )
        return self.env._("Held: the circuit of the endpoint is open.")

    def _call_now(self, credential=None, params=None):
        """Make the call of this logged message now, in this transaction (syncs).

        Returns the ``CallResult``; the message ends done or failed (without an
        exception of its own: the sync reports the failure of its run).
        """
        self.ensure_one()
        started = fields.Datetime.now()
        self._set_state(VALIDATED)
        self._set_state(PROCESSING, date_started=started)
        result = self._perform_call(credential, params=params)
        self.endpoint_id._breaker_record(result)
        attempt_vals = self._prepare_attempt_vals(result, 1, started, credential)
        if result.ok:
            self._finish_done(result, attempt_vals)
        else:
            self._finish_failed(
                result.error, attempt_vals, result, raise_exception=False
            )
        return result

    def _job_send_on_fail(
        self, exc_info=None, exc_name=None, exc_message=None, **kwargs
    ):
        """queue_job gave up on a delivery (an unexpected error): fail it to the
        technical owner. Deliveries that run out of attempts fail by themselves.

        The ``on_fail_method`` of the delivery job (:meth:`_job_send`); inbound
        processing jobs have core's ``_job_on_fail``."""
        for message in self.sudo():
            # the failed job's own transaction may still hold the row: leave it then
            if not message._lock_for_delivery() or message.state not in (
                QUEUED,
                PROCESSING,
            ):
                continue
            if message.state == QUEUED:
                message._set_state(PROCESSING)
            endpoint = message.endpoint_id
            error = TransportError(
                self.env._(
                    "Delivery to %(endpoint)s stopped on an unexpected error "
                    "(%(error)s).",
                    endpoint=endpoint.name,
                    error=exc_name or "error",
                ),
                # exc_message is the error's text: it may quote payload values
                detail=self.env._(
                    "The delivery job failed with %(error)s; its text is not kept "
                    "(it may quote payload values). Replay the message in a test "
                    "database to see it.",
                    error=exc_name or "error",
                ),
                owner=endpoint.technical_owner_id or None,
                suggested_action=self.env._(
                    "Ask the integration team to look at the technical detail, "
                    "then retry."
                ),
            )
            message._set_state(
                FAILED, date_finished=fields.Datetime.now(), last_error=error.summary
            )
            self.env["interop.exception"]._raise_for_message(message, error)
        return True
