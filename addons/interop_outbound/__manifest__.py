# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Interop — Outbound Delivery and Syncs",
    "summary": "Credential vault, outbound delivery with retries and a circuit "
    "breaker, batch syncs",
    "version": "18.0.1.5.0",
    "category": "Productivity/Interop",
    "website": "https://github.com/interop-suite/interop",
    "author": "Interop",
    "maintainers": ["interop-suite"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["interop"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/interop_outbound_security.xml",
        "data/res_users_data.xml",
        "data/mail_activity_type_data.xml",
        "data/queue_job_data.xml",
        "data/ir_cron_data.xml",
        "views/interop_credential_views.xml",
        "wizards/interop_credential_set_views.xml",
        "views/interop_breaker_transition_views.xml",
        "views/interop_endpoint_views.xml",
        "views/interop_message_views.xml",
        "views/interop_sync_views.xml",
        "views/interop_sync_run_views.xml",
        "views/interop_outbound_menus.xml",
    ],
    "demo": [
        "demo/interop_credential_demo.xml",
        "demo/interop_sync_demo.xml",
        "demo/interop_breaker_transition_demo.xml",
    ],
}
