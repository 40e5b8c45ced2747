# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Interop — Integration Governance",
    "summary": "Govern every integration of a healthcare organisation from inside Odoo",
    "version": "18.0.1.0.0",
    "category": "Productivity/Interop",
    "website": "https://github.com/interop-suite/interop",
    "author": "Interop",
    "maintainers": ["interop-suite"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "application": True,
    "depends": ["base", "mail", "queue_job"],
    "external_dependencies": {
        "python": ["cryptography", "fastjsonschema", "jsonschema"]
    },
    "data": [
        "security/interop_groups.xml",
        "security/ir.model.access.csv",
        "security/interop_security.xml",
        "data/ir_config_parameter_data.xml",
        "views/interop_team_views.xml",
        "views/interop_endpoint_views.xml",
        "views/res_config_settings_views.xml",
        "views/interop_mapping_table_views.xml",
        "views/interop_mapping_line_views.xml",
        "views/interop_menus.xml",
    ],
    "demo": [
        "demo/res_users_demo.xml",
        "demo/interop_team_demo.xml",
        "demo/interop_endpoint_demo.xml",
        "demo/interop_mapping_demo.xml",
    ],
}
