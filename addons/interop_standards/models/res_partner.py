# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def _interop_handle_party_updated(self, message, payload):
        """party.updated (HL7 ADT^A08): the responsible party's new details on its
        contact, found by its reference; a party never seen before is created as
        the revenue flow creates it (a probable duplicate goes to a person). A
        field another system owns is refused, as on creation."""
        party = payload["party"]
        partner = self.search([("ref", "=", party["id"])], limit=1)
        if not partner:
            return self.env["interop.visit"]._find_or_create_party(party)
        address = party.get("address") or {}
        vals = {
            "name": party.get("name"),
            "email": party.get("email"),
            "phone": party.get("phone"),
            "street": address.get("street"),
            "city": address.get("city"),
            "zip": address.get("zip"),
            "interop_birth_date": party.get("birth_date"),
        }
        if address.get("country"):
            vals["country_id"] = (
                self.env["res.country"]
                .search([("code", "=", address["country"].upper())], limit=1)
                .id
            )
        # only what the message carries: an absent detail is kept
        vals = {key: value for key, value in vals.items() if value}
        # the check every handler writing contacts goes through: a field another
        # system owns is refused, never overwritten
        self.env["interop.system.of.record"]._check_write(
            self._name, list(vals), message.endpoint_id
        )
        partner.write(vals)
        return partner
