/** @odoo-module **/
// Nina maps a service code: the target picker of the Service Codes table offers the
// services the table allows, never the desks and cabinets of the catalog.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("interop_revenue_target_picker_tour", {
    steps: () => [
        {
            content: "The Service Codes table and its mappings",
            trigger: ".o_form_view .o_field_widget[name='line_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Look for the MRI service",
            trigger: ".o_selected_row .o_field_widget[name='target_ref'] input",
            run: "edit MRI Brain",
        },
        {
            // first a search that finds something: the new row has settled and the
            // picker answers before a search that finds nothing is judged (with the
            // desk searched first, the tour failed once in many runs on a busy machine)
            content: "The service is offered",
            trigger: ".o-autocomplete--dropdown-item a:contains('MRI Brain without Contrast')",
        },
        {
            content: "Look for a desk as the target of the new code",
            trigger: ".o_selected_row .o_field_widget[name='target_ref'] input",
            run: "edit Desk",
        },
        {
            content: "No desk is offered: the table allows services only",
            trigger: ".o-autocomplete--dropdown-menu .o_m2o_no_result",
        },
        {
            content: "Leave the table as it was",
            trigger: ".o_form_button_cancel",
            run: "click",
        },
        {
            content: "The new line is discarded",
            trigger: ".o_field_widget[name='line_ids']:not(:has(.o_selected_row))",
        },
    ],
});
