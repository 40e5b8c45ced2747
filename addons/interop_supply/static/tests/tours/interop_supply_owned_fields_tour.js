/** @odoo-module **/
// Nina opens the system of record Odoo keeps for products: its Owned Fields picker
// offers the fields a product keeps in its template (the sales price), which the
// catalog's rule beside it may own.

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("interop_supply_owned_fields_tour", {
    steps: () => [
        {
            content: "Look for the sales price among the fields it may own",
            trigger: ".o_form_view .o_field_widget[name='field_ids'] input",
            run: "edit Sales Price",
        },
        {
            content: "The product's sales price (kept in its template) is offered",
            trigger: ".o-autocomplete--dropdown-item a:contains('Sales Price')",
        },
    ],
});
