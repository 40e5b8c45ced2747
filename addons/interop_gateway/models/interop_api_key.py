# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import secrets
from collections import namedtuple

from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

from odoo.addons.interop.models.interop_crypto import hash_key

#: every key starts with this marker, so that leaked keys are easy to recognise
KEY_MARKER = "iop_"
MIN_KEY_SIZE = 24

#: fields only the key's own methods write: its identity (moved or re-keyed, it
#: would be another key) and its record of use and revocation
FROZEN_FIELDS = {"endpoint_id", "prefix", "key_hash", "company_id"}
RECORD_FIELDS = {"state", "date_revoked", "revoked_by_id", "date_last_used"}

#: what a request is authenticated as
Credential = namedtuple("Credential", "key_id endpoint_id scope_ids")


class InteropApiKey(models.Model):
    """A credential a partner system presents to send messages for one endpoint.

    Only a salted hash is stored; the key is shown once, when it is generated.
    Several keys may be active at once, to rotate them without downtime.
    """

    _name = "interop.api.key"
    _description = "Gateway API Key"
    _inherit = ["mail.thread", "interop.key.mixin"]
    _order = "endpoint_id, state, id desc"
    _check_company_auto = True
    _interop_key_marker = KEY_MARKER
    _interop_key_min_size = MIN_KEY_SIZE

    name = fields.Char(
        required=True,
        tracking=True,
        help="What the key is for, e.g. 'CareSlot production, rotated 2026-11'.",
    )
    endpoint_id = fields.Many2one(
        "interop.endpoint",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(
        related="endpoint_id.company_id", store=True, index=True, readonly=True
    )
    prefix = fields.Char(
        required=True,
        readonly=True,
        index=True,
        help="The characters after 'iop_' that identify the key; not a secret.",
    )
    prefix_display = fields.Char(string="Key", compute="_compute_prefix_display")
    key_hash = fields.Char(
        required=True, readonly=True, copy=False, groups="base.group_system"
    )
    date_expiry = fields.Datetime(
        string="Expires On",
        tracking=True,
        help="The key is refused from this moment. Empty: it does not expire.",
    )
    is_expired = fields.Boolean(string="Expired", compute="_compute_is_expired")
    event_type_ids = fields.Many2many(
        "interop.event.type",
        string="Allowed Event Types",
        domain="[('direction', '=', 'inbound')]",
        tracking=True,
        help="Event types this key may send (every version of each). Empty: every "
        "inbound event type.",
    )
    state = fields.Selection(
        [("active", "Active"), ("revoked", "Revoked")],
        default="active",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    date_last_used = fields.Datetime(
        string="Last Used",
        readonly=True,
        help="Last request with this key, to the minute.",
    )
    date_revoked = fields.Datetime(string="Revoked On", readonly=True)
    revoked_by_id = fields.Many2one("res.users", readonly=True)

    _sql_constraints = [
        (
            "prefix_uniq",
            "unique(prefix)",
            "Another API key already starts with these characters.",
        ),
    ]

    @api.depends("prefix")
    def _compute_prefix_display(self):
        for key in self:
            key.prefix_display = f"{KEY_MARKER}{key.prefix}…" if key.prefix else False

    @api.depends("date_expiry")
    def _compute_is_expired(self):
        now = fields.Datetime.now()
        for key in self:
            key.is_expired = bool(key.date_expiry and key.date_expiry <= now)

    @api.model_create_multi
    @api.private
    def create(self, vals_list):
        # keys are made by _generate, which alone knows the key it hashes: not over
        # RPC (private), nor through another model's one2many, nor by copy
        if not self._interop_key_is_generating():
            raise UserError(
                self.env._(
                    "API keys are made with Generate API Key on their endpoint, which "
                    "shows the new key once."
                )
            )
        keys = super().create(vals_list)
        self.env.registry.clear_cache()
        return keys

    def write(self, vals):
        frozen = FROZEN_FIELDS.intersection(vals)
        if frozen:
            raise UserError(
                self.env._(
                    "An API key cannot be moved or re-keyed: generate a new key "
                    "instead."
                )
            )
        if vals.get("state") == "active" and "revoked" in self.mapped("state"):
            raise UserError(
                self.env._(
                    "A revoked API key cannot be used again: generate a new one."
                )
            )
        if RECORD_FIELDS.intersection(vals) and not self._interop_key_is_revoking():
            raise UserError(
                self.env._(
                    "The state, revocation and last use of an API key are recorded "
                    "by Odoo: revoke a key with its Revoke button."
                )
            )
        result = super().write(vals)
        # every worker forgets what it knew of these keys (revocation, expiry, scopes)
        self.env.registry.clear_cache()
        return result

    @api.model
    def _generate(self, endpoint, name, date_expiry=None, event_types=None, key=None):
        """Create a key for ``endpoint``; return ``(record, key)``.

        The key is returned here only and never stored: show it once. ``key`` lets
        demo data and tests choose it (``iop_`` and at least 24 characters).
        """
        endpoint.ensure_one()
        # keys are made for an endpoint the caller may change (a Manager of its
        # company), whatever record the caller passes
        endpoint.check_access("write")
        key = key or KEY_MARKER + secrets.token_hex(20)
        prefix = self._interop_key_prefix(key)
        if not prefix:
            raise ValidationError(
                self.env._(
                    "An API key starts with %(marker)s and has at least %(size)s "
                    "characters.",
                    marker=KEY_MARKER,
                    size=MIN_KEY_SIZE,
                )
            )
        record = self._interop_key_generating().create(
            [
                {
                    "endpoint_id": endpoint.id,
                    "name": name,
                    "prefix": prefix,
                    "key_hash": hash_key(key),
                    "date_expiry": date_expiry or False,
                    "event_type_ids": [(6, 0, event_types.ids if event_types else [])],
                }
            ]
        )
        record = self.browse(record.ids)  # without the creating context
        self.env["interop.audit.entry"]._log(
            "api_key_generated",
            record=record,
            summary=self.env._(
                "API key %(key)s (%(name)s) generated for %(endpoint)s",
                key=record.prefix_display,
                name=name,
                endpoint=endpoint.display_name,
            ),
            details={
                "prefix": prefix,
                "date_expiry": fields.Datetime.to_string(record.date_expiry) or None,
                "event_types": record.event_type_ids.mapped("code"),
            },
        )
        return record, key

    def action_revoke(self):
        """Refuse these keys from now on, in every worker."""
        self.check_access("write")
        active = self.filtered(lambda k: k.state == "active")
        if not active:
            raise UserError(self.env._("These API keys are already revoked."))
        active._interop_key_revoking().write(
            {
                "state": "revoked",
                "date_revoked": fields.Datetime.now(),
                "revoked_by_id": self.env.uid,
            }
        )
        for key in active:
            self.env["interop.audit.entry"]._log(
                "api_key_revoked",
                record=key,
                summary=self.env._(
                    "API key %(key)s (%(name)s) of %(endpoint)s revoked",
                    key=key.prefix_display,
                    name=key.name,
                    endpoint=key.endpoint_id.display_name,
                ),
                details={"prefix": key.prefix},
            )
        return True

    # Authentication (hot path)

    @api.model
    @tools.ormcache("prefix")
    def _auth_candidates(self, prefix):
        """Active keys of ``prefix``: ``((id, hash, endpoint id, expiry, scope ids),)``.

        Cached in each worker; any change of a key clears it in all of them.
        """
        # sudo: the hashes are read to authenticate a request, by no user
        keys_sudo = self.sudo().search(
            [("prefix", "=", prefix), ("state", "=", "active")]
        )
        return tuple(
            (
                key.id,
                key.key_hash,
                key.endpoint_id.id,
                key.date_expiry or None,
                tuple(key.event_type_ids.ids),
            )
            for key in keys_sudo
        )

    @api.model
    def _authenticate(self, key):
        """The :data:`Credential` of a presented ``key``, or None when it is unknown,
        revoked or expired."""
        prefix = self._interop_key_prefix(key)
        if not prefix:
            return None
        candidates = self._auth_candidates(prefix)
        if not candidates:
            return None
        stored = self._interop_key_match(key, [c[1] for c in candidates])
        if stored is None:
            return None
        key_id, _hash, endpoint_id, date_expiry, scope_ids = next(
            c for c in candidates if c[1] == stored
        )
        if date_expiry and date_expiry <= fields.Datetime.now():
            return None
        return Credential(key_id, endpoint_id, scope_ids)
