# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

#: owners are people of the organisation: never a portal or public user
OWNER_DOMAIN = "[('share', '=', False)]"


class InteropOwnedMixin(models.AbstractModel):
    """A record someone answers for: an owner, a user in the field the model names
    (``_interop_owner_field``), and an owning team whose lead stands in for a
    missing owner. The exceptions about the record go to them
    (``interop.exception._route``).

    Endpoints, event types, mapping tables and routing rules inherit it; each keeps
    its owner field's own name (``business_owner_id``, ``owner_id``, ``user_id``).
    """

    _name = "interop.owned.mixin"
    _description = "Owned Interop Record"
    #: the Many2one to res.users naming the owner
    _interop_owner_field = "user_id"

    team_id = fields.Many2one("interop.team", string="Owning Team", tracking=True)

    def _get_interop_owner(self):
        """(user, team) answering for this record: its owner, else the lead of its
        team; both empty when it names neither (or ``self`` is empty)."""
        if len(self) > 1:
            self.ensure_one()
        team = self.team_id
        return self[self._interop_owner_field] or team.lead_id, team
