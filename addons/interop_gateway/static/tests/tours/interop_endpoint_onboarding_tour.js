/** @odoo-module **/
// Nina onboards a partner system: she registers the endpoint, issues its inbound key
// (shown once), sets its signing secret and requests its activation, which drafts a
// change request she submits. Another approver approves it (the second tour).

import { registry } from "@web/core/registry";

// a step may wait on the server longer than the default 10 s on a loaded machine
const STEP_TIMEOUT = 30000;

registry.category("web_tour.tours").add("interop_endpoint_onboarding_tour", {
    url: "/odoo/action-interop.interop_endpoint_action/new",
    steps: () => [
        {
            content: "Name the partner system",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_field_widget[name='name'] input",
            run: "edit Northwind Lab Results",
        },
        {
            content: "Its code",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_field_widget[name='code'] input",
            run: "edit northwind-lab",
        },
        {
            content: "It sends to us",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_field_widget[name='direction'] select",
            run: 'select "inbound"',
        },
        {
            content: "In production",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_field_widget[name='environment'] select",
            run: 'select "production"',
        },
        {
            content: "Its business owner",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_field_widget[name='business_owner_id'] input",
            run: "edit Rachel",
        },
        {
            content: "Rachel Moreno",
            timeout: STEP_TIMEOUT,
            trigger: ".o-autocomplete--dropdown-item a:contains('Rachel Moreno')",
            run: "click",
        },
        {
            content: "Its technical owner",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_field_widget[name='technical_owner_id'] input",
            run: "edit Nina",
        },
        {
            content: "Nina Okafor",
            timeout: STEP_TIMEOUT,
            trigger: ".o-autocomplete--dropdown-item a:contains('Nina Okafor')",
            run: "click",
        },
        {
            content: "Save the endpoint",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved, as a draft",
            timeout: STEP_TIMEOUT,
            trigger: ".o_breadcrumb .active:contains('Northwind Lab Results')",
        },
        {
            content: "The gateway settings",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_notebook .nav-link[name='gateway']",
            run: "click",
        },
        {
            content: "Generate its inbound key",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view button[name='action_generate_gateway_api_key']",
            run: "click",
        },
        {
            content: "Name the key",
            timeout: STEP_TIMEOUT,
            trigger: ".modal .o_field_widget[name='name'] input",
            run: "edit Northwind production",
        },
        {
            content: "Generate",
            timeout: STEP_TIMEOUT,
            trigger: ".modal button[name='action_generate']",
            run: "click",
        },
        {
            content: "The key is shown, once: remember it to check it never shows again",
            timeout: STEP_TIMEOUT,
            trigger: ".modal .o_field_widget[name='key']:contains('iop_')",
            run() {
                const shown = document.querySelector(".modal .o_field_widget[name='key']");
                const key = (shown.innerText.match(/iop_[0-9a-f]+/) || [""])[0];
                if (key.length < 24) {
                    throw new Error(`The key shown is too short: ${key.length} characters`);
                }
                window.interopTourKey = key;
            },
        },
        {
            content: "Done",
            timeout: STEP_TIMEOUT,
            trigger: ".modal .modal-footer button:contains('Done')",
            run: "click",
        },
        {
            content: "The key is listed by its prefix, never in full again",
            timeout: STEP_TIMEOUT,
            trigger:
                "body:not(:has(.modal)) .o_field_widget[name='gateway_api_key_ids'] .o_data_row",
            run() {
                if (document.body.innerText.includes(window.interopTourKey)) {
                    throw new Error("The key is shown again after its dialog");
                }
            },
        },
        {
            content: "Set the signing secret",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view button[name='action_set_gateway_secret']",
            run: "click",
        },
        {
            content: "Type the secret agreed with the partner",
            timeout: STEP_TIMEOUT,
            trigger: ".modal .o_field_widget[name='secret'] input",
            run: "edit tour-signing-secret-2026-northwind",
        },
        {
            content: "Set it",
            timeout: STEP_TIMEOUT,
            trigger: ".modal button[name='action_apply']",
            run: "click",
        },
        {
            content: "The secret is set, and not shown",
            timeout: STEP_TIMEOUT,
            trigger:
                "body:not(:has(.modal)) .o_field_widget[name='gateway_hmac_secret_info']:contains('Set on')",
            run() {
                if (document.body.innerText.includes("tour-signing-secret-2026-northwind")) {
                    throw new Error("The signing secret is shown back");
                }
            },
        },
        {
            content: "Request its activation",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view button[name='action_activate']",
            run: "click",
        },
        {
            content: "The drafted change request opens, its reason filled in",
            timeout: STEP_TIMEOUT,
            trigger:
                ".o_form_view .o_field_widget[name='res_name']:contains('Northwind Lab Results')",
        },
        {
            content: "Submit it for approval",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view button[name='action_submit']",
            run: "click",
        },
        {
            content: "Submitted: another approver decides",
            timeout: STEP_TIMEOUT,
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current[data-value='submitted']",
        },
    ],
});

registry.category("web_tour.tours").add("interop_change_request_approval_tour", {
    // started on the form of the submitted change request
    steps: () => [
        {
            content: "Approve and apply",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view button[name='action_approve']",
            run: "click",
        },
        {
            content: "Confirm",
            timeout: STEP_TIMEOUT,
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Applied",
            timeout: STEP_TIMEOUT,
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current[data-value='applied']",
        },
    ],
});
