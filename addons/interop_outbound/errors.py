# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Failures of outbound calls that a person must act on.

Both are ``InteropProcessingError``: the message log turns them into an exception
routed to ``owner`` (the endpoint's technical owner for everything about
connectivity and credentials). Transient faults (connection errors, timeouts,
5xx, 429) are retried by the delivery job before they ever become one.
"""

from odoo.addons.interop.errors import InteropProcessingError, TransportError


class CredentialError(TransportError):
    """A credential is missing, revoked, or its access token cannot be obtained."""


class RemoteRejectionError(InteropProcessingError):
    """The remote system answered and refused the content (a 4xx other than auth)."""

    category = "business_rule"
