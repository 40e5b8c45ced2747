# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from odoo.addons.interop.errors import BusinessRuleError, SystemOfRecordConflict


class InteropSync(models.Model):
    """A pull of a partner's product catalog (codes, names, prices) into Odoo's
    products, found by their internal reference; and the products a push may send.
    What the catalog may write is what the systems of record of products give its
    endpoint: a field Odoo or another system owns is refused, item by item.

    Kept apart from ``interop_sync.py`` (bank statements): each pull handler of
    the supply chain in a file of its own.
    """

    # a second extension of interop.sync in this module on purpose: one file per
    # pull handler (interop_sync.py holds the bank statements')
    _inherit = "interop.sync"  # pylint: disable=consider-merging-classes-inherited

    pull_handler = fields.Selection(
        selection_add=[("product_catalog", "Product Catalog")],
        default="product_catalog",
        ondelete={"product_catalog": "set null"},
    )

    @api.model
    def _get_syncable_models(self):
        return super()._get_syncable_models() + ("product.template", "product.product")

    def _pull_item_product_catalog(self, item):
        """Create or update the product of one catalog item; return what was done.

        An item is ``{"code", "name", "price", "currency"?, "type"?: "service" |
        "goods", "active"?}``; the product is found by its internal reference.
        """
        code = item.get("code")
        name = item.get("name")
        price = item.get("price")
        if not isinstance(code, str) or not code.strip() or not name:
            raise BusinessRuleError(
                self.env._("A catalog item has no code or no name.")
            )
        if isinstance(price, bool) or not isinstance(price, int | float) or price < 0:
            raise BusinessRuleError(
                self.env._("Catalog item %(code)s has no valid price.", code=code)
            )
        currency = self.endpoint_id.company_id.currency_id
        if item.get("currency") and item["currency"] != currency.name:
            raise BusinessRuleError(
                self.env._(
                    "Catalog item %(code)s is priced in %(currency)s, not in "
                    "%(company_currency)s.",
                    code=code,
                    currency=item["currency"],
                    company_currency=currency.name,
                )
            )
        vals = {
            "name": name,
            "list_price": price,
            "type": "service" if item.get("type", "service") == "service" else "consu",
            "active": bool(item.get("active", True)),
        }
        Product = (
            self.env["product.product"]
            .with_user(self.user_id)
            .with_context(active_test=False)
        )
        SystemOfRecord = self.env["interop.system.of.record"]
        product = Product.search([("default_code", "=", code.strip())], limit=1)
        if not product:
            vals["default_code"] = code.strip()
            # a catalog may create the products whose every field it owns
            SystemOfRecord._check_write(Product._name, list(vals), self.endpoint_id)
            Product.create(vals)
            return "created"
        changed = {
            fname: value
            for fname, value in vals.items()
            if product[fname] != value
            and not (fname == "list_price" and abs(product[fname] - value) < 1e-6)
        }
        if not changed:
            return "unchanged"
        try:
            # only what changes: a name Odoo owns and the catalog repeats is no
            # conflict
            SystemOfRecord._check_write(Product._name, list(changed), self.endpoint_id)
        except SystemOfRecordConflict as error:
            raise error.add_records(product) from None
        product.write(changed)
        return "updated"
