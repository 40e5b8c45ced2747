# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Upgrade to original HL7 messages and FHIR bundles processed by their handler.

An accepted original was stored done, with its canonical child, in the request. It
is now stored queued and its processing stores the child: the event types of the
originals get their handler (their data is not updated: ``noupdate``), the bundles'
resources let through to it. An event type whose handler someone set is left as it
is. The originals already logged are done, with their children: nothing to do.
"""

from odoo import SUPERUSER_ID, api

HANDLERS = {
    "interop_standards.event_type_hl7_v2_message": ("interop.hl7.adapter", None),
    "interop_standards.event_type_fhir_bundle": (
        "interop.fhir.adapter",
        "entry.resource\nentry.fullUrl",
    ),
}


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, (model, copy_paths) in HANDLERS.items():
        event_type = env.ref(xmlid, raise_if_not_found=False)
        if not event_type or event_type.handler_model or event_type.handler_method:
            continue
        vals = {"handler_model": model, "handler_method": "_interop_handle_original"}
        if copy_paths and not event_type.phi_copy_paths:
            vals["phi_copy_paths"] = copy_paths
        event_type._interop_apply_write(vals)
