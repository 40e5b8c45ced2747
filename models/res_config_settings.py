# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from .interop_change_request import BUSINESS_OWNER_APPROVES_PARAM
from .interop_endpoint import DATA_CLASSIFICATIONS, ENVIRONMENTS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    interop_database_environment = fields.Selection(
        ENVIRONMENTS,
        string="This Database Is",
        config_parameter="interop.database_environment",
        default="development",
        help="A database that is not production never calls production endpoints. "
        "A neutralized copy of production is set back to test.",
    )
    interop_default_data_classification = fields.Selection(
        DATA_CLASSIFICATIONS,
        string="Default Data Classification",
        config_parameter="interop.default_data_classification",
        default="confidential",
        help="Classification proposed for new endpoints.",
    )

    interop_retention_days_public = fields.Integer(
        string="Public Data (days)",
        config_parameter="interop.retention_days_public",
        default=365,
    )
    interop_retention_days_internal = fields.Integer(
        string="Internal Data (days)",
        config_parameter="interop.retention_days_internal",
        default=180,
    )
    interop_retention_days_confidential = fields.Integer(
        string="Confidential Data (days)",
        config_parameter="interop.retention_days_confidential",
        default=90,
    )
    interop_retention_days_phi = fields.Integer(
        string="PHI (days)", config_parameter="interop.retention_days_phi", default=30
    )
    interop_retention_row_grace_days = fields.Integer(
        string="Keep Pruned Rows (days)",
        config_parameter="interop.retention_row_grace_days",
        default=30,
        help="After its content is pruned, a message row stays this long, then goes.",
    )
    interop_change_approver_group_id = fields.Many2one(
        "res.groups",
        string="Change Approvers",
        config_parameter="interop.change_approver_group_id",
        help="Members approve interface change requests (never their own). "
        "Default: Interop Manager.",
    )
    interop_change_business_owner_approves = fields.Boolean(
        string="Business Owners Approve Their Objects' Changes",
        config_parameter=BUSINESS_OWNER_APPROVES_PARAM,
        help="The business owner of an endpoint (or event type) also approves the "
        "change requests on it, never their own.",
    )
