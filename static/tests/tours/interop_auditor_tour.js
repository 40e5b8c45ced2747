/** @odoo-module **/
// The auditor reads and exports the audit trail, and finds no button to act on what he
// audits (started on an exception, a change request and an endpoint by the test).

import { registry } from "@web/core/registry";

// a step may wait on the server longer than the default 10 s on a loaded machine
const STEP_TIMEOUT = 30000;

registry.category("web_tour.tours").add("interop_audit_export_tour", {
    url: "/odoo/action-interop.interop_audit_entry_action",
    steps: () => [
        {
            content: "The audit trail lists its entries",
            timeout: STEP_TIMEOUT,
            trigger: ".o_list_view .o_data_row .o_data_cell[name='summary']",
        },
        {
            content: "Select the entries of the page",
            timeout: STEP_TIMEOUT,
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Actions",
            timeout: STEP_TIMEOUT,
            trigger: ".o_cp_action_menus .dropdown-toggle",
            run: "click",
        },
        {
            content: "Export",
            timeout: STEP_TIMEOUT,
            trigger: ".o-dropdown--menu .dropdown-item:contains('Export')",
            run: "click",
        },
        {
            content: "The fields to export are listed",
            timeout: STEP_TIMEOUT,
            trigger: ".o_export_data_dialog .o_export_field",
        },
        {
            content: "Export them",
            timeout: STEP_TIMEOUT,
            trigger: ".o_export_data_dialog .o_select_button:enabled",
            run: "click",
        },
        {
            content: "The file was produced: close the dialog",
            timeout: STEP_TIMEOUT,
            trigger: ".o_export_data_dialog .o_select_button:enabled",
            run() {
                document.querySelector(".o_export_data_dialog .o_form_button_cancel").click();
            },
        },
        {
            content: "Back on the trail",
            timeout: STEP_TIMEOUT,
            trigger: "body:not(:has(.modal)) .o_list_view .o_data_row",
        },
    ],
});

registry.category("web_tour.tours").add("interop_read_only_form_tour", {
    // started on the form of the record to check
    steps: () => [
        {
            content: "The form is shown",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_form_statusbar .o_statusbar_status",
        },
        {
            content: "with no button to act on the record",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_form_statusbar:not(:has(.o_statusbar_buttons button))",
        },
    ],
});
