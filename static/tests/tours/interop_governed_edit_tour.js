/** @odoo-module **/
// Nina renames an endpoint in use: the save says a change request was drafted instead
// of applying it, shows the pending value, and leads to the request, which she submits.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("interop_governed_edit_tour", {
    // started on the form of an active endpoint
    steps: () => [
        {
            content: "The endpoint is in use: edits of its governed fields need approval",
            trigger: ".o_form_view .alert-info:contains('drafts a change request')",
        },
        {
            content: "Rename it",
            trigger: ".o_form_view .o_field_widget[name='name'] input",
            run: "edit MedSupply 3PL Logistics",
        },
        {
            content: "Save",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "The save says the change request was drafted",
            trigger: ".o_notification:contains('Change request drafted')",
        },
        {
            content: "The name in use is kept; the new one is shown as pending",
            trigger:
                ".o_form_view .alert-warning:contains('awaiting approval'):contains('MedSupply 3PL Logistics')",
        },
        {
            content: "Open the drafted change request from the notification",
            trigger: ".o_notification button:contains('Open the change request')",
            run: "click",
        },
        {
            content: "It is the rename, as a draft",
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current[data-value='draft']",
        },
        {
            content: "Say why",
            trigger: ".o_form_view .o_field_widget[name='reason'] textarea",
            run: "edit The 3PL renamed its service.",
        },
        {
            content: "Submit it for approval",
            trigger: ".o_form_view button[name='action_submit']",
            run: "click",
        },
        {
            content: "Submitted",
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current[data-value='submitted']",
        },
    ],
});
