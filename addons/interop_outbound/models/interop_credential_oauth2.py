# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

import requests

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..errors import CredentialError
from ..transaction import run_in_own_transaction

#: an access token is refreshed when it expires within this margin
TOKEN_REFRESH_MARGIN = timedelta(seconds=60)
#: first key of the PostgreSQL advisory lock that lets one worker of any node at a
#: time refresh a credential's access token (the second key is the credential's id)
TOKEN_REFRESH_LOCK = 0x696F7432  # "iot2"
#: lifetime assumed when the token endpoint does not say (``expires_in``)
DEFAULT_TOKEN_LIFETIME = 3600


class InteropCredentialOauth2(models.AbstractModel):
    """The access token of an OAuth2 client credentials credential: fetched from
    the token URL, cached encrypted until shortly before it expires, renewed when
    the remote refuses it. Inherited by ``interop.credential``."""

    _name = "interop.credential.oauth2"
    _description = "Credential OAuth2 Access Token"

    def _get_access_token(self, renew=False, refused_token=None):
        """A valid access token: the cached one, or a new one shortly before expiry
        (or when ``renew``: the remote refused ``refused_token``).

        One refresh at a time, whatever the worker or node: a worker that needs a
        new token takes the credential's advisory lock, then reads the cached token
        again, committed by whoever held the lock before, and fetches only if it is
        still missing, near expiry, or the one refused. Jobs of several nodes whose
        token expires together make one call to the token endpoint, not one each (a
        token endpoint that revokes the previous token on each grant would otherwise
        have them refuse each other's tokens).
        """
        self.ensure_one()
        if not renew:
            # sudo: as for the secret, the cached token is an encrypted, restricted
            # column
            token = self._usable_token(
                self.sudo().access_token_enc, self.date_token_expiry
            )
            if token:
                return token
        with self.env.registry.cursor() as lock_cr:
            if not self.env.registry.in_test_mode():
                # each statement sees what the previous holder of the lock committed
                lock_cr.execute(SQL("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"))
            lock_cr.execute(
                SQL("SELECT pg_advisory_xact_lock(%s, %s)", TOKEN_REFRESH_LOCK, self.id)
            )
            lock_cr.execute(
                SQL(
                    "SELECT access_token_enc, date_token_expiry "
                    "FROM interop_credential WHERE id = %s",
                    self.id,
                )
            )
            row = lock_cr.fetchone()
            token = row and self._usable_token(*row)
            if token and (
                not renew or (refused_token is not None and token != refused_token)
            ):
                return token
            # the lock is held until the new token is committed (by
            # _cache_access_token, in a transaction of its own)
            return self._fetch_access_token()

    def _usable_token(self, token_enc, expiry):
        """The decrypted access token, if there is one not near its expiry."""
        if (
            token_enc
            and expiry
            and expiry - TOKEN_REFRESH_MARGIN > fields.Datetime.now()
        ):
            return self.env["interop.crypto"]._decrypt(token_enc)
        return None

    def _fetch_access_token(self):
        """POST the client credentials grant to the token URL; cache the token.

        Any failure raises a :class:`CredentialError` for the endpoint's technical
        owner: an exception routed to them says what went wrong, never the secret.
        """
        self.ensure_one()
        if not self.token_url or not self.client_id:
            raise self._error(
                self.env._(
                    "Credential %(name)s needs a token URL and a client id.",
                    name=self.name,
                )
            )
        if self._token_url_is_foreign():
            # the last guard: data older than the rule, or a base URL changed since
            raise self._error(
                self.env._(
                    "The token URL of %(name)s is not on the host of its endpoint: "
                    "the client secret is not sent there.",
                    name=self.name,
                ),
                suggested_action=self.env._(
                    "Correct the token URL, or have a settings administrator allow "
                    "its host, then retry."
                ),
            )
        secret = self._get_secret()
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        endpoint = self.endpoint_id
        try:
            response = endpoint._http_request(
                "POST",
                self.token_url,
                data=data,
                headers={"Accept": "application/json"},
                auth=requests.auth.HTTPBasicAuth(self.client_id, secret),
            )
        except requests.RequestException as error:
            raise self._error(
                self.env._(
                    "The access token of %(name)s could not be obtained: the token "
                    "endpoint could not be reached (%(error)s).",
                    name=self.name,
                    error=type(error).__name__,
                )
            ) from None
        status = response.status_code
        if status != 200:
            raise self._error(
                self.env._(
                    "The token endpoint refused the credentials of %(name)s "
                    "(HTTP %(status)s).",
                    name=self.name,
                    status=status,
                )
                if 400 <= status < 500
                else self.env._(
                    "The token endpoint of %(name)s answered HTTP %(status)s.",
                    name=self.name,
                    status=status,
                ),
                detail=f"HTTP {status} from {self.token_url}",
            )
        try:
            answer = response.json()
            token = answer["access_token"]
            lifetime = int(answer.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
            if not isinstance(token, str) or not token:
                raise ValueError("empty access token")
        except (ValueError, KeyError, TypeError, AttributeError):
            raise self._error(
                self.env._(
                    "The token endpoint of %(name)s answered without a usable "
                    "access token.",
                    name=self.name,
                )
            ) from None
        expiry = fields.Datetime.now() + timedelta(seconds=lifetime)
        self._cache_access_token(token, expiry)
        return token

    def _cache_access_token(self, token, expiry):
        """Keep the token, encrypted, beyond the job that fetched it (best effort)."""
        token_enc = self.env["interop.crypto"]._encrypt(token)

        def store(env):
            # a concurrent job caching its own token holds the row: keep that one
            env.cr.execute(
                SQL(
                    "SELECT id FROM interop_credential WHERE id = %s "
                    "FOR NO KEY UPDATE SKIP LOCKED",
                    self.id,
                )
            )
            if env.cr.fetchone():
                env.cr.execute(
                    SQL(
                        "UPDATE interop_credential SET access_token_enc = %s, "
                        "date_token_expiry = %s WHERE id = %s",
                        token_enc,
                        expiry,
                        self.id,
                    )
                )

        run_in_own_transaction(self.env, store)

    def action_fetch_token(self):
        """Obtain a new access token now (a connection test for managers)."""
        self.ensure_one()
        self.check_access("write")
        if self.kind != "oauth2_client_credentials":
            raise UserError(self.env._("Only OAuth2 credentials have access tokens."))
        try:
            self._fetch_access_token()
        except CredentialError as error:
            raise UserError(error.summary) from None
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("Access token obtained."),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
