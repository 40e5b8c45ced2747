# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo import api, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.interop.errors import (
    BusinessRuleError,
    InteropProcessingError,
    TransportError,
)


class InteropSyncPull(models.AbstractModel):
    """A pull: the remote resource read page by page after the watermark (cursor
    pagination), each page logged as an outbound message, each item given to the
    sync's pull handler (``_pull_item_<handler>``) in a savepoint of its own.
    Inherited by ``interop.sync``."""

    _name = "interop.sync.pull"
    _description = "Batch Sync Pull"

    def _pull_page(self, run):
        """Read the page after the watermark; log the call. Returns (message, page)."""
        params = {"limit": self.chunk_size}
        if self.watermark:
            params["cursor"] = self.watermark
        message = (
            self.env["interop.message"]
            .sudo()
            ._log_message(
                self.endpoint_id,
                None,
                params,
                direction="outbound",
                http_method="GET",
                outbound_path=self.resource_path,
                sync_run_id=run.id,
                business_key=f"{self.name}: {self.watermark or 'start'}"[:200],
            )
        )
        credential = (
            self.sudo().credential_id or self.endpoint_id.sudo().outbound_credential_id
        )
        result = message._call_now(credential, params=params)
        if not result.ok:
            raise result.error
        try:
            page = json.loads(result.body)
            if not isinstance(page.get("items"), list):
                raise TypeError("no list of items")
        except (ValueError, TypeError, AttributeError):
            raise TransportError(
                self.env._(
                    "%(endpoint)s answered the sync %(sync)s with a page that is not "
                    "the expected JSON (items, next_cursor, has_more).",
                    endpoint=self.endpoint_id.name,
                    sync=self.name,
                ),
                suggested_action=self.env._(
                    "Check the resource path and the API version with the partner, "
                    "then run the sync again."
                ),
            ) from None
        return message, page

    def _pull_process_page(self, run, message, page):
        items = page["items"]
        if page.get("total") and not run.total_count:
            run.total_count = run.done_count + int(page["total"])
        handler = getattr(self, f"_pull_item_{self.pull_handler}")
        counts = {"created": 0, "updated": 0, "failed": 0}
        for index, item in enumerate(items):
            label = self._item_label(item, index)
            try:
                with self.env.cr.savepoint():
                    outcome = handler(item)
            except (
                InteropProcessingError,
                UserError,
                ValidationError,
                AccessError,
                ValueError,
                TypeError,
                KeyError,
            ) as error:
                self._record_failure(run, error, label, message=message)
                counts["failed"] += 1
            else:
                if outcome in counts:
                    counts[outcome] += 1
        run._add_counts(read=len(items), **counts)
        cursor = page.get("next_cursor")
        if cursor:
            self._advance_watermark(str(cursor))
        return bool(page.get("has_more")) and bool(cursor) and bool(items)

    @api.model
    def _item_label(self, item, index):
        code = item.get("code") if isinstance(item, dict) else None
        return self.env._("item %(code)s", code=code or f"#{index + 1}")

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
        product = Product.search([("default_code", "=", code.strip())], limit=1)
        if not product:
            Product.create(dict(vals, default_code=code.strip()))
            return "created"
        changed = {
            fname: value
            for fname, value in vals.items()
            if product[fname] != value
            and not (fname == "list_price" and abs(product[fname] - value) < 1e-6)
        }
        if not changed:
            return "unchanged"
        product.write(changed)
        return "updated"
