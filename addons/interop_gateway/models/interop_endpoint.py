# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import namedtuple

from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: no endpoint may accept more than this in one request
MAX_BODY_BYTES_CAP = 16 * 1024 * 1024
DEFAULT_RATE_LIMIT = 600
MIN_SECRET_SIZE = 16
#: levels of arrays and objects a payload may nest by default ...
DEFAULT_MAX_JSON_DEPTH = 32
#: ... and at most: deeper documents cost recursion wherever they are read
MAX_JSON_DEPTH_CAP = 100
#: gateway settings that change only through an approved change request once the
#: endpoint is active (interop.governed.mixin)
GATEWAY_GOVERNED_FIELDS = (
    "gateway_require_signature",
    "gateway_max_body_bytes",
    "gateway_rate_limit",
    "gateway_max_json_depth",
)
#: who set the signing secret, and when: written by _set_gateway_secret only
SECRET_RECORD_FIELDS = {
    "gateway_hmac_secret_enc",
    "gateway_hmac_secret_date",
    "gateway_hmac_secret_user_id",
}
SETTING_SECRET_KEY = "interop_gateway_setting_secret"
# Context value of a signing secret being set by _set_gateway_secret: an object,
# which no RPC call can send.
_SETTING_SECRET = object()

#: what the gateway needs of an endpoint, cached in each worker (no records: the
#: cache outlives transactions)
GatewayProfile = namedtuple(
    "GatewayProfile",
    "id code state direction company_id service_user_id max_body_bytes rate_limit "
    "require_signature secret max_json_depth",
)
#: fields of the profile: changing one clears the cache in every worker
GATEWAY_PROFILE_FIELDS = {
    "code",
    "state",
    "direction",
    "company_id",
    "service_user_id",
    "gateway_require_signature",
    "gateway_hmac_secret_enc",
    "gateway_max_body_bytes",
    "gateway_rate_limit",
    "gateway_max_json_depth",
}


