# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class InteropTeam(models.Model):
    """A team owning integrations: its lead receives escalations."""

    _name = "interop.team"
    _description = "Integration Owning Team"
    _inherit = ["mail.thread"]
    _order = "name"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    lead_id = fields.Many2one(
        "res.users",
        string="Team Lead",
        tracking=True,
        check_company=True,
        help="Receives escalations when an exception of the team passes its deadline.",
    )
    member_ids = fields.Many2many(
        "res.users",
        "interop_team_member_rel",
        "team_id",
        "user_id",
        string="Members",
        check_company=True,
    )
    endpoint_ids = fields.One2many("interop.endpoint", "team_id", string="Endpoints")
    description = fields.Text()

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "A team with this name already exists in this company.",
        ),
    ]
