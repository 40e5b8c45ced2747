# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Interop — Benchmark Fixtures",
    "summary": "Bench only: a plain Odoo route to compare the gateway with, and its "
    "endpoint, key and event type",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "website": "https://github.com/interop-suite/interop",
    "author": "Interop",
    "maintainers": ["interop-suite"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["interop_gateway"],
    "data": ["security/ir.model.access.csv"],
    "post_init_hook": "post_init_hook",
}
