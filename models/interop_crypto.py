# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import hmac
import logging
import os
import secrets

from cryptography.fernet import Fernet, InvalidToken

from odoo import api, models, tools
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

#: odoo.conf option and environment variable holding "keyid:key[,keyid:key...]", the
#: first being the current key. Keys are Fernet keys (urlsafe base64 of 32 random
#: bytes).
CONFIG_OPTION = "interop_encryption_keys"
ENV_VARIABLE = "INTEROP_ENCRYPTION_KEYS"
SEPARATOR = "$"


def parse_keys(spec):
    """Return ``[(key_id, Fernet)]`` from ``"id:key,id:key"``, current key first."""
    keys = []
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        key_id, _sep, key = item.partition(":")
        if not key_id or not key or SEPARATOR in key_id:
            raise ValueError(f"malformed encryption key entry for key id {key_id!r}")
        keys.append((key_id, Fernet(key.encode())))
    return keys


#: the hash of API keys (gateway and metrics keys): salted PBKDF2-SHA256
KEY_HASH_ALGORITHM = "pbkdf2_sha256"
# Keys are 160 random bits: a slow hash adds nothing against guessing. These rounds,
# as Odoo's own API keys, cost a few milliseconds, paid once per key and worker
# thanks to the callers' caches of verified keys.
KEY_HASH_ROUNDS = 6000


def hash_key(key, salt=None, rounds=KEY_HASH_ROUNDS):
    """``pbkdf2_sha256$<rounds>$<salt>$<hash>`` of ``key``, with a new salt unless
    given."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", key.encode(), salt.encode(), rounds)
    return f"{KEY_HASH_ALGORITHM}${rounds}${salt}${digest.hex()}"


def verify_key(key, stored):
    """True when ``key`` matches the ``stored`` result of :func:`hash_key`."""
    algorithm, _sep, rest = (stored or "").partition("$")
    rounds, _sep, rest = rest.partition("$")
    salt, _sep, _digest = rest.partition("$")
    if algorithm != KEY_HASH_ALGORITHM or not rounds.isdigit() or not salt:
        return False
    return hmac.compare_digest(hash_key(key, salt, int(rounds)), stored)


class InteropCrypto(models.AbstractModel):
    """Encryption at rest of payloads and secrets, with keys outside the database.

    A stored value is ``<key id>$<Fernet token>``: the key id says which key
    decrypts it, so keys can be rotated (``_rotate``) while older values stay
    readable.
    """

    _name = "interop.crypto"
    _description = "Interop Encryption Service"

    @api.model
    def _keys(self):
        spec = os.environ.get(ENV_VARIABLE) or tools.config.get(CONFIG_OPTION)
        try:
            keys = parse_keys(spec)
        except ValueError as error:
            raise UserError(
                self.env._(
                    "The Interop encryption keys are malformed: %(error)s", error=error
                )
            ) from None
        if not keys:
            raise UserError(
                self.env._(
                    "No Interop encryption key is configured: set %(option)s in the "
                    "Odoo configuration file or the %(variable)s environment "
                    "variable.",
                    option=CONFIG_OPTION,
                    variable=ENV_VARIABLE,
                )
            )
        return keys

    @api.model
    def _current_key_id(self):
        return self._keys()[0][0]

    @api.model
    def _encrypt(self, plaintext):
        """Encrypt ``plaintext`` (str or bytes) with the current key."""
        if plaintext is None or plaintext is False:
            return None
        if isinstance(plaintext, str):
            plaintext = plaintext.encode()
        key_id, fernet = self._keys()[0]
        return f"{key_id}{SEPARATOR}{fernet.encrypt(plaintext).decode()}"

    @api.model
    def _decrypt_bytes(self, value):
        if not value:
            return None
        key_id, sep, token = value.partition(SEPARATOR)
        keys = dict(self._keys())
        if not sep or key_id not in keys:
            raise UserError(
                self.env._(
                    "This value was encrypted with key %(key_id)r, which is not "
                    "configured any more: add it back to %(option)s to read it.",
                    key_id=key_id,
                    option=CONFIG_OPTION,
                )
            )
        try:
            return keys[key_id].decrypt(token.encode())
        except InvalidToken:
            raise UserError(
                self.env._(
                    "This value cannot be decrypted with key %(key_id)r.", key_id=key_id
                )
            ) from None

    @api.model
    def _decrypt(self, value):
        """Decrypt a value stored by :meth:`_encrypt` to text."""
        data = self._decrypt_bytes(value)
        return None if data is None else data.decode()

    @api.model
    def _key_id_of(self, value):
        return value.partition(SEPARATOR)[0] if value else None

    @api.model
    def _encrypted_columns(self):
        """``{model name: [field names]}`` of every encrypted column of the registry."""
        columns = {}
        for name in self.env.registry.models:
            model = self.env[name]
            fnames = getattr(model, "_interop_encrypted_fields", None)
            if fnames and not model._abstract and not model._transient:
                columns[name] = list(fnames)
        return columns

    @api.model
    def _rotate(self, batch_size=1000):
        """Re-encrypt every encrypted value with the current key; return the count."""
        current = self._current_key_id()
        count = 0
        for model_name, fnames in self._encrypted_columns().items():
            Model = self.env[model_name].sudo().with_context(active_test=False)
            for fname in fnames:
                prefix = f"{current}{SEPARATOR}"
                domain = [(fname, "!=", False), "!", (fname, "=like", prefix + "%")]
                while True:
                    records = Model.search(domain, limit=batch_size)
                    if not records:
                        break
                    # a "<name>_enc" column may name its key in "<name>_key_id"
                    key_field = (
                        f"{fname[:-4]}_key_id" if fname.endswith("_enc") else None
                    )
                    field = Model._fields.get(key_field)
                    if not field or not field.store or field.compute:
                        key_field = None
                    for record in records:
                        plaintext = self._decrypt_bytes(record[fname])
                        vals = {fname: self._encrypt(plaintext)}
                        if key_field:
                            vals[key_field] = current
                        # raw column write: rotation changes no business value
                        record._write(vals)
                    count += len(records)
                    records.invalidate_recordset([fname])
        _logger.info("Interop key rotation: %s value(s) re-encrypted", count)
        return count
