# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class InteropMetricsKeyShow(models.AbstractModel):
    """Shows a new metrics key once. Abstract: the key is never stored."""

    _name = "interop.metrics.key.show"
    _description = "Show a New Metrics Key"

    # the id field lets the form's onchange return the key given in the context
    id = fields.Id()
    key = fields.Char(readonly=True)
