# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Processing failures of the supply flows that core errors do not name."""

from odoo.addons.interop.errors import BusinessRuleError, ProbableDuplicate


class ProbableDuplicateCustomer(ProbableDuplicate):
    """An incoming customer looks like a contact another system already gave Odoo.

    Contacts are never merged, and no second contact is created: a person decides.
    """


class StockShortage(BusinessRuleError):
    """The mapped warehouse cannot reserve every line: no silent backorder."""


class BankLineUnmatched(BusinessRuleError):
    """A bank statement line matches no open invoice, or more than one."""
