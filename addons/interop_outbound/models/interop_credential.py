# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta
from urllib.parse import urlsplit

import requests

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..auth import BearerTokenAuth, HeaderTokenAuth, HmacSignatureAuth
from ..errors import CredentialError
from ..transaction import run_in_own_transaction

KINDS = [
    ("api_key", "API Key"),
    ("basic_auth", "Basic Authentication"),
    ("oauth2_client_credentials", "OAuth2 Client Credentials"),
    ("hmac_secret", "HMAC Signing Secret"),
    ("bearer_token", "Bearer Token"),
]

STATE_UNSET = "unset"
STATE_ACTIVE = "active"
STATE_REVOKED = "revoked"

#: an access token is refreshed when it expires within this margin
TOKEN_REFRESH_MARGIN = timedelta(seconds=60)
#: first key of the PostgreSQL advisory lock that lets one worker of any node at a
#: time refresh a credential's access token (the second key is the credential's id)
TOKEN_REFRESH_LOCK = 0x696F7432  # "iot2"
#: lifetime assumed when the token endpoint does not say (``expires_in``)
DEFAULT_TOKEN_LIFETIME = 3600
#: credential owners are warned this many days before a secret expires
EXPIRY_WARNING_DAYS = 14
EXPIRY_ACTIVITY_TYPE = "interop_outbound.mail_act_interop_credential_expiry"

# Only the methods of this model write the encrypted columns: a write that does not
# carry this object in its context is refused. An object cannot travel through RPC.
_VAULT_WRITE = object()
PROTECTED_FIELDS = {"secret_enc", "access_token_enc", "state", "date_set", "set_by_id"}
#: only settings administrators let a token URL leave the endpoint's own host
FOREIGN_TOKEN_HOST_GROUP = "base.group_system"


def url_origin(url):
    """(scheme, host, port) of ``url``: where a request to it goes."""
    parts = urlsplit(url or "")
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = (parts.scheme or "").lower()
    port = port or {"http": 80, "https": 443}.get(scheme)
    return (scheme, (parts.hostname or "").lower(), port)


