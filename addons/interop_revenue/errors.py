# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Processing failures of the revenue cycle that core errors do not name."""

from odoo.addons.interop.errors import ProbableDuplicate


class ProbableDuplicateParty(ProbableDuplicate):
    """An incoming responsible party looks like a contact Odoo already has.

    Contacts are never merged automatically: a person decides which one is right.
    """
