/** @odoo-module **/
// A small inline SVG chart of an endpoint's traffic per hour (a Json field of
// {counts: [...], errors: [...]}): Odoo 18 has no sparkline widget.

import { Component, xml } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

const WIDTH = 120;
const HEIGHT = 24;

export class InteropSparklineField extends Component {
    static template = xml`
        <svg t-att-width="width" t-att-height="height" class="o_interop_sparkline"
             t-att-viewBox="'0 0 ' + width + ' ' + height" role="img"
             t-att-aria-label="label">
            <title t-esc="label"/>
            <polyline t-att-points="points(series.counts)" fill="none"
                      stroke="currentColor" stroke-width="1.5"
                      class="o_interop_sparkline_count text-primary"/>
            <polyline t-if="hasErrors" t-att-points="points(series.errors)" fill="none"
                      stroke="currentColor" stroke-width="1.5"
                      class="o_interop_sparkline_errors text-danger"/>
        </svg>`;
    static props = { ...standardFieldProps };

    get width() {
        return WIDTH;
    }

    get height() {
        return HEIGHT;
    }

    get series() {
        const value = this.props.record.data[this.props.name] || {};
        return { counts: value.counts || [], errors: value.errors || [] };
    }

    get hasErrors() {
        return this.series.errors.some((v) => v > 0);
    }

    get label() {
        const total = this.series.counts.reduce((a, b) => a + b, 0);
        const errors = this.series.errors.reduce((a, b) => a + b, 0);
        return _t("%(total)s messages, %(errors)s failed, in the last 24 hours", {
            total,
            errors,
        });
    }

    points(values) {
        const top = Math.max(1, ...this.series.counts);
        const step = values.length > 1 ? WIDTH / (values.length - 1) : WIDTH;
        return values
            .map((v, i) => {
                const x = (i * step).toFixed(1);
                const y = (HEIGHT - 1 - (v / top) * (HEIGHT - 2)).toFixed(1);
                return `${x},${y}`;
            })
            .join(" ");
    }
}

export const interopSparklineField = {
    component: InteropSparklineField,
    displayName: _t("Sparkline"),
    supportedTypes: ["json"],
};

registry.category("fields").add("interop_sparkline", interopSparklineField);
