/** @odoo-module **/
// Rachel retries an exception that lists more messages than a request processes at
// once: the retry is queued for the jobs, and she stays on the exception. When the job
// runner has processed them, the server's bus notification ("interop_retry_finished",
// see interop.message._notify_retry_finished) reaches her browser over the websocket:
// it says how it went and the exception refreshes in place, without a reload. Nothing
// here settles the exception or hands a notification to the page: if none arrives,
// the last steps time out and the tour fails.

import { registry } from "@web/core/registry";

const STEP_TIMEOUT = 60000;

registry.category("web_tour.tours").add("interop_retry_refresh_tour", {
    steps: () => [
        {
            content: "The exception is open on my screen",
            timeout: STEP_TIMEOUT,
            trigger:
                ".o_form_view .o_statusbar_status:has(.o_arrow_button_current[data-value='open'])",
            run() {
                window.interopTourPage = "exception form";
            },
        },
        {
            content: "I press Retry",
            timeout: STEP_TIMEOUT,
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_retry']",
            run: "click",
        },
        {
            content: "I am told the retry was queued",
            timeout: STEP_TIMEOUT,
            trigger: ".o_notification:contains('Retry queued')",
        },
        {
            // The test's job runner may be through before this page has drawn the
            // in-progress state (it checks, in the database, that the exception was
            // in progress when it picked the jobs): either state is the page after the
            // click, never "open".
            content: "The exception waits for the jobs, or is already through them",
            timeout: STEP_TIMEOUT,
            trigger:
                ".o_form_view .o_statusbar_status:has(.o_arrow_button_current[data-value='in_progress'], .o_arrow_button_current[data-value='resolved'])",
        },
        {
            content: "The job runner processed them: I am told the retry is through",
            timeout: STEP_TIMEOUT,
            trigger: ".o_notification:contains('Retry finished')",
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
    ],
});
