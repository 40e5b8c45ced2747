# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo import api, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.interop.errors import (
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
