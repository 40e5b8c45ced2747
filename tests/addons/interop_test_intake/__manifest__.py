# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Interop — Intake Test Module",
    "summary": "Test only: a module adding defaulted and computed message fields",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "website": "https://github.com/interop-suite/interop",
    "author": "Interop",
    "maintainers": ["interop-suite"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    # interop_standards: its one-statement inserts of many messages are intake too
    "depends": ["interop", "interop_standards"],
}
