# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Interop — Healthcare Standards",
    "summary": "HL7 v2, FHIR R4B and X12 835 adapters into the governed canonical flow",
    "version": "18.0.1.1.0",
    "category": "Productivity/Interop",
    "website": "https://github.com/interop-suite/interop",
    "author": "Interop",
    "maintainers": ["interop-suite"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["interop_gateway", "interop_revenue"],
    "external_dependencies": {"python": ["hl7", "pyx12", "fhir.resources"]},
    "data": [
        "security/ir.model.access.csv",
        "security/interop_standards_security.xml",
        "data/interop_event_type_data.xml",
        "views/interop_appointment_views.xml",
        "views/interop_remittance_views.xml",
        "views/interop_message_views.xml",
        "wizards/interop_remittance_import_views.xml",
        "views/interop_standards_menus.xml",
    ],
    "demo": [
        "demo/interop_standards_demo.xml",
    ],
}
