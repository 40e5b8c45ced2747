# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import Form, tagged

from .common import InteropCase


@tagged("post_install", "-at_install")
class TestSettings(InteropCase):
    def test_settings_store_environment_and_default_classification(self):
        form = Form(self.env["res.config.settings"])
        self.assertEqual(form.interop_database_environment, "development")
        form.interop_database_environment = "staging"
        form.interop_default_data_classification = "phi"
        form.save().execute()
        params = self.env["ir.config_parameter"]
        self.assertEqual(params.get_param("interop.database_environment"), "staging")
        self.assertEqual(params.get_param("interop.default_data_classification"), "phi")
        self.assertEqual(
            self.env["interop.endpoint"].default_get(["data_classification"]),
            {"data_classification": "phi"},
        )
