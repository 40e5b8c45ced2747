# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from ..errors import ProbableDuplicateParty


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
        partner, duplicates, reason = self._interop_check_new_contact(
            vals, party["id"], endpoint
        )
        if partner:
            return partner
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
    def _interop_duplicate_rules(self):
        # a responsible party has a birth date: same name and birth date is a
        # look-alike too
        rules = super()._interop_duplicate_rules()
        rules.insert(
            2,
            (
                ("name", "interop_birth_date"),
                self.env._("same name and birth date"),
            ),
        )
        return rules
