/** @odoo-module **/
// Rachel works her queue: the unmapped country code MEX of the demo, Fix Mapping with the
// code prefilled, Retry, and the exception shows resolved in the same page (no reload).

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// a step may wait on the server longer than the default 10 s on a loaded machine
const STEP_TIMEOUT = 30000;

registry.category("web_tour.tours").add("interop_exception_retry_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("interop.interop_menu_root", "Open Interop"),
        {
            content: "Open the unmapped country code of my queue",
            timeout: STEP_TIMEOUT,
            trigger: ".o_data_row .o_data_cell[name='name']:contains('MEX')",
            run: "click",
        },
        {
            content: "Remember this page: a reload would forget it",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view button[name='action_open_related']",
            run() {
                window.interopTourPage = "exception form";
            },
        },
        {
            content: "Fix Mapping",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view button[name='action_open_related']",
            run: "click",
        },
        {
            content: "A new line opens with the unmapped code filled in",
            timeout: STEP_TIMEOUT,
            trigger: ".modal .o_field_widget[name='external_code'] input:value(MEX)",
        },
        {
            content: "Pick the country the code stands for",
            timeout: STEP_TIMEOUT,
            trigger: ".modal .o_field_widget[name='target_ref'] input",
            run: "edit Mexico",
        },
        {
            content: "Mexico",
            timeout: STEP_TIMEOUT,
            trigger: ".o-autocomplete--dropdown-item a:contains('Mexico')",
            run: "click",
        },
        {
            content: "Save the line",
            timeout: STEP_TIMEOUT,
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "Back on the exception, Retry",
            timeout: STEP_TIMEOUT,
            trigger: "body:not(:has(.modal)) .o_form_view button[name='action_retry']",
            run: "click",
        },
        {
            content: "I am told how the retry went",
            timeout: STEP_TIMEOUT,
            trigger: ".o_notification:contains('Retry succeeded')",
        },
        {
            content: "The exception shows resolved, on the same page",
            timeout: STEP_TIMEOUT,
            trigger:
                ".o_form_view .o_statusbar_status:has(.o_arrow_button_current[data-value='resolved'])",
            run() {
                if (window.interopTourPage !== "exception form") {
                    throw new Error("The page was reloaded to show the outcome");
                }
            },
        },
        {
            content: "Nothing left to retry",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_form_statusbar:not(:has(button[name='action_retry']))",
        },
    ],
});
