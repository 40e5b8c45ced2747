# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.http import root
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestOperatorScreens(HttpCase):
    """In a real browser, on demo data: the screens an operator works in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Read every manifest now, in this thread: the browser's parallel requests would
        # otherwise parse them in several threads at once, which CPython 3.11.7's
        # compiler does not survive (SystemError: AST constructor recursion depth).
        cls.statics = root.statics

    def test_operator_reads_an_unmapped_code_exception(self):
        self.start_tour("/odoo", "interop_operator_tour", login="revenue")
