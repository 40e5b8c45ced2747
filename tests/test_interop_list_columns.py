# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The main lists, read on a 1440 px wide screen: every column header readable, no
sideways scrolling. Secondary columns are optional (hidden by default, a click away
in the list's column menu)."""

import json

from odoo.http import root
from odoo.tests import HttpCase, tagged
from odoo.tests.common import TEST_CURSOR_COOKIE_NAME, ChromeBrowser

#: a laptop's screen, the narrowest the operators work on
SIZE = "1440x900"

#: the lists people work in, each by the demo user who works in it
LISTS = (
    ("interop.interop_exception_action", "revenue"),
    ("interop.interop_message_action", "integration"),
    ("interop.interop_endpoint_action", "integration"),
    ("interop.interop_audit_entry_action", "auditor"),
    ("interop.interop_change_request_action", "integration"),
    ("interop_revenue.interop_visit_action", "revenue"),
    ("interop_revenue.interop_visit_payment_action", "finance"),
    ("interop_outbound.interop_sync_run_action", "integration"),
    ("interop_supply.interop_supply_order_action", "supply"),
)

#: what the browser reports: headers cut short, and a table wider than the screen
MEASURE = """
(() => {
    const renderer = document.querySelector('.o_list_renderer');
    const cut = [...document.querySelectorAll('.o_list_table thead th[data-name]')]
        .filter((th) => {
            const label = th.querySelector('.text-truncate') || th;
            return label.scrollWidth > label.clientWidth + 1;
        })
        .map((th) => th.dataset.name);
    return JSON.stringify({
        cut,
        overflow: renderer.scrollWidth > renderer.clientWidth + 1,
    });
})()
"""


@tagged("post_install", "-at_install")
class TestListColumnsAt1440(HttpCase):
    browser_size = SIZE

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Read every manifest now, in this thread (see TestOperatorScreens).
        cls.statics = root.statics

    def _measure(self, browser, xmlid):
        browser.navigate_to(
            f"{self.base_url()}/odoo/action-{xmlid}?view_type=list", wait_stop=False
        )
        ready = (
            "odoo.isReady === true"
            " && !!document.querySelector('.o_list_table thead th[data-name]')"
            " && !document.querySelector('.o_loading_indicator')"
        )
        self.assertTrue(browser._wait_ready(ready, timeout=90), f"{xmlid} not shown")
        result = browser._websocket_request(
            "Runtime.evaluate", params={"expression": MEASURE, "returnByValue": True}
        )
        return json.loads(result["result"]["value"])

    def test_main_lists_are_readable_at_1440_px(self):
        unreadable = {}
        for xmlid, login in LISTS:
            browser = ChromeBrowser(self, headless=True, success_signal="unused")
            try:
                self.http_request_key = self.canonical_tag + "_browser_js"
                self.authenticate(login, login, browser=browser)
                self.http_request_strict_check = True
                self.cr.flush()
                self.cr.clear()
                measured = self._measure(browser, xmlid)
                if measured["cut"] or measured["overflow"]:
                    unreadable[xmlid] = measured
                self.assertFalse(browser.had_failure, f"{xmlid} logged an error")
            finally:
                browser.stop()
                self._wait_remaining_requests()
                self.http_request_key = self.canonical_tag
                self.opener.cookies[TEST_CURSOR_COOKIE_NAME] = self.http_request_key
        self.assertEqual(unreadable, {}, "columns cut short or wider than the screen")
