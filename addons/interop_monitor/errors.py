# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.addons.interop.errors import InteropProcessingError


class AlertFiring(InteropProcessingError):
    """An alert rule's condition holds: its owner looks into it.

    The summary names the rule only (not the value, which changes every minute): it
    is the exception's root cause, one exception while the rule fires.
    """

    category = "alert"
    severity = "high"


class HealthCheckFailing(InteropProcessingError):
    """An outbound endpoint's health check failed several times in a row.

    The summary names the endpoint only: one exception while the endpoint is down.
    """

    category = "alert"
    severity = "high"
