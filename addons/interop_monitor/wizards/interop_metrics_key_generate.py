# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class InteropMetricsKeyGenerate(models.TransientModel):
    """Generate a metrics key for the current company; it is shown once."""

    _name = "interop.metrics.key.generate"
    _description = "Generate a Metrics Key"

    name = fields.Char(
        string="Description",
        required=True,
        help="Who scrapes with it, e.g. 'Prometheus production'.",
    )

    def action_generate(self):
        self.ensure_one()
        _record, key = self.env["interop.metrics.key"]._generate(self.name)
        self.unlink()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Metrics Key Ready"),
            "res_model": "interop.metrics.key.show",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_key": key},
        }
