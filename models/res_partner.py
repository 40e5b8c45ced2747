# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models
from odoo.osv import expression
from odoo.tools import escape_psql

#: the advisory lock every creation of a contact by a message takes (per company)
PARTY_LOCK_FIELD = "interop_responsible_party"


class ResPartner(models.Model):
    """The one probable-duplicate check of every handler that creates a contact
    (a responsible party, a customer, a contact of the generic handler)."""

    _inherit = "res.partner"

    @api.model
    def _interop_duplicate_rules(self):
        """How a new contact may look like an existing one: a list of (field
        names, reason); a contact that has the same values for every field of a
        rule is a probable duplicate. Text is compared as written, whatever the
        case; modules add their own rules (e.g. name and birth date)."""
        return [
            (("email",), self.env._("same email")),
            (("vat",), self.env._("same tax id")),
            (("name", "zip"), self.env._("same name and postcode")),
        ]

    @api.model
    def _interop_probable_duplicates(self, vals, ref=None):
        """(contacts, reason): the contacts that may be the same as the contact
        ``vals`` would create (at most 5, by the first rule that finds any), and
        the reason in words; the contact of reference ``ref`` is the same one, not
        a duplicate. No contact: an empty recordset and None."""
        for fnames, reason in self._interop_duplicate_rules():
            domain = []
            for fname in fnames:
                value = vals.get(fname)
                if isinstance(value, str):
                    value = value.strip()
                if value in (None, False, ""):
                    domain = None
                    break
                if self._fields[fname].type in ("char", "text"):
                    # =ilike without patterns: "%" and "_" are letters in a name
                    domain.append((fname, "=ilike", escape_psql(value)))
                else:
                    domain.append((fname, "=", value))
            if not domain:
                continue
            if ref:
                domain = expression.AND([domain, [("ref", "!=", ref)]])
            found = self.search(domain, limit=5)
            if found:
                return found, reason
        return self.browse(), None

    @api.model
    def _interop_check_new_contact(self, vals, ref, endpoint):
        """What a handler checks before a message of ``endpoint`` creates the
        contact ``vals`` of reference ``ref``: the systems of record (a field
        another system owns is refused), then, creations serialized per company,
        the contact of ``ref`` as the database now stands (a concurrent job may
        have created it) and the look-alikes of ``vals``.

        Returns (the contact of ``ref`` or empty, the look-alikes, the reason).
        """
        self.env["interop.system.of.record"]._check_write(
            self._name, list(vals), endpoint
        )
        self._interop_lock_party_creation(endpoint.company_id)
        partner = self.search([("ref", "=", ref)], limit=1)
        if partner:
            return partner, self.browse(), None
        duplicates, reason = self._interop_probable_duplicates(vals, ref=ref)
        return self.browse(), duplicates, reason

    @api.model
    def _interop_lock_party_creation(self, company):
        """Serialize the creation of contacts by messages in ``company``, in this
        transaction (``interop.handler.record._lock_match``): concurrent creators
        wait for each other, and one that began before another committed a contact
        runs again in a new transaction (a transient fault), which sees that
        contact (or its look-alike), so the checks find it."""
        self.env["interop.handler.record"]._lock_match(
            self, PARTY_LOCK_FIELD, company.id or 0
        )
