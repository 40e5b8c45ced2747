# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Interop — Inbound Gateway",
    "summary": "Authenticated, signed, rate-limited JSON gateway into the message log",
    "version": "18.0.1.0.0",
    "category": "Productivity/Interop",
    "website": "https://github.com/interop-suite/interop",
    "author": "Interop",
    "maintainers": ["interop-suite"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["interop"],
    "post_load": "post_load",
    "data": [
        "security/ir.model.access.csv",
        "security/interop_gateway_security.xml",
        "views/interop_api_key_views.xml",
        "views/interop_endpoint_views.xml",
        "wizards/interop_api_key_generate_views.xml",
        "wizards/interop_gateway_secret_set_views.xml",
        "views/interop_gateway_menus.xml",
    ],
    "assets": {
        "web.assets_tests": ["interop_gateway/static/tests/tours/*.js"],
    },
    "demo": [
        "demo/interop_event_type_demo.xml",
        "demo/interop_gateway_demo.xml",
    ],
}
