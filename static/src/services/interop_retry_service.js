/** @odoo-module **/
// A Retry of more messages than the request processes at once is queued: when the jobs
// are through, the server tells the person who pressed it (bus notification
// "interop_retry_finished"). Say how it went, and refresh the exception or message
// screen they are on, so that it shows the outcome without a reload.

import { registry } from "@web/core/registry";

/** the screens a finished retry changes */
export const RETRY_MODELS = ["interop.exception", "interop.message"];

export const interopRetryService = {
    dependencies: ["action", "bus_service", "notification"],
    start(env, { action, bus_service, notification }) {
        async function onRetryFinished({ title, message, type }) {
            notification.add(message, { title, type });
            const controller = action.currentController;
            const resModel = controller?.props?.resModel;
            if (RETRY_MODELS.includes(resModel)) {
                await action.doAction({ type: "ir.actions.client", tag: "soft_reload" });
            }
        }
        bus_service.subscribe("interop_retry_finished", onRetryFinished);
        return { onRetryFinished };
    },
};

registry.category("services").add("interop_retry", interopRetryService);
