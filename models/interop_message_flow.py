# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One business flow, one correlation id.

A message derived from another (the billing status sent back for a completion, a
message a module sends because of one it received) carries its parent's correlation
id and links its parent; a message that turns out to belong to a flow already under
way (a payment of a visit billed before) joins it. One search by correlation id
shows the whole flow: completion in, invoice, payment, status out.
"""

from odoo import models

#: how deep a flow's tree is followed when a message joins it
MAX_FLOW_DEPTH = 20


class InteropMessage(models.Model):
    _inherit = "interop.message"

    def _derived_vals(self):
        """Values of a message derived from this one: its correlation id, and this
        message as its parent."""
        self.ensure_one()
        message = self.sudo()
        return {"correlation_id": message.correlation_id, "parent_id": message.id}

    def _join_flow(self, parent):
        """Make this message (and what derives from it) part of the flow of
        ``parent``: same correlation id, ``parent`` as its parent.

        For a message that is not derived from another but belongs to the same
        business flow (a payment of the visit another message billed). A message
        already in that flow, or with a parent of its own, is left as it is.
        """
        self.ensure_one()
        message, parent = self.sudo(), parent.sudo()
        if not parent or parent == message or message.parent_id:
            return False
        if message.correlation_id == parent.correlation_id:
            return False
        ancestor, depth = parent, 0
        while ancestor and depth < MAX_FLOW_DEPTH:
            if ancestor == message:
                return False  # parent derives from this message: no cycle
            ancestor, depth = ancestor.parent_id, depth + 1
        old = message.correlation_id
        tree, level, depth = message, message.child_ids, 0
        while level and depth < MAX_FLOW_DEPTH:
            tree |= level
            level, depth = level.child_ids - tree, depth + 1
        tree.filtered(lambda m: m.correlation_id == old).write(
            {"correlation_id": parent.correlation_id}
        )
        message.write({"parent_id": parent.id})
        return True

    def action_view_flow(self):
        """Every message of this message's business flow (its correlation id)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "interop.interop_message_action"
        )
        action.update(
            domain=[("correlation_id", "=", self.correlation_id)],
            context={"create": False},
            name=self.env._("Flow %(correlation)s", correlation=self.correlation_id),
        )
        return action
