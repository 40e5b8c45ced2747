# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from odoo.addons.interop_gateway.errors import PayloadTooLarge, UnsupportedMediaType


class InteropGateway(models.AbstractModel):
    _inherit = "interop.gateway"

    def _accept_standard(self, endpoint_code, path, headers, read_body, length, types):
        """The gateway's checks for a body in a healthcare standard, in the order of
        :meth:`_accept`: the same key, endpoint, rate limit, size limit, signature
        (over ``path``) and state; only the media types differ (``types``).

        Returns ``(credential, endpoint profile, body bytes)``; refusals raise the
        gateway's errors, answered as its problems.
        """
        headers = {name.lower(): value for name, value in headers.items()}
        credential = self._authenticate(headers)
        endpoint = self._get_endpoint(credential, endpoint_code)
        self._check_rate_limit(endpoint, credential)
        body = self._read_standard_body(endpoint, headers, read_body, length, types)
        self._check_signature(
            endpoint,
            headers,
            body,
            path=path,
            idempotency_key=self._get_header_idempotency_key(headers),
        )
        self._check_open(endpoint)
        return credential, endpoint, body

    def _read_standard_body(self, endpoint, headers, read_body, length, types):
        """:meth:`_read_body` for the media ``types`` of a standard (UTF-8 text)."""
        content_type = (headers.get("content-type") or "").lower()
        mimetype, _sep, params = content_type.partition(";")
        charset = params.partition("charset=")[2].strip().strip('"')
        if mimetype.strip() not in types or charset not in ("", "utf-8"):
            raise UnsupportedMediaType(
                f"This resource accepts {', '.join(types)} (UTF-8)."
            )
        limit = endpoint.max_body_bytes
        too_large = PayloadTooLarge(
            f"The body is larger than this endpoint accepts ({limit} bytes)."
        )
        if length and length > limit:
            raise too_large
        body = read_body(limit + 1)
        if len(body) > limit:
            raise too_large
        return body
