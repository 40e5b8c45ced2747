# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""How each kind of credential signs an outbound request.

One ``requests.auth.AuthBase`` per kind, built by ``interop.credential._get_auth``
from the decrypted secret, used for one request and dropped: no secret is kept on
a model or logged.
"""

import hashlib
import hmac
import time

import requests

#: header carrying the signing time of an HMAC-signed request (seconds since epoch)
HMAC_TIMESTAMP_HEADER = "X-Interop-Timestamp"
#: header carrying ``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``
HMAC_SIGNATURE_HEADER = "X-Interop-Signature"


class HeaderTokenAuth(requests.auth.AuthBase):
    """A static key in a header of its own (API keys: ``X-API-Key: <key>``)."""

    def __init__(self, header, token):
        self.header = header
        self.token = token

    def __call__(self, request):
        request.headers[self.header] = self.token
        return request


class BearerTokenAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <token>`` (bearer tokens, OAuth2 access tokens)."""

    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class HmacSignatureAuth(requests.auth.AuthBase):
    """Signs the exact body sent, with the time, so that the remote can check both.

    The remote recomputes ``HMAC-SHA256(secret, "<timestamp>.<body>")``, compares
    it in constant time and refuses a timestamp outside its tolerance window.
    """

    def __init__(self, secret, key_id=None):
        self.secret = secret.encode() if isinstance(secret, str) else secret
        self.key_id = key_id

    def __call__(self, request):
        timestamp = str(int(time.time()))
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        request.headers[HMAC_TIMESTAMP_HEADER] = timestamp
        request.headers[HMAC_SIGNATURE_HEADER] = hmac_signature(
            self.secret, timestamp, body
        )
        if self.key_id:
            request.headers["X-Interop-Key-Id"] = self.key_id
        return request


def hmac_signature(secret, timestamp, body):
    """The signature value a remote expects for ``body`` sent at ``timestamp``."""
    secret = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(
        secret, str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"sha256={digest}"
