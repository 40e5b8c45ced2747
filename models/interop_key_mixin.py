# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib

from odoo import api, models

from .interop_crypto import verify_key

#: bound of the in-memory cache of verified keys (per process, every key model)
VERIFIED_CACHE_SIZE = 4096

# Proof that a presented key was verified: {(db, model, sha256 of the key): stored
# hash}. It says nothing about validity: the key must still be among the active keys
# of its prefix (an ormcache that any change clears in every worker), checked on each
# request by the model.
_VERIFIED = {}
# Context values of a key being made by the model's _generate and revoked by its
# action_revoke: objects, which no RPC call can send.
_GENERATING = object()
_REVOKING = object()
GENERATING_KEY = "interop_key_generating"
REVOKING_KEY = "interop_key_revoking"


class InteropKeyMixin(models.AbstractModel):
    """A key a system presents, shown once and stored as a salted hash, found by the
    prefix stored in clear: the gateway's API keys, the monitor's metrics keys.

    What they share: the prefix of a presented key, its check against the stored
    hashes of that prefix (verification is slow on purpose: a key verified once is
    remembered in the process), and the marks of the key's own methods (generation,
    revocation) that unlock its protected fields.
    """

    _name = "interop.key.mixin"
    _description = "Hashed Access Key"
    #: every key of the model starts with this marker, so that a leaked key is easy
    #: to recognise (and a key of one model is never one of another)
    _interop_key_marker = None
    #: characters after the marker stored in clear to find the key
    _interop_key_prefix_size = 8
    _interop_key_min_size = 24

    @api.model
    def _interop_key_prefix(self, key):
        """The public part of ``key`` used to find it, or None if it is no key of
        this model."""
        marker = self._interop_key_marker
        if (
            not key
            or not key.startswith(marker)
            or len(key) < self._interop_key_min_size
        ):
            return None
        return key[len(marker) : len(marker) + self._interop_key_prefix_size]

    @api.model
    def _interop_key_match(self, key, stored_hashes):
        """The one of ``stored_hashes`` that ``key`` matches, or None."""
        memo_key = (
            self.env.cr.dbname,
            self._name,
            hashlib.sha256(key.encode()).hexdigest(),
        )
        verified = _VERIFIED.get(memo_key)
        for stored in stored_hashes:
            if stored == verified or verify_key(key, stored):
                if verified != stored:
                    if len(_VERIFIED) >= VERIFIED_CACHE_SIZE:
                        _VERIFIED.clear()
                    _VERIFIED[memo_key] = stored
                return stored
        return None

    def _interop_key_generating(self):
        """These records, in the context of the key's own generation."""
        return self.with_context(**{GENERATING_KEY: _GENERATING})

    def _interop_key_is_generating(self):
        return self.env.context.get(GENERATING_KEY) is _GENERATING

    def _interop_key_revoking(self):
        """These records, in the context of their own revocation."""
        return self.with_context(**{REVOKING_KEY: _REVOKING})

    def _interop_key_is_revoking(self):
        return self.env.context.get(REVOKING_KEY) is _REVOKING
