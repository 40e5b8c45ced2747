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
#: lifetime assumed when the token endpoint does not say (``expires_in``)
DEFAULT_TOKEN_LIFETIME = 3600


class InteropCredentialOauth2(models.AbstractModel):
    """The access token of an OAuth2 client credentials credential: fetched from
    the token URL, cached encrypted until shortly before it expires, renewed when
    the remote refuses it. Inherited by ``interop.credential``."""

    _name = "interop.credential.oauth2"
    _description = "Credential OAuth2 Access Token"

    def _get_access_token(self):
        """A valid access token: the cached one, or a new one shortly before expiry."""
        self.ensure_one()
        # sudo: as for the secret, the cached token is an encrypted, restricted column
        cached = self.sudo().access_token_enc
        now = fields.Datetime.now()
        if (
            cached
            and self.date_token_expiry
            and self.date_token_expiry - TOKEN_REFRESH_MARGIN > now
        ):
            return self.env["interop.crypto"]._decrypt(cached)
        return self._fetch_access_token()

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
