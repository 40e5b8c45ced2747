# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The README's screenshots, taken from the demo in Chromium by every test run.

They are written to ``INTEROP_SCREENSHOTS_DIR`` (``make test`` sets it to its build
folder); ``make screenshots`` copies them into ``readme/images/``.
"""

import base64
import io
import os
import pathlib
import time

from PIL import Image

import odoo
from odoo.http import root
from odoo.tests import HttpCase, tagged
from odoo.tests.common import TEST_CURSOR_COOKIE_NAME, ChromeBrowser, get_db_name

#: the largest screenshot we keep in the repository
MAX_BYTES = 150 * 1024

#: who takes them: Nina, the Interop manager of the demo
LOGIN = "integration"


@tagged("post_install", "-at_install")
class TestReadmeScreenshots(HttpCase):
    browser_size = "1280x800"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Read every manifest now, in this thread (see TestOperatorScreens).
        cls.statics = root.statics

    def _screens(self):
        """(file name, URL, what must be shown before the screenshot)."""
        exception = self.env["interop.exception"].search(
            [("mapping_code", "=", "MEX")], limit=1
        )
        request = self.env["interop.change.request"].search(
            [("state", "=", "submitted")], limit=1
        )
        endpoint = self.env.ref("interop.endpoint_payment_gateway")
        return [
            (
                "endpoint-kanban",
                "/odoo/action-interop.interop_endpoint_action?view_type=kanban",
                ".o_kanban_view .o_kanban_record",
            ),
            (
                "endpoint-list",
                "/odoo/action-interop.interop_endpoint_action?view_type=list",
                ".o_list_view .o_data_row",
            ),
            (
                "endpoint-form",
                f"/odoo/action-interop.interop_endpoint_action/{endpoint.id}",
                ".o_form_view .o_form_sheet",
            ),
            (
                "exception-queue",
                "/odoo/action-interop.interop_exception_action?view_type=list",
                ".o_list_view .o_data_row",
            ),
            (
                "exception-form",
                f"/odoo/action-interop.interop_exception_action/{exception.id}",
                ".o_form_view .o_form_sheet",
            ),
            (
                "change-request-form",
                f"/odoo/action-interop.interop_change_request_action/{request.id}",
                ".o_form_view .o_form_sheet",
            ),
            (
                "audit-trail",
                "/odoo/action-interop.interop_audit_entry_action",
                ".o_list_view .o_data_row",
            ),
            (
                "message-log",
                "/odoo/action-interop.interop_message_action",
                ".o_list_view .o_data_row",
            ),
        ]

    def _output_dir(self):
        folder = os.environ.get("INTEROP_SCREENSHOTS_DIR") or os.path.join(
            odoo.tools.config["screenshots"], get_db_name(), "readme"
        )
        path = pathlib.Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _small_png(self, png):
        """A 256-colour, optimised PNG: a UI screenshot loses nothing visible."""
        image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256)
        out = io.BytesIO()
        image.save(out, "PNG", optimize=True)
        return out.getvalue()

    def _take(self, browser, url, shown):
        browser.navigate_to(f"{self.base_url()}{url}")
        ready = (
            "odoo.isReady === true"
            f" && !!document.querySelector({shown!r})"
            " && !document.querySelector('.o_error_dialog, .o_loading_indicator')"
        )
        self.assertTrue(browser._wait_ready(ready, timeout=90), f"{url} not shown")
        # the test server refuses websockets: the client then says the page is out
        # of date, which no user of a real server sees
        browser._websocket_request(
            "Runtime.evaluate",
            params={
                "expression": "document.querySelectorAll('.o_notification')"
                ".forEach((notification) => notification.remove())"
            },
        )
        time.sleep(0.5)  # let the last paint settle
        shot = browser._websocket_request(
            "Page.captureScreenshot", params={"format": "png"}, timeout=60
        )
        return self._small_png(base64.b64decode(shot["data"]))

    def test_readme_screenshots_of_the_main_screens(self):
        folder = self._output_dir()
        browser = ChromeBrowser(self, headless=True, success_signal="unused")
        try:
            self.http_request_key = self.canonical_tag + "_browser_js"
            self.authenticate(LOGIN, LOGIN, browser=browser)
            self.http_request_strict_check = True
            self.cr.flush()
            self.cr.clear()
            for name, url, shown in self._screens():
                with self.subTest(screen=name):
                    png = self._take(browser, url, shown)
                    self.assertLess(len(png), MAX_BYTES, f"{name} is too large")
                    (folder / f"{name}.png").write_bytes(png)
            self.assertFalse(browser.had_failure, "a screen logged an error")
        finally:
            browser.stop()
            self._wait_remaining_requests()
            self.http_request_key = self.canonical_tag
            self.opener.cookies[TEST_CURSOR_COOKIE_NAME] = self.http_request_key
