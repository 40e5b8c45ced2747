# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta
from urllib.parse import urlsplit

import requests

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..auth import BearerTokenAuth, HeaderTokenAuth, HmacSignatureAuth
from ..errors import CredentialError

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
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "interop.governed.mixin",
        "interop.credential.oauth2",
    ]
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
