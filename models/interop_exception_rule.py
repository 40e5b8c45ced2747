# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .interop_owned_mixin import OWNER_DOMAIN


class InteropExceptionRule(models.Model):
    """Who works which exceptions: the first matching rule (by sequence) wins."""

    _name = "interop.exception.rule"
    _description = "Exception Routing Rule"
    _inherit = ["mail.thread", "interop.governed.mixin", "interop.owned.mixin"]
    # active too: archiving a rule in use reroutes exceptions as surely as editing it,
    # and an archived rule is edited freely, then restored
    _interop_governed_activation = True
    _interop_governed_fields = (
        "active",
        "sequence",
        "company_id",
        "endpoint_id",
        "event_type_id",
        "category_id",
        "user_id",
        "team_id",
    )
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10, tracking=True)
    active = fields.Boolean(default=True, copy=False, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        help="Leave empty to apply the rule in every company.",
        tracking=True,
    )
    endpoint_id = fields.Many2one(
        "interop.endpoint", check_company=True, tracking=True, help="Any when empty."
    )
    event_type_id = fields.Many2one(
        "interop.event.type", tracking=True, help="Any when empty."
    )
    category_id = fields.Many2one(
        "interop.exception.category", tracking=True, help="Any when empty."
    )
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        tracking=True,
        domain=OWNER_DOMAIN,
    )

    @api.constrains("user_id", "team_id")
    def _check_owner(self):
        for rule in self:
            if not rule.user_id and not rule.team_id:
                raise ValidationError(
                    self.env._(
                        "Routing rule %(rule)s must name an owner or a team.",
                        rule=rule.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        if any(rule.active for rule in self):
            raise UserError(
                self.env._(
                    "A routing rule in use is archived through a change request "
                    "before it is deleted, so that rerouting exceptions is approved."
                )
            )

    def _interop_is_change_controlled(self):
        self.ensure_one()
        return self.active

    def action_request_activation(self):
        """Request Activation: the change request that puts this rule in effect."""
        return self._interop_request_activation()

    @api.model
    def _match(self, endpoint, event_type, category, company):
        """The first active rule matching the exception's context, if any."""
        domain = [
            ("company_id", "in", (False, company.id)),
            ("endpoint_id", "in", (False, endpoint.id)),
            ("event_type_id", "in", (False, event_type.id)),
            ("category_id", "in", (False, category.id)),
        ]
        return self.sudo().search(domain, limit=1)
