# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import escape_psql

from ..errors import ProbableDuplicateParty

#: the advisory lock every creation of a responsible party takes (per company)
PARTY_LOCK_FIELD = "interop_responsible_party"


class ResPartner(models.Model):
    _inherit = "res.partner"

    # PHI: only billing users and PHI readers see it; duplicate detection needs it
    interop_birth_date = fields.Date(
        string="Birth Date",
        groups="account.group_account_invoice,interop.group_interop_phi",
        help="Birth date of a responsible party, as the scheduling platform sent it.",
    )

    # Responsible parties: every handler finds or creates them here

    @api.model
    def _interop_find_or_create_party(self, party, endpoint):
        """The contact of the responsible party ``party`` (a payload's
        ``responsible_party``) sent by ``endpoint``, found by its external id
        (``ref``), or created.

        A new contact goes through the checks every handler writing contacts goes
        through: the system of record (a field another system owns is refused, as
        the generic handler refuses it), then the probable-duplicate check (a party
        that looks like another contact is not created: a person decides). Creations
        are serialized per company (an advisory lock, then the check again as the
        database now stands): two jobs never create the same party twice, nor two
        look-alikes.
        """
        partner = self.search([("ref", "=", party["id"])], limit=1)
        if partner:
            return partner
        vals = self._interop_party_vals(party)
        self.env["interop.system.of.record"]._check_write(
            self._name,
            [fname for fname, value in vals.items() if value not in (None, False, "")],
            endpoint,
        )
        self._interop_lock_party_creation(endpoint.company_id)
        partner = self.search([("ref", "=", party["id"])], limit=1)
        if partner:
            return partner
        duplicates, reason = self._interop_probable_duplicates(party)
        if duplicates:
            raise ProbableDuplicateParty(
                self.env._(
                    "The responsible party %(ref)s looks like existing contact "
                    "#%(contact)s (%(reason)s): contacts are not merged automatically.",
                    ref=party["id"],
                    contact=duplicates[0].id,
                    reason=reason,
                ),
                suggested_action=self.env._(
                    "If it is the same person, set %(ref)s as the reference of the "
                    "existing contact; otherwise correct the contact that is wrong. "
                    "Then retry.",
                    ref=party["id"],
                ),
                records=duplicates,
            )
        return self.create(vals)

    @api.model
    def _interop_party_vals(self, party):
        address = party.get("address") or {}
        country = self.env["res.country"]
        if address.get("country"):
            country = country.search([("code", "=", address["country"].upper())])
        vals = {
            # the event type may keep the name in the log (PHI Copied to Records):
            # the contact is then known by its reference
            "name": party.get("name") or party["id"],
            "ref": party["id"],
            "email": party.get("email"),
            "phone": party.get("phone"),
            "street": address.get("street"),
            "city": address.get("city"),
            "zip": address.get("zip"),
            "country_id": country[:1].id,
            "vat": party.get("tax_id"),
            "interop_birth_date": party.get("birth_date"),
        }
        return {fname: value for fname, value in vals.items() if value}

    @api.model
    def _interop_lock_party_creation(self, company):
        """Serialize the creation of responsible parties in ``company``, in this
        transaction (``interop.handler.record._lock_match``): concurrent creators
        wait for each other, and one that began before another committed a party
        runs again in a new transaction (a transient fault), which sees that party
        (or its look-alike) and the checks above find it."""
        self.env["interop.handler.record"]._lock_match(
            self, PARTY_LOCK_FIELD, company.id or 0
        )

    @api.model
    def _interop_probable_duplicates(self, party):
        """(contacts, reason) that may be the same person as ``party``."""
        checks = []
        if party.get("email"):
            checks.append(
                (
                    [("email", "=ilike", escape_psql(party["email"].strip()))],
                    self.env._("same email"),
                )
            )
        if party.get("birth_date") and party.get("name"):
            checks.append(
                (
                    [
                        ("name", "=ilike", escape_psql(party["name"].strip())),
                        ("interop_birth_date", "=", party["birth_date"]),
                    ],
                    self.env._("same name and birth date"),
                )
            )
        if party.get("tax_id"):
            checks.append(
                ([("vat", "=", party["tax_id"].strip())], self.env._("same tax id"))
            )
        for domain, reason in checks:
            found = self.search(
                expression.AND([domain, [("ref", "!=", party["id"])]]), limit=5
            )
            if found:
                return found, reason
        return self.browse(), None
