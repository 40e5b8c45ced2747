/** @odoo-module **/
// Rachel retried more messages than are processed at once: the retry was queued, and
// she stays on the exception. When the jobs are through, the server's bus notification
// ("interop_retry_finished", see interop.message._notify_retry_finished) tells her how
// it went and the exception refreshes in place. The test server has no job runner: the
// tour settles the exception itself, then hands the notification to the service as the
// bus would.

import { registry } from "@web/core/registry";

const STEP_TIMEOUT = 30000;

function env() {
    return odoo.__WOWL_DEBUG__.root.env;
}

registry.category("web_tour.tours").add("interop_retry_refresh_tour", {
    steps: () => [
        {
            content: "The exception is still open on my screen",
            timeout: STEP_TIMEOUT,
            trigger:
                ".o_form_view .o_statusbar_status:has(.o_arrow_button_current[data-value='open'])",
            async run() {
                window.interopTourPage = "exception form";
                const resId = env().services.action.currentController.props.resId;
                // what the jobs' processing does to the exception, out of sight
                await env().services.orm.call("interop.exception", "action_resolve", [
                    [resId],
                ]);
                await env().services.interop_retry.onRetryFinished({
                    title: "Retry finished",
                    message: "every message went through; the exception is resolved.",
                    type: "success",
                    res_model: "interop.exception",
                    res_ids: [resId],
                });
            },
        },
        {
            content: "I am told the retry is through",
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
