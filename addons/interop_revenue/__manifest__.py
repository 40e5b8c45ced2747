# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Interop Revenue Cycle",
    "summary": "Bill completed visits and reconcile gateway payments, governed",
    "version": "18.0.1.0.0",
    "category": "Productivity/Interop",
    "website": "https://github.com/interop-suite/interop",
    "author": "Interop",
    "maintainers": ["interop-suite"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["interop", "interop_gateway", "interop_outbound", "account"],
    "data": [
        "security/ir.model.access.csv",
        "security/interop_revenue_security.xml",
        "data/ir_config_parameter_data.xml",
        "data/interop_event_type_data.xml",
        "data/ir_cron_data.xml",
        "views/interop_visit_views.xml",
        "views/interop_visit_payment_views.xml",
        "views/interop_endpoint_views.xml",
        "views/interop_revenue_menus.xml",
    ],
    "demo": [
        "demo/res_users_demo.xml",
        "demo/product_demo.xml",
        "demo/interop_mapping_demo.xml",
        "demo/interop_endpoint_demo.xml",
        "demo/interop_visit_demo.xml",
        "demo/interop_sync_demo.xml",
    ],
}
