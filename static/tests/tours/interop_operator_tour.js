/** @odoo-module **/
// An operator's morning: the exception queue, an unmapped code in words, its message with
// protected values masked and its attempts (who asked, whose rights it ran with). Runs on demo data (the CRM update with country code MEX).

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("interop_operator_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("interop.interop_menu_root", "Open Interop"),
        {
            content: "My open exceptions are listed first",
            trigger: ".o_facet_value:contains('My Exceptions')",
        },
        {
            content: "Open the unmapped country code",
            trigger: ".o_data_row .o_data_cell[name='name']:contains('MEX')",
            run: "click",
        },
        {
            content: "The exception says what happened, in words",
            trigger: ".o_field_widget[name='description']:contains('has no mapping')",
        },
        {
            content: "and what to do",
            trigger: ".o_field_widget[name='suggested_action']:contains('mapping line')",
        },
        {
            content: "Fix Mapping and Retry are offered",
            trigger: "button[name='action_open_related'] + button[name='action_retry']",
        },
        {
            content: "Open the failed message",
            trigger: "button[name='action_open_message']",
            run: "click",
        },
        {
            content: "Protected values are masked for this operator",
            trigger: ".alert-info:contains('Protected values are masked')",
        },
        {
            content: "The business key is shown",
            trigger: ".o_field_widget[name='business_key']:contains('RP-1002')",
        },
        {
            content: "Its attempts",
            trigger: ".o_notebook .nav-link[name='attempts']",
            run: "click",
        },
        {
            content:
                "Each attempt names who asked for it and whose rights it ran with; a " +
                "message received has no HTTP status or latency to show",
            trigger:
                ".o_field_widget[name='attempt_ids'] thead" +
                ":has(th[data-name='user_id']):has(th[data-name='ran_as_id'])" +
                ":not(:has(th[data-name='http_status'])):not(:has(th[data-name='latency_ms']))",
        },
    ],
});