class InteropCredential(models.Model):
    """A secret an endpoint needs, encrypted at rest and never shown back.

    Managers set or replace the secret through the *Set Secret* wizard and see only
    when and by whom it was set. The ciphertext is readable by administrators only
    (useless without the key, which lives outside the database) and appears in no
    view; code reads the secret through :meth:`_get_secret` alone.
    """

    _name = "interop.credential"
    _description = "Integration Credential"
    _inherit = ["mail.thread", "mail.activity.mixin", "interop.governed.mixin"]
    # Where the secret goes: the token URL of a credential of a running endpoint
    # changes through an approved change request (see _interop_is_change_controlled)
    _interop_governed_fields = ("token_url",)
    _order = "endpoint_id, name, id"
    _check_company_auto = True
    _interop_encrypted_fields = ["secret_enc", "access_token_enc"]

    name = fields.Char(required=True, tracking=True)
    kind = fields.Selection(KINDS, required=True, default="api_key", tracking=True)
    endpoint_id = fields.Many2one(
        "interop.endpoint",
        required=True,
        index=True,
        ondelete="cascade",
        tracking=True,
        check_company=True,
        help="The one endpoint this credential authenticates; it never changes.",
    )
    company_id = fields.Many2one(
        related="endpoint_id.company_id", store=True, index=True, readonly=True
    )
    active = fields.Boolean(default=True, tracking=True)
    state = fields.Selection(
        [
            (STATE_UNSET, "Not Set"),
            (STATE_ACTIVE, "Active"),
            (STATE_REVOKED, "Revoked"),
        ],
        default=STATE_UNSET,
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    username = fields.Char(
        tracking=True, help="User name of basic authentication (not secret)."
    )
    client_id = fields.Char(
        string="Client ID", tracking=True, help="OAuth2 client id (not secret)."
    )
    header_name = fields.Char(
        default="X-API-Key",
        tracking=True,
        help="Header that carries an API key.",
    )
    token_url = fields.Char(
        string="Token URL",
        tracking=True,
        help="OAuth2 token endpoint, called with grant_type=client_credentials. "
        "It is on the host of the endpoint's base URL, unless an administrator "
        "allows another host.",
    )
    is_foreign_token_host_allowed = fields.Boolean(
        string="Token URL on Another Host",
        tracking=True,
        copy=False,
        help="Set by a settings administrator: the token URL may be on another host "
        "than the endpoint's base URL (e.g. a separate identity provider). The client "
        "secret is sent there. A token URL changed by anyone else clears it.",
    )
    scope = fields.Char(tracking=True, help="OAuth2 scope(s) requested, if any.")
    date_expiry = fields.Date(
        string="Secret Expires On",
        tracking=True,
        help="The technical owner of the endpoint is warned "
        f"{EXPIRY_WARNING_DAYS} days before.",
    )
    # The ciphertexts: administrators only, in no view, written by methods only.
    secret_enc = fields.Text(
        readonly=True, copy=False, prefetch=False, groups="base.group_system"
    )
    access_token_enc = fields.Text(
        readonly=True, copy=False, prefetch=False, groups="base.group_system"
    )
    date_token_expiry = fields.Datetime(
        string="Access Token Expires",
        readonly=True,
        copy=False,
        help="Expiry of the cached OAuth2 access token; it is renewed "
        "automatically shortly before.",
    )
    date_set = fields.Datetime(
        string="Secret Set On", readonly=True, copy=False, tracking=True
    )
    set_by_id = fields.Many2one(
        "res.users", string="Secret Set By", readonly=True, copy=False, tracking=True
    )
    secret_status = fields.Char(compute="_compute_secret_status", string="Secret")
    secret_key_id = fields.Char(
        compute="_compute_secret_key_id",
        compute_sudo=True,
        string="Encryption Key",
        help="Id of the key the secret is encrypted with (see the key rotation "
        "command).",
    )
    is_expired = fields.Boolean(compute="_compute_is_expired")

    _sql_constraints = [
        (
            "name_endpoint_uniq",
            "unique(endpoint_id, name)",
            "This endpoint already has a credential with this name.",
        ),
    ]

    @api.depends("state", "date_set", "set_by_id")
    def _compute_secret_status(self):
        for credential in self:
            if credential.state == STATE_ACTIVE and credential.date_set:
                credential.secret_status = self.env._(
                    "Set on %(date)s by %(user)s",
                    date=fields.Date.to_string(credential.date_set.date()),
                    user=credential.set_by_id.name or "?",
                )
            elif credential.state == STATE_REVOKED:
                credential.secret_status = self.env._("Revoked")
            else:
                credential.secret_status = self.env._("Not set")

    def _compute_secret_key_id(self):
        crypto = self.env["interop.crypto"]
        for credential in self:
            credential.secret_key_id = crypto._key_id_of(credential.secret_enc)

    @api.depends("date_expiry")
    def _compute_is_expired(self):
        today = fields.Date.context_today(self)
        for credential in self:
            credential.is_expired = bool(
                credential.date_expiry and credential.date_expiry < today
            )

    @api.constrains("token_url", "endpoint_id", "is_foreign_token_host_allowed")
    def _check_token_url_host(self):
        for credential in self:
            if credential._token_url_is_foreign():
                raise ValidationError(
                    self.env._(
                        "The token URL of %(name)s is not on the host of %(endpoint)s: "
                        "the client secret would be sent elsewhere. Only a settings "
                        "administrator allows another host (Token URL on Another "
                        "Host).",
                        name=credential.name,
                        endpoint=credential.endpoint_id.display_name,
                    )
                )

    def _token_url_is_foreign(self):
        """Whether the token URL is on another host than the endpoint's base URL,
        without an administrator's allowance."""
        self.ensure_one()
        if not self.token_url or self.is_foreign_token_host_allowed:
            return False
        return url_origin(self.token_url) != url_origin(self.endpoint_id.base_url)

    @api.model
    def _is_settings_admin(self):
        return self.env.su or self.env.user.has_group(FOREIGN_TOKEN_HOST_GROUP)

    def _check_foreign_token_host_allowance(self, vals):
        """Only settings administrators let a secret go to another host."""
        if "is_foreign_token_host_allowed" not in vals or self._is_settings_admin():
            return
        allowed = bool(vals["is_foreign_token_host_allowed"])
        if not self or any(c.is_foreign_token_host_allowed != allowed for c in self):
            raise AccessError(
                self.env._(
                    "Only a settings administrator allows a token URL on another host."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_protected_fields(vals)
            if vals.get("is_foreign_token_host_allowed"):
                self.browse()._check_foreign_token_host_allowance(vals)
        return super().create(vals_list)

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        if not (default or {}).get("name"):
            for credential, vals in zip(self, vals_list, strict=True):
                vals["name"] = self.env._("%(name)s (copy)", name=credential.name)
        return vals_list

    def write(self, vals):
        self._check_protected_fields(vals)
        self._check_foreign_token_host_allowance(vals)
        if "endpoint_id" in vals and any(
            c.endpoint_id.id != vals["endpoint_id"] for c in self
        ):
            # a secret is given for one system: moving it would send it to another
            raise UserError(
                self.env._(
                    "A credential belongs to its endpoint for good: create a new "
                    "credential for another endpoint."
                )
            )
        token_urls = {}
        if (
            "token_url" in vals
            and "is_foreign_token_host_allowed" not in vals
            and not self._is_settings_admin()
        ):
            token_urls = {credential: credential.token_url for credential in self}
        if "kind" in vals or "token_url" in vals or "client_id" in vals:
            # a token obtained for other settings must not be used for the new ones
            vals = dict(vals, date_token_expiry=False)
        result = super().write(vals)
        # an administrator's allowance holds for the URL they saw: whoever else
        # moves the token URL (a change request applied included) clears it
        moved = self.filtered(
            lambda c: (
                c in token_urls
                and c.token_url != token_urls[c]
                and c.is_foreign_token_host_allowed
            )
        )
        if moved:
            super(InteropCredential, moved).write(
                {"is_foreign_token_host_allowed": False}
            )
        return result

    def _interop_is_change_controlled(self):
        self.ensure_one()
        return self.endpoint_id._interop_is_change_controlled()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_active(self):
        if any(credential.state == STATE_ACTIVE for credential in self):
            raise UserError(
                self.env._(
                    "A credential with a secret is revoked first (Revoke), so that "
                    "the audit trail records it; then it can be deleted."
                )
            )

    def _check_protected_fields(self, vals):
        if self.env.context.get("interop_vault_write") is _VAULT_WRITE:
            return
        forbidden = PROTECTED_FIELDS.intersection(vals)
        if forbidden:
            raise AccessError(
                self.env._(
                    "Secrets are set with the Set Secret wizard and revoked with "
                    "Revoke; %(fields)s cannot be written directly.",
                    fields=", ".join(sorted(forbidden)),
                )
            )

    def _vault_write(self, vals):
        # sudo: the encrypted columns are restricted to administrators; this method
        # is the governed way to them, for managers who passed check_access below
        return self.sudo().with_context(interop_vault_write=_VAULT_WRITE).write(vals)

    # Setting, replacing and revoking

    def _set_secret(self, secret, date_expiry=None):
        """Encrypt and store ``secret`` (replacing any previous one), and audit it."""
        self.ensure_one()
        self.check_access("write")
        if not secret:
            raise UserError(self.env._("The secret cannot be empty."))
        replaced = self.state == STATE_ACTIVE
        vals = {
            "secret_enc": self.env["interop.crypto"]._encrypt(secret),
            "state": STATE_ACTIVE,
            "date_set": fields.Datetime.now(),
            "set_by_id": self.env.uid,
            "access_token_enc": False,
            "date_token_expiry": False,
        }
        if date_expiry is not None:
            vals["date_expiry"] = date_expiry
        self._vault_write(vals)
        self.activity_feedback(
            [EXPIRY_ACTIVITY_TYPE], feedback=self.env._("A new secret was set.")
        )
        self.env["interop.audit.entry"]._log(
            "credential_rotated" if replaced else "credential_set",
            record=self,
            summary=(
                self.env._("Secret of credential %(name)s replaced", name=self.name)
                if replaced
                else self.env._("Secret of credential %(name)s set", name=self.name)
            ),
            details={"kind": self.kind, "endpoint": self.endpoint_id.code},
        )
        return True

    def action_open_set_secret(self):
        self.ensure_one()
        self.check_access("write")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Set Secret"),
            "res_model": "interop.credential.set",
            "view_mode": "form",
            "target": "new",
            "context": {"default_credential_id": self.id},
        }

    def action_revoke(self):
        """Forget the secret and any access token: nothing can use it any more."""
        self.check_access("write")
        for credential in self.filtered(lambda c: c.state != STATE_REVOKED):
            credential._vault_write(
                {
                    "secret_enc": False,
                    "access_token_enc": False,
                    "date_token_expiry": False,
                    "state": STATE_REVOKED,
                }
            )
            credential.activity_feedback(
                [EXPIRY_ACTIVITY_TYPE],
                feedback=self.env._("The credential was revoked."),
            )
            self.env["interop.audit.entry"]._log(
                "credential_revoked",
                record=credential,
                summary=self.env._("Credential %(name)s revoked", name=credential.name),
                details={"kind": credential.kind},
            )
        return True

    # Reading, for code only

    def _get_secret(self):
        """The plaintext secret, for the code that authenticates outbound calls.

        The one way to the secret. Reads are not written to the audit trail one by
        one: delivery reads it on every call, which would bury the governance events
        (set, replace, revoke, key rotation) under noise. Each use is recorded
        instead on the attempt of the outbound message it authenticated
        (``credential_id``), and neither the UI nor RPC can reach this method.
        """
        self.ensure_one()
        # sudo: the ciphertext column is restricted to administrators (see above)
        token = self.sudo().secret_enc
        if self.state != STATE_ACTIVE or not token:
            raise self._error(
                self.env._(
                    "Credential %(name)s of %(endpoint)s has no secret (%(state)s).",
                    name=self.name,
                    endpoint=self.endpoint_id.display_name,
                    state=dict(self._fields["state"].selection)[self.state],
                ),
                suggested_action=self.env._(
                    "Set the secret of the credential, then retry."
                ),
            )
        return self.env["interop.crypto"]._decrypt(token)

    def _error(self, summary, suggested_action=None, detail=None):
        """A credential failure, for the endpoint's technical owner."""
        return CredentialError(
            summary,
            suggested_action=suggested_action
            or self.env._(
                "Check the credential and the remote system's account, then retry."
            ),
            detail=detail,
            owner=self.endpoint_id.technical_owner_id or None,
            records=self,
        )

    def _get_auth(self, renew=False, refused_token=None):
        """The ``requests`` authentication of one call, per kind.

        :param renew: obtain a new OAuth2 access token even if the cached one has
            not expired (the remote refused it)
        :param refused_token: the access token the remote refused: renewed only if
            no other worker has replaced it meanwhile
        """
        self.ensure_one()
        if self.kind == "oauth2_client_credentials":
            token = self._get_access_token(renew=renew, refused_token=refused_token)
            return BearerTokenAuth(token)
        secret = self._get_secret()
        if self.kind == "api_key":
            return HeaderTokenAuth(self.header_name or "X-API-Key", secret)
        if self.kind == "basic_auth":
            return requests.auth.HTTPBasicAuth(self.username or "", secret)
        if self.kind == "hmac_secret":
            return HmacSignatureAuth(secret, key_id=self.username or None)
        return BearerTokenAuth(secret)

    # OAuth2 client credentials

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

    # Expiry warnings

    @api.model
    def _cron_warn_expiry(self, days=EXPIRY_WARNING_DAYS, batch_size=200):
        """One activity per credential whose secret expires within ``days``."""
        limit_date = fields.Date.context_today(self) + timedelta(days=days)
        activity_type = self.env.ref(EXPIRY_ACTIVITY_TYPE)
        expiring = self.search(
            [
                ("state", "=", STATE_ACTIVE),
                ("date_expiry", "!=", False),
                ("date_expiry", "<=", limit_date),
                (
                    "activity_ids",
                    "not any",
                    [("activity_type_id", "=", activity_type.id)],
                ),
            ],
            limit=batch_size,
        )
        for credential in expiring:
            endpoint = credential.endpoint_id
            owner = endpoint.technical_owner_id or credential.set_by_id
            # sudo: the reminder comes from Odoo itself; the technical user running
            # the schedule has no mailbox to notify the owner from
            credential.sudo().activity_schedule(
                EXPIRY_ACTIVITY_TYPE,
                date_deadline=credential.date_expiry,
                user_id=owner.id or self.env.uid,
                summary=self.env._(
                    "Credential %(name)s expires on %(date)s",
                    name=credential.name,
                    date=fields.Date.to_string(credential.date_expiry),
                ),
                note=self.env._(
                    "Obtain a new secret from %(endpoint)s and set it with Set "
                    "Secret before it expires.",
                    endpoint=endpoint.name,
                ),
            )
        self.env["ir.cron"]._notify_progress(
            done=len(expiring), remaining=1 if len(expiring) >= batch_size else 0
        )
        return expiring