class InteropEndpoint(models.Model):
    _inherit = "interop.endpoint"
    # re-encrypted by interop.crypto._rotate with the other encrypted columns
    _interop_encrypted_fields = ["gateway_hmac_secret_enc"]

    gateway_api_key_ids = fields.One2many(
        "interop.api.key", "endpoint_id", string="API Keys"
    )
    gateway_require_signature = fields.Boolean(
        string="Require Signature",
        tracking=True,
        help="Refuse inbound requests without a valid X-Interop-Signature: the "
        "HMAC-SHA256, with the signing secret, of the method, path, Idempotency-Key "
        "and timestamp, each followed by a line feed, then the raw body.",
    )
    # Never readable through the UI or RPC; set with the Set Signing Secret wizard.
    gateway_hmac_secret_enc = fields.Text(
        copy=False, prefetch=False, groups="base.group_system"
    )
    gateway_hmac_secret_date = fields.Datetime(
        string="Signing Secret Set On", readonly=True, copy=False
    )
    gateway_hmac_secret_user_id = fields.Many2one(
        "res.users", string="Signing Secret Set By", readonly=True, copy=False
    )
    gateway_hmac_secret_info = fields.Char(
        string="Signing Secret", compute="_compute_gateway_hmac_secret_info"
    )
    gateway_max_body_bytes = fields.Integer(
        string="Max Body Size (bytes)",
        default=DEFAULT_MAX_BODY_BYTES,
        tracking=True,
        help="Larger inbound requests are refused (413).",
    )
    gateway_rate_limit = fields.Integer(
        string="Requests per Minute",
        default=DEFAULT_RATE_LIMIT,
        tracking=True,
        help="Inbound messages accepted per minute, across all Odoo workers; more "
        "are refused (429) until the next minute. 0: no limit.",
    )

    gateway_max_json_depth = fields.Integer(
        string="Max JSON Nesting",
        default=DEFAULT_MAX_JSON_DEPTH,
        tracking=True,
        help="Payloads nesting arrays and objects deeper than this are refused "
        "(422) before they are parsed.",
    )

    def _get_interop_governed_fields(self):
        return super()._get_interop_governed_fields() + GATEWAY_GOVERNED_FIELDS

    @api.depends("gateway_hmac_secret_date", "gateway_hmac_secret_user_id")
    def _compute_gateway_hmac_secret_info(self):
        for endpoint in self:
            if endpoint.gateway_hmac_secret_date:
                endpoint.gateway_hmac_secret_info = self.env._(
                    "Set on %(date)s by %(user)s",
                    date=fields.Datetime.to_string(
                        fields.Datetime.context_timestamp(
                            endpoint, endpoint.gateway_hmac_secret_date
                        )
                    )[:16],
                    user=endpoint.gateway_hmac_secret_user_id.name,
                )
            else:
                endpoint.gateway_hmac_secret_info = self.env._("Not set")

    @api.constrains(
        "gateway_max_body_bytes", "gateway_rate_limit", "gateway_max_json_depth"
    )
    def _check_gateway_limits(self):
        for endpoint in self:
            if not 0 < endpoint.gateway_max_json_depth <= MAX_JSON_DEPTH_CAP:
                raise ValidationError(
                    self.env._(
                        "The maximum JSON nesting of %(endpoint)s must be between 1 "
                        "and %(cap)s levels.",
                        endpoint=endpoint.display_name,
                        cap=MAX_JSON_DEPTH_CAP,
                    )
                )
            if not 0 < endpoint.gateway_max_body_bytes <= MAX_BODY_BYTES_CAP:
                raise ValidationError(
                    self.env._(
                        "The maximum body size of %(endpoint)s must be between 1 and "
                        "%(cap)s bytes.",
                        endpoint=endpoint.display_name,
                        cap=MAX_BODY_BYTES_CAP,
                    )
                )
            if endpoint.gateway_rate_limit < 0:
                raise ValidationError(
                    self.env._("A rate limit cannot be negative (0: no limit).")
                )

    def _set_gateway_secret(self, secret):
        """Store ``secret`` encrypted as the HMAC signing secret of the endpoint."""
        self.ensure_one()
        # the caller may change this endpoint (a Manager of its company)
        self.check_access("write")
        if not secret or len(secret) < MIN_SECRET_SIZE:
            raise UserError(
                self.env._(
                    "A signing secret has at least %(size)s characters.",
                    size=MIN_SECRET_SIZE,
                )
            )
        if self.state == "retired":
            raise UserError(
                self.env._(
                    "%(endpoint)s is retired: its configuration can no longer change.",
                    endpoint=self.display_name,
                )
            )
        replaced = bool(self.gateway_hmac_secret_date)
        # sudo: the encrypted column is hidden from everyone (group_system); managers
        # set it through this method only
        self.sudo().with_context(**{SETTING_SECRET_KEY: _SETTING_SECRET}).write(
            {
                "gateway_hmac_secret_enc": self.env["interop.crypto"]._encrypt(secret),
                "gateway_hmac_secret_date": fields.Datetime.now(),
                "gateway_hmac_secret_user_id": self.env.uid,
            }
        )
        self.env["interop.audit.entry"]._log(
            "credential_set",
            record=self,
            summary=self.env._(
                "Gateway signing secret of %(endpoint)s %(action)s",
                endpoint=self.display_name,
                action=self.env._("replaced") if replaced else self.env._("set"),
            ),
            details={"credential": "gateway_hmac_secret", "replaced": replaced},
        )
        return True

    @api.model_create_multi
    def create(self, vals_list):
        if any(SECRET_RECORD_FIELDS.intersection(vals) for vals in vals_list):
            raise UserError(
                self.env._(
                    "The signing secret, and who set it when, change only with Set "
                    "Signing Secret."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        if SECRET_RECORD_FIELDS.intersection(vals) and (
            self.env.context.get(SETTING_SECRET_KEY) is not _SETTING_SECRET
        ):
            raise UserError(
                self.env._(
                    "The signing secret, and who set it when, change only with Set "
                    "Signing Secret."
                )
            )
        result = super().write(vals)
        if GATEWAY_PROFILE_FIELDS.intersection(vals):
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    @api.model
    @tools.ormcache("endpoint_id")
    def _gateway_profile(self, endpoint_id):
        """The :data:`GatewayProfile` of an endpoint, or None; the gateway's hot path.

        Cached in each worker; a change of any of its fields clears the cache in all
        of them (:data:`GATEWAY_PROFILE_FIELDS`).
        """
        # sudo: the gateway settings of the endpoint of an authenticated key
        endpoint = self.sudo().browse(endpoint_id).exists()
        if not endpoint:
            return None
        return GatewayProfile(
            id=endpoint.id,
            code=endpoint.code,
            state=endpoint.state,
            direction=endpoint.direction,
            company_id=endpoint.company_id.id,
            service_user_id=endpoint.service_user_id.id,
            max_body_bytes=endpoint.gateway_max_body_bytes,
            rate_limit=endpoint.gateway_rate_limit,
            require_signature=endpoint.gateway_require_signature,
            secret=endpoint._get_gateway_secret(),
            max_json_depth=endpoint.gateway_max_json_depth,
        )

    def _get_gateway_secret(self):
        """The decrypted signing secret, or None; for the gateway only."""
        self.ensure_one()
        token = self.sudo().gateway_hmac_secret_enc
        return self.env["interop.crypto"]._decrypt(token) if token else None

    def action_generate_gateway_api_key(self):
        self.ensure_one()
        self.check_access("write")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Generate API Key"),
            "res_model": "interop.api.key.generate",
            "view_mode": "form",
            "target": "new",
            "context": {"default_endpoint_id": self.id},
        }

    def action_set_gateway_secret(self):
        self.ensure_one()
        self.check_access("write")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Set Signing Secret"),
            "res_model": "interop.gateway.secret.set",
            "view_mode": "form",
            "target": "new",
            "context": {"default_endpoint_id": self.id},
        }
