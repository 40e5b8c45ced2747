# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestPartyWildcards(TransactionCase):
    """A sender's name or email is compared as written: ``%`` and ``_`` in it are
    characters, not patterns matching other people's contacts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Partner = cls.env["res.partner"]
        cls.rosa = cls.Partner.create(
            {
                "name": "Rosa Wildcard",
                "email": "rosa.wildcard@example.com",
                "interop_birth_date": "1980-05-01",
            }
        )

    def _look_alikes(self, party):
        # as the revenue intake asks: the contact its party would create
        return self.Partner._interop_probable_duplicates(
            self.Partner._interop_party_vals(party), ref=party["id"]
        )

    def test_attack_percent_email_finds_every_contact_of_a_domain(self):
        found, _reason = self._look_alikes(
            {"id": "RP-W1", "name": "Someone Else", "email": "%@example.com"}
        )
        self.assertFalse(found)

    def test_attack_underscore_email_is_taken_for_another_persons(self):
        found, _reason = self._look_alikes(
            {"id": "RP-W2", "name": "Rosa W.", "email": "rosa_wildcard@example.com"}
        )
        self.assertFalse(found)

    def test_attack_percent_name_with_a_birth_date_finds_a_look_alike(self):
        found, _reason = self._look_alikes(
            {"id": "RP-W3", "name": "%", "birth_date": "1980-05-01"}
        )
        self.assertFalse(found)

    def test_same_email_in_other_case_is_still_a_look_alike(self):
        found, _reason = self._look_alikes(
            {
                "id": "RP-W4",
                "name": "R. Wildcard",
                "email": " ROSA.Wildcard@example.com ",
            }
        )
        self.assertEqual(found, self.rosa)
