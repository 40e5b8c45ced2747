# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import secrets

from odoo import api, fields, models, tools
from odoo.exceptions import UserError

from odoo.addons.interop.models.interop_crypto import hash_key, verify_key

#: every metrics key starts with this marker (gateway keys start with iop_)
KEY_MARKER = "iom_"
PREFIX_SIZE = 8
MIN_KEY_SIZE = 24
VERIFIED_CACHE_SIZE = 256

# {(db, sha256 of the key): stored hash} of keys verified in this process; the key
# must still be active (checked on each request through the ormcache below)
_VERIFIED = {}
# Context value of a key being made by _generate: an object, which no RPC call sends
_GENERATING = object()
GENERATING_KEY = "interop_metrics_generating"
#: written by the key's own methods only
PROTECTED_FIELDS = {"prefix", "key_hash", "company_id", "state", "date_revoked"}
_REVOKING = object()
REVOKING_KEY = "interop_metrics_revoking"


def key_prefix(key):
    """The public part of a metrics key, or None when it is no metrics key."""
    if not key or not key.startswith(KEY_MARKER) or len(key) < MIN_KEY_SIZE:
        return None
    return key[len(KEY_MARKER) : len(KEY_MARKER) + PREFIX_SIZE]


class InteropMetricsKey(models.Model):
    """The credential a metrics scraper (Prometheus) presents, for one company.

    Only a salted hash is stored; the key is shown once. It reads figures, nothing
    else: it is no gateway key, and a gateway key is none of these.
    """

    _name = "interop.metrics.key"
    _description = "Metrics Key"
    _inherit = ["mail.thread"]
    _order = "state, id desc"
    _check_company_auto = True

    name = fields.Char(
        required=True,
        tracking=True,
        help="Who scrapes with it, e.g. 'Prometheus production'.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    prefix = fields.Char(required=True, readonly=True, index=True)
    prefix_display = fields.Char(string="Key", compute="_compute_prefix_display")
    key_hash = fields.Char(
        required=True, readonly=True, copy=False, groups="base.group_system"
    )
    state = fields.Selection(
        [("active", "Active"), ("revoked", "Revoked")],
        default="active",
        required=True,
        readonly=True,
        tracking=True,
    )
    date_revoked = fields.Datetime(string="Revoked On", readonly=True)

    _sql_constraints = [
        ("prefix_uniq", "unique(prefix)", "Another metrics key starts like this one.")
    ]

    @api.depends("prefix")
    def _compute_prefix_display(self):
        for key in self:
            key.prefix_display = f"{KEY_MARKER}{key.prefix}…" if key.prefix else False

    @api.model_create_multi
    @api.private
    def create(self, vals_list):
        if self.env.context.get(GENERATING_KEY) is not _GENERATING:
            raise UserError(
                self.env._(
                    "Metrics keys are made with Generate Metrics Key, which shows the "
                    "new key once."
                )
            )
        keys = super().create(vals_list)
        self.env.registry.clear_cache()
        return keys

    def write(self, vals):
        if PROTECTED_FIELDS.intersection(vals) and (
            self.env.context.get(REVOKING_KEY) is not _REVOKING
        ):
            raise UserError(
                self.env._(
                    "A metrics key cannot be moved, re-keyed or revived: generate a "
                    "new key, revoke the old one."
                )
            )
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    @api.model
    def _generate(self, name, company=None, key=None):
        """Create a key for ``company`` (the current one by default); return
        ``(record, key)``. ``key`` lets tests and demo data choose it."""
        company = company or self.env.company
        # a key is made by who may manage Interop in that company
        self.check_access("create")
        if company not in self.env.user.company_ids and not self.env.su:
            raise UserError(
                self.env._("You do not work in %(company)s.", company=company.name)
            )
        key = key or KEY_MARKER + secrets.token_hex(20)
        prefix = key_prefix(key)
        if not prefix:
            raise UserError(
                self.env._(
                    "A metrics key starts with %(marker)s and has at least %(size)s "
                    "characters.",
                    marker=KEY_MARKER,
                    size=MIN_KEY_SIZE,
                )
            )
        record = (
            self.with_context(**{GENERATING_KEY: _GENERATING})
            .sudo()
            .create(
                [
                    {
                        "name": name,
                        "company_id": company.id,
                        "prefix": prefix,
                        "key_hash": hash_key(key),
                    }
                ]
            )
        )
        record = self.browse(record.ids)
        self.env["interop.audit.entry"]._log(
            "api_key_generated",
            record=record,
            summary=self.env._(
                "Metrics key %(key)s (%(name)s) generated",
                key=record.prefix_display,
                name=name,
            ),
            details={"prefix": prefix},
        )
        return record, key

    def action_revoke(self):
        self.check_access("write")
        active = self.filtered(lambda k: k.state == "active")
        if not active:
            raise UserError(self.env._("These metrics keys are already revoked."))
        active.with_context(**{REVOKING_KEY: _REVOKING}).write(
            {"state": "revoked", "date_revoked": fields.Datetime.now()}
        )
        for key in active:
            self.env["interop.audit.entry"]._log(
                "api_key_revoked",
                record=key,
                summary=self.env._(
                    "Metrics key %(key)s (%(name)s) revoked",
                    key=key.prefix_display,
                    name=key.name,
                ),
                details={"prefix": key.prefix},
            )
        return True

    # Authentication (every scrape)

    @api.model
    @tools.ormcache("prefix")
    def _auth_candidates(self, prefix):
        # sudo: the hashes are read to authenticate a scrape, by no user
        keys_sudo = self.sudo().search(
            [("prefix", "=", prefix), ("state", "=", "active")]
        )
        return tuple((k.key_hash, k.company_id.id) for k in keys_sudo)

    @api.model
    def _authenticate(self, key):
        """The company id of an active metrics ``key``, or None."""
        prefix = key_prefix(key)
        if not prefix:
            return None
        memo_key = (self.env.cr.dbname, hashlib.sha256(key.encode()).hexdigest())
        verified = _VERIFIED.get(memo_key)
        for stored, company_id in self._auth_candidates(prefix):
            if stored == verified or verify_key(key, stored):
                if verified != stored:
                    if len(_VERIFIED) >= VERIFIED_CACHE_SIZE:
                        _VERIFIED.clear()
                    _VERIFIED[memo_key] = stored
                return company_id
        return None
