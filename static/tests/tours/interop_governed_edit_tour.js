/** @odoo-module **/
// Nina renames an endpoint in use: the save says a change request was drafted instead
// of applying it, shows the pending value, and leads to the request, which she submits.

import { registry } from "@web/core/registry";

// a step may wait on the server longer than the default 10 s on a loaded machine
const STEP_TIMEOUT = 30000;

registry.category("web_tour.tours").add("interop_governed_edit_tour", {
    // started on the form of an active endpoint
    steps: () => [
        {
            content: "The endpoint is in use: edits of its governed fields need approval",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .alert-info:contains('drafts a change request')",
        },
        {
            content: "Rename it",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_field_widget[name='name'] input",
            run: "edit MedSupply 3PL Logistics",
        },
        {
            content: "Save",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "The save says the change request was drafted",
            timeout: STEP_TIMEOUT,
            trigger: ".o_notification:contains('Change request drafted')",
        },
        {
            content: "The name in use is kept; the new one is shown as pending",
            timeout: STEP_TIMEOUT,
            trigger:
                ".o_form_view .alert-warning:contains('awaiting approval'):contains('MedSupply 3PL Logistics')",
        },
        {
            content: "Open the drafted change request from the notification",
            timeout: STEP_TIMEOUT,
            trigger: ".o_notification button:contains('Open the change request')",
            run: "click",
        },
        {
            content: "It is the rename, as a draft",
            timeout: STEP_TIMEOUT,
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current[data-value='draft']",
        },
        {
            content: "Say why",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_field_widget[name='reason'] textarea",
            run: "edit The 3PL renamed its service.",
        },
        {
            content: "Submit it for approval",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view button[name='action_submit']",
            run: "click",
        },
        {
            content: "Submitted",
            timeout: STEP_TIMEOUT,
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current[data-value='submitted']",
        },
    ],
});
