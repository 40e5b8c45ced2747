/** @odoo-module **/
// On the form (or list row) of a change-controlled record: when a save drafts a change
// request instead of applying the edit, say so at once, with a button to the request.

import { Component, xml } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useRecordObserver } from "@web/model/relational_model/utils";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

export class InteropChangeNotice extends Component {
    static template = xml``;
    static props = { ...standardWidgetProps };

    setup() {
        this.action = useService("action");
        this.notification = useService("notification");
        this.orm = useService("orm");
        let seen = null;
        useRecordObserver((record) => {
            const count = record.data.interop_pending_change_count || 0;
            if (seen && seen.resId === record.resId && count > seen.count) {
                this.notifyDrafted(record);
            }
            seen = { resId: record.resId, count };
        });
    }

    async openDrafted(record) {
        const [requestId] = await this.orm.search(
            "interop.change.request",
            [
                ["res_model", "=", record.resModel],
                ["res_id", "=", record.resId],
                ["state", "in", ["draft", "submitted"]],
            ],
            { order: "id desc", limit: 1 }
        );
        if (requestId) {
            await this.action.doAction({
                type: "ir.actions.act_window",
                res_model: "interop.change.request",
                res_id: requestId,
                views: [[false, "form"]],
            });
        }
    }

    notifyDrafted(record) {
        const close = this.notification.add(
            _t(
                "Saved as a change request, not applied: submit it for approval; it " +
                    "applies once another approver approves it."
            ),
            {
                title: _t("Change request drafted"),
                type: "warning",
                sticky: true,
                buttons: [
                    {
                        name: _t("Open the change request"),
                        primary: true,
                        onClick: () => {
                            close();
                            this.openDrafted(record);
                        },
                    },
                ],
            }
        );
    }
}

registry.category("view_widgets").add("interop_change_notice", {
    component: InteropChangeNotice,
    fieldDependencies: [{ name: "interop_pending_change_count", type: "integer" }],
});
