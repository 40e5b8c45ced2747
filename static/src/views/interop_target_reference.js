/** @odoo-module **/
// The target of a mapping line: a reference whose model is the table's, and whose picker
// offers only the records the table allows (its "Targets Allowed" domain, read from the
// field named by the domain_field option). The server refuses any other target at save:
// this only keeps the picker from offering them.

import { registry } from "@web/core/registry";
import { Domain } from "@web/core/domain";
import { ReferenceField, referenceField } from "@web/views/fields/reference/reference_field";

export class InteropTargetReferenceField extends ReferenceField {
    static props = {
        ...ReferenceField.props,
        domainField: { type: String, optional: true },
    };

    get m2oProps() {
        const props = super.m2oProps;
        delete props.domainField;
        const text = this.props.domainField && this.props.record.data[this.props.domainField];
        if (text) {
            let allowed;
            try {
                allowed = new Domain(text).toList();
            } catch {
                allowed = null; // not a domain the client reads: the server checks it
            }
            if (allowed && allowed.length) {
                const own = props.domain;
                props.domain = () =>
                    Domain.and([allowed, (typeof own === "function" ? own() : own) || []]).toList();
            }
        }
        return props;
    }
}

export const interopTargetReferenceField = {
    ...referenceField,
    component: InteropTargetReferenceField,
    extractProps({ options }) {
        const props = referenceField.extractProps(...arguments);
        props.domainField = options.domain_field;
        return props;
    },
};

registry.category("fields").add("interop_target_reference", interopTargetReferenceField);
