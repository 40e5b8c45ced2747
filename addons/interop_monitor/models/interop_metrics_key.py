# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import secrets

from odoo import api, fields, models, tools
from odoo.exceptions import UserError

from odoo.addons.interop.models.interop_crypto import hash_key

#: every metrics key starts with this marker (gateway keys start with iop_)
KEY_MARKER = "iom_"
MIN_KEY_SIZE = 24
#: written by the key's own methods only
PROTECTED_FIELDS = {"prefix", "key_hash", "company_id", "state", "date_revoked"}


class InteropMetricsKey(models.Model):
    """The credential a metrics scraper (Prometheus) presents, for one company.

    Only a salted hash is stored; the key is shown once. It reads figures, nothing
    else: it is no gateway key, and a gateway key is none of these.
    """

    _name = "interop.metrics.key"
    _description = "Metrics Key"
    _inherit = ["mail.thread", "interop.key.mixin"]
    _order = "state, id desc"
    _check_company_auto = True
    _interop_key_marker = KEY_MARKER
    _interop_key_min_size = MIN_KEY_SIZE

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
        if not self._interop_key_is_generating():
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
        if PROTECTED_FIELDS.intersection(vals) and not self._interop_key_is_revoking():
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
        prefix = self._interop_key_prefix(key)
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
            self._interop_key_generating()
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
        active._interop_key_revoking().write(
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
        prefix = self._interop_key_prefix(key)
        if not prefix:
            return None
        candidates = self._auth_candidates(prefix)
        stored = self._interop_key_match(key, [c[0] for c in candidates])
        if stored is None:
            return None
        return next(
            company_id for key_hash, company_id in candidates if key_hash == stored
        )
