# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestOperatorScreens(HttpCase):
    """In a real browser, on demo data: the screens an operator works in."""

    def test_operator_reads_an_unmapped_code_exception(self):
        self.start_tour("/odoo", "interop_operator_tour", login="revenue")
