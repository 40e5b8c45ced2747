/** @odoo-module **/
// Nina (integration manager) and the rules in effect once active: an edit of a system
// of record in effect is drafted as a change request; an archived rule (a system of
// record, a routing rule, a timing rule) decides nothing until she asks for its
// activation, which another approver decides.

import { registry } from "@web/core/registry";

// a step may wait on the server longer than the default 10 s on a loaded machine
const STEP_TIMEOUT = 30000;

registry.category("web_tour.tours").add("interop_system_of_record_edit_tour", {
    // started on the form of a rule in effect
    steps: () => [
        {
            content: "The rule is in effect: edits of who owns what need approval",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .alert-info:contains('drafts a change')",
        },
        {
            content: "Say Odoo owns these fields instead of the CRM",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_field_widget[name='source'] select",
            run: "select \"odoo\"",
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
            content: "The owner in effect is kept; the new one is shown as pending",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .alert-warning:contains('awaiting approval'):contains('Odoo')",
        },
    ],
});

// a system of record, a routing rule, a timing rule: each starts archived
registry.category("web_tour.tours").add("interop_rule_activation_tour", {
    // started on the form of an archived rule
    steps: () => [
        {
            content: "An archived rule decides nothing",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .alert-info:contains('decides nothing')",
        },
        {
            content: "Ask for its activation",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view button[name='action_request_activation']",
            run: "click",
        },
        {
            content: "The drafted request opens",
            timeout: STEP_TIMEOUT,
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current[data-value='draft']",
        },
        {
            content: "Say why",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_field_widget[name='reason'] textarea",
            run: "edit Reviewed with the data owners.",
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
