# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

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
