# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import ast
from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from ..errors import MappingError
from .common import InteropMappingCase

ON_DATE = date(2026, 11, 25)


@tagged("post_install", "-at_install")
class TestMappingResolve(InteropMappingCase):
    def _resolve(self, table_code, code, **kwargs):
        kwargs.setdefault("on_date", ON_DATE)
        return self.env["interop.mapping.table"]._resolve(table_code, code, **kwargs)

    def test_record_code_resolves_to_its_record(self):
        self.assertEqual(
            self._resolve("test-payer-codes", "NWH-001"), self.payer_northwind
        )

    def test_value_code_resolves_to_its_value(self):
        self.assertEqual(self._resolve("test-location-codes", "MD-N01"), "WH-NORTH")

    def test_received_code_is_stripped(self):
        self.assertEqual(self._resolve("test-location-codes", " MD-N01 "), "WH-NORTH")

    def test_code_is_valid_from_its_first_to_its_last_day(self):
        for on_date in (date(2026, 1, 1), date(2026, 12, 31)):
            with self.subTest(on_date=on_date):
                self.assertEqual(
                    self._resolve("test-payer-codes", "BMI-220", on_date=on_date),
                    self.payer_blue_meadow,
                )

    def test_code_is_not_valid_before_date_from(self):
        with self.assertRaisesRegex(MappingError, "no mapping valid on 2025-12-31"):
            self._resolve("test-payer-codes", "BMI-220", on_date=date(2025, 12, 31))

    def test_code_is_not_valid_after_date_to(self):
        with self.assertRaisesRegex(MappingError, "no mapping valid on 2027-01-01"):
            self._resolve("test-payer-codes", "BMI-220", on_date=date(2027, 1, 1))

    def test_open_ended_code_is_valid_any_day(self):
        for on_date in (date(1990, 1, 1), date(2099, 12, 31)):
            with self.subTest(on_date=on_date):
                self.assertEqual(
                    self._resolve("test-payer-codes", "NWH-001", on_date=on_date),
                    self.payer_northwind,
                )

    @freeze_time("2027-03-01")
    def test_validity_is_checked_on_today_by_default(self):
        Table = self.env["interop.mapping.table"]
        self.assertEqual(
            Table._resolve("test-payer-codes", "NWH-001"), self.payer_northwind
        )
        with self.assertRaisesRegex(MappingError, "no mapping valid on 2027-03-01"):
            Table._resolve("test-payer-codes", "BMI-220")

    def test_archived_line_does_not_map(self):
        self.payer_table.line_ids.filtered(
            lambda line: line.external_code == "NWH-001"
        ).active = False
        with self.assertRaises(MappingError):
            self._resolve("test-payer-codes", "NWH-001")

    def test_endpoint_table_is_preferred_over_shared(self):
        self.env["interop.mapping.table"].create(
            self._mapping_table_vals(
                code="test-location-codes",
                name="Scheduling Location Codes",
                target_type="value",
                endpoint_id=self.endpoint.id,
                line_ids=[
                    Command.create({"external_code": "MD-N01", "target_value": "WH-N2"})
                ],
            )
        )
        self.assertEqual(
            self._resolve("test-location-codes", "MD-N01", endpoint=self.endpoint),
            "WH-N2",
        )
        other_endpoint = self.env["interop.endpoint"].create(
            self._endpoint_vals(code="test-crm")
        )
        self.assertEqual(
            self._resolve("test-location-codes", "MD-N01", endpoint=other_endpoint),
            "WH-NORTH",
        )
        self.assertEqual(self._resolve("test-location-codes", "MD-N01"), "WH-NORTH")

    def test_endpoint_table_replaces_the_shared_table(self):
        self.env["interop.mapping.table"].create(
            self._mapping_table_vals(
                code="test-location-codes",
                name="Scheduling Location Codes",
                target_type="value",
                endpoint_id=self.endpoint.id,
            )
        )
        with self.assertRaisesRegex(MappingError, "Scheduling Location Codes"):
            self._resolve("test-location-codes", "MD-N01", endpoint=self.endpoint)

    def test_unknown_code_is_a_mapping_error_for_the_table_owner(self):
        with self.assertRaises(MappingError) as caught:
            self._resolve("test-payer-codes", "XR-77")
        error = caught.exception
        # names the code, the table and the date: nothing from the message's payload
        self.assertEqual(
            error.summary,
            "Code 'XR-77' of table Test Payer Codes has no mapping valid on "
            "2026-11-25.",
        )
        self.assertEqual(
            error.suggested_action,
            "Add a mapping line for this code in the table, then replay the message.",
        )
        self.assertEqual(error.table, self.payer_table)
        self.assertEqual(error.code, "XR-77")
        self.assertEqual(error.owner, self.user)
        self.assertEqual(error.category, "mapping")

    def test_unknown_table_is_a_mapping_error_without_owner(self):
        with self.assertRaises(MappingError) as caught:
            self._resolve("test-diagnosis-codes", "XR-77")
        error = caught.exception
        self.assertIn("'test-diagnosis-codes'", error.summary)
        self.assertIsNone(error.owner)
        self.assertIsNone(error.table)
        self.assertEqual(error.code, "XR-77")

    def test_archived_table_is_unknown(self):
        with self.assertRaisesRegex(UserError, "approved change request"):
            self.location_table.active = False
        self.location_table._interop_apply_write({"active": False})  # once approved
        with self.assertRaisesRegex(MappingError, "No active mapping table"):
            self._resolve("test-location-codes", "MD-N01")

    def test_deleted_target_is_a_mapping_error(self):
        self.payer_northwind.unlink()
        with self.assertRaisesRegex(MappingError, "maps 'NWH-001' to deleted records"):
            self._resolve("test-payer-codes", "NWH-001")

    def test_resolve_many_maps_every_code(self):
        targets = self.env["interop.mapping.table"]._resolve_many(
            "test-payer-codes", ["NWH-001", "BMI-220", "NWH-001"], on_date=ON_DATE
        )
        self.assertEqual(
            targets,
            {"NWH-001": self.payer_northwind, "BMI-220": self.payer_blue_meadow},
        )

    def test_resolve_many_names_every_missing_code_once(self):
        with self.assertRaises(MappingError) as caught:
            self.env["interop.mapping.table"]._resolve_many(
                "test-payer-codes",
                ["XR-77", "NWH-001", "XR-78", "XR-77", "XR-79"],
                on_date=ON_DATE,
            )
        error = caught.exception
        self.assertEqual(
            error.summary,
            "Codes 'XR-77', 'XR-78', 'XR-79' of table Test Payer Codes have no "
            "mapping valid on 2026-11-25.",
        )
        self.assertEqual(error.code, "XR-77, XR-78, XR-79")
        self.assertEqual(error.owner, self.user)

    def test_resolve_many_reads_little(self):
        Table = self.env["interop.mapping.table"].with_user(self.user)
        codes = ["NWH-001", "BMI-220"]
        Table._resolve_many("test-payer-codes", codes, on_date=ON_DATE)  # warm caches
        self.env.invalidate_all()
        # the table, its lines valid on the date, the existence of the targets
        with self.assertQueryCount(3):
            Table._resolve_many("test-payer-codes", codes, on_date=ON_DATE)

    def test_interop_user_resolves(self):
        Table = self.env["interop.mapping.table"].with_user(self.user)
        self.assertEqual(
            Table._resolve("test-location-codes", "MD-N01", on_date=ON_DATE),
            "WH-NORTH",
        )


@tagged("post_install", "-at_install")
class TestMappingLineConstraints(InteropMappingCase):
    def _add_line(self, table, **vals):
        return self.env["interop.mapping.line"].create(dict(vals, table_id=table.id))

    def test_overlapping_duplicate_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "Code BMI-220 already has"):
            self._add_line(
                self.payer_table,
                external_code="BMI-220",
                res_id=self.payer_northwind.id,
                date_from="2026-12-31",
            )

    def test_open_ended_duplicate_overlaps_every_period(self):
        with self.assertRaisesRegex(ValidationError, "Code BMI-220 already has"):
            self._add_line(
                self.payer_table,
                external_code="BMI-220",
                res_id=self.payer_northwind.id,
            )

    def test_same_code_in_consecutive_periods_is_accepted(self):
        before = self._add_line(
            self.payer_table,
            external_code="BMI-220",
            res_id=self.payer_northwind.id,
            date_to="2025-12-31",
        )
        after = self._add_line(
            self.payer_table,
            external_code="BMI-220",
            res_id=self.payer_northwind.id,
            date_from="2027-01-01",
        )
        self.assertTrue(before.active and after.active)

    def test_archived_duplicate_is_accepted(self):
        line = self._add_line(
            self.payer_table,
            external_code="NWH-001",
            res_id=self.payer_blue_meadow.id,
            active=False,
        )
        with self.assertRaisesRegex(ValidationError, "Code NWH-001 already has"):
            line.active = True

    def test_same_code_in_another_table_is_accepted(self):
        line = self._add_line(
            self.location_table, external_code="NWH-001", target_value="WH-WEST"
        )
        self.assertEqual(line.table_id, self.location_table)

    def test_overlap_inside_one_batch_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "Code MD-S02 already has"):
            self.env["interop.mapping.line"].create(
                [
                    {
                        "table_id": self.location_table.id,
                        "external_code": code,
                        "target_value": "WH-SOUTH",
                    }
                    for code in ("MD-S02", " MD-S02")
                ]
            )

    def test_external_code_is_stripped(self):
        line = self._add_line(
            self.location_table, external_code="  MD-S02 ", target_value="WH-SOUTH"
        )
        self.assertEqual(line.external_code, "MD-S02")

    def test_period_must_not_end_before_it_starts(self):
        with self.assertRaisesRegex(ValidationError, "ends before it starts"):
            self._add_line(
                self.location_table,
                external_code="MD-S02",
                target_value="WH-SOUTH",
                date_from="2026-06-01",
                date_to="2026-05-31",
            )

    def test_value_line_needs_a_value(self):
        with self.assertRaisesRegex(ValidationError, "needs a value"):
            self._add_line(self.location_table, external_code="MD-S02")

    def test_record_line_needs_an_existing_record(self):
        for code, res_id in (("XR-77", False), ("XR-78", 999999999)):
            with (
                self.subTest(res_id=res_id),
                self.assertRaisesRegex(
                    ValidationError, "needs an existing Contact record"
                ),
            ):
                self._add_line(self.payer_table, external_code=code, res_id=res_id)

    def test_target_is_picked_as_a_record(self):
        line = self._add_line(
            self.payer_table,
            external_code="XR-77",
            target_ref=f"res.partner,{self.payer_blue_meadow.id}",
        )
        self.assertEqual(line.res_id, self.payer_blue_meadow.id)
        self.assertEqual(line.target_ref, self.payer_blue_meadow)

    def test_target_of_another_model_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "must map to a record of Contact"):
            self._add_line(
                self.payer_table,
                external_code="XR-77",
                target_ref=f"res.country,{self.env.ref('base.be').id}",
            )

    def test_import_creates_lines(self):
        result = self.env["interop.mapping.line"].load(
            ["table_id", "external_code", "external_label", "target_value"],
            [
                ["test-location-codes", "MD-S02", "South Laboratory", "WH-SOUTH"],
                ["test-location-codes", "MD-E03", "East Clinic", "WH-EAST"],
            ],
        )
        self.assertEqual(result["messages"], [])
        self.assertRecordValues(
            self.env["interop.mapping.line"].browse(result["ids"]),
            [
                {"external_code": "MD-S02", "target_value": "WH-SOUTH"},
                {"external_code": "MD-E03", "target_value": "WH-EAST"},
            ],
        )

    def test_import_refuses_overlapping_duplicates(self):
        result = self.env["interop.mapping.line"].load(
            ["table_id", "external_code", "res_id", "date_from"],
            [
                ["test-payer-codes", "BMI-300", str(self.payer_blue_meadow.id), ""],
                [
                    "test-payer-codes",
                    "BMI-220",
                    str(self.payer_blue_meadow.id),
                    "2026-06-01",
                ],
            ],
        )
        self.assertFalse(result["ids"])
        refusals = {
            (message["type"], message["record"])
            for message in result["messages"]
            if "Code BMI-220 already has" in message["message"]
        }
        self.assertIn(("error", 1), refusals)  # the second row
        self.assertFalse([m for m in result["messages"] if "BMI-300" in m["message"]])
        # nothing of a refused file is imported
        self.assertFalse(
            self.env["interop.mapping.line"].search([("external_code", "=", "BMI-300")])
        )


@tagged("post_install", "-at_install")
class TestMappingTableConstraints(InteropMappingCase):
    def test_code_must_be_a_lower_case_slug(self):
        for code in ("Payer Codes", "payer--codes", "-payer"):
            with self.subTest(code=code), self.assertRaises(ValidationError):
                self.env["interop.mapping.table"].create(
                    self._mapping_table_vals(code=code, target_type="value")
                )

    @mute_logger("odoo.sql_db")
    def test_one_shared_table_per_code_and_company(self):
        with self.assertRaises(Exception) as caught:
            self.env["interop.mapping.table"].create(
                self._mapping_table_vals(
                    code="test-location-codes", target_type="value"
                )
            )
        self.assertIn("code_company_uniq", str(caught.exception))

    @mute_logger("odoo.sql_db")
    def test_one_table_per_code_and_endpoint(self):
        vals = self._mapping_table_vals(
            code="test-location-codes",
            target_type="value",
            endpoint_id=self.endpoint.id,
        )
        self.env["interop.mapping.table"].create(vals)
        with self.assertRaises(Exception) as caught:
            self.env["interop.mapping.table"].create(vals)
        self.assertIn("code_company_uniq", str(caught.exception))

    def test_record_table_needs_a_target_model(self):
        with self.assertRaisesRegex(ValidationError, "choose its target model"):
            self.env["interop.mapping.table"].create(self._mapping_table_vals())

    def test_target_model_must_store_records(self):
        with self.assertRaisesRegex(ValidationError, "does not store records"):
            self.env["interop.mapping.table"].create(
                self._mapping_table_vals(
                    target_model_id=self.env.ref("mail.model_mail_thread").id
                )
            )

    def test_target_cannot_change_once_mapped(self):
        with self.assertRaisesRegex(UserError, "target cannot change"):
            self.payer_table.target_model_id = self.env.ref("base.model_res_country")
        with self.assertRaisesRegex(UserError, "target cannot change"):
            self.location_table.target_type = "record"

    def test_target_of_an_empty_table_can_change(self):
        table = self.env["interop.mapping.table"].create(
            self._mapping_table_vals(target_type="value")
        )
        table.write(
            {
                "target_type": "record",
                "target_model_id": self.env.ref("base.model_res_country").id,
            }
        )
        self.assertEqual(table.target_model, "res.country")

    def test_line_count_counts_active_mappings(self):
        self.assertEqual(self.payer_table.line_count, 2)
        self.payer_table.line_ids[0].active = False
        self.assertEqual(self.payer_table.line_count, 1)

    def test_display_name_shows_the_code(self):
        self.assertEqual(
            self.payer_table.display_name, "Test Payer Codes (test-payer-codes)"
        )


@tagged("post_install", "-at_install")
class TestMappingAccess(InteropMappingCase):
    def test_table_owner_maintains_its_lines_but_not_the_table(self):
        table = self.location_table.with_user(self.user)  # self.user owns it
        line = (
            self.env["interop.mapping.line"]
            .with_user(self.user)
            .create(
                {
                    "table_id": table.id,
                    "external_code": "MD-S02",
                    "target_value": "WH-S",
                }
            )
        )
        line.target_value = "WH-SOUTH"
        self.assertEqual(line.target_value, "WH-SOUTH")
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            table.name = "Renamed"

    def test_user_reads_but_cannot_write_tables_of_others(self):
        other = new_test_user(
            self.env, login="other", groups="interop.group_interop_user"
        )
        table = self.payer_table.with_user(other)
        self.assertEqual(table.line_ids.mapped("external_code"), ["BMI-220", "NWH-001"])
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            table.name = "Renamed"
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            table.line_ids[0].external_code = "XR-77"
        with self.assertRaises(AccessError):
            self.env["interop.mapping.line"].with_user(other).create(
                {
                    "table_id": self.location_table.id,
                    "external_code": "MD-S02",
                    "target_value": "WH-SOUTH",
                }
            )

    def test_auditor_reads_but_cannot_write(self):
        table = self.location_table.with_user(self.auditor)
        self.assertEqual(table.line_ids.target_value, "WH-NORTH")
        with self.assertRaises(AccessError):
            table.line_ids.unlink()
        with self.assertRaises(AccessError):
            table.unlink()
        with self.assertRaises(AccessError):
            self.env["interop.mapping.table"].with_user(self.auditor).create(
                self._mapping_table_vals(target_type="value")
            )

    def test_manager_maintains_tables_and_lines(self):
        table = (
            self.env["interop.mapping.table"]
            .with_user(self.manager)
            .create(
                self._mapping_table_vals(
                    code="by-manager",
                    target_type="value",
                    line_ids=[
                        Command.create({"external_code": "A1", "target_value": "one"})
                    ],
                )
            )
        )
        table.line_ids.target_value = "uno"
        table.line_ids.active = False
        self.assertRecordValues(
            table.line_ids, [{"target_value": "uno", "active": False}]
        )
        table.unlink()
        self.assertFalse(table.exists())

    def test_manager_adds_a_mapping_in_the_table_form(self):
        form = Form(self.payer_table.with_user(self.manager))
        with form.line_ids.new() as line:
            line.external_code = "XR-77"
            line.target_ref = self.payer_blue_meadow
            line.date_from = date(2026, 12, 1)
        form.save()
        self.assertEqual(
            self.env["interop.mapping.table"]._resolve(
                "test-payer-codes", "XR-77", on_date=date(2026, 12, 1)
            ),
            self.payer_blue_meadow,
        )

    def test_user_opens_the_lines_of_a_table(self):
        action = self.payer_table.with_user(self.user).action_view_lines()
        self.assertEqual(action["res_model"], "interop.mapping.line")
        self.assertEqual(
            self.env[action["res_model"]].search(action["domain"]),
            self.payer_table.line_ids,
        )

    def test_internal_user_without_interop_group_sees_nothing(self):
        outsider = new_test_user(self.env, login="outsider", groups="base.group_user")
        for model in ("interop.mapping.table", "interop.mapping.line"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(outsider).search([])


@tagged("post_install", "-at_install")
class TestMappingMultiCompany(InteropMappingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_other_company()
        cls.other_table = (
            cls.env["interop.mapping.table"]
            .with_company(cls.other_company)
            .create(
                cls._mapping_table_vals(
                    code="test-location-codes",
                    name="West Location Codes",
                    target_type="value",
                    owner_id=cls.other_manager.id,
                    company_id=cls.other_company.id,
                    line_ids=[
                        Command.create(
                            {"external_code": "MD-N01", "target_value": "WH-WEST"}
                        )
                    ],
                )
            )
        )

    def test_each_company_sees_its_own_tables_and_lines(self):
        for model, own, other in (
            ("interop.mapping.table", self.location_table, self.other_table),
            (
                "interop.mapping.line",
                self.location_table.line_ids,
                self.other_table.line_ids,
            ),
        ):
            with self.subTest(model=model):
                visible_west = self.env[model].with_user(self.other_manager).search([])
                self.assertIn(other, visible_west)
                self.assertNotIn(own, visible_west)
                visible_main = self.env[model].with_user(self.manager).search([])
                self.assertIn(own, visible_main)
                self.assertNotIn(other, visible_main)

    def test_codes_resolve_in_the_current_company(self):
        Table = self.env["interop.mapping.table"]
        self.assertEqual(
            Table._resolve("test-location-codes", "MD-N01", on_date=ON_DATE),
            "WH-NORTH",
        )
        self.assertEqual(
            Table.with_user(self.other_manager)._resolve(
                "test-location-codes", "MD-N01", on_date=ON_DATE
            ),
            "WH-WEST",
        )

    def test_owner_must_belong_to_the_table_company(self):
        with self.assertRaises(UserError) as caught:
            # past change control: the company rule itself is under test
            self.other_table._interop_apply_write({"owner_id": self.user.id})
        self.assertIn("compan", str(caught.exception).lower())


@tagged("post_install", "-at_install")
class TestMappingTracking(InteropMappingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._enable_tracking()  # tracking is what is under test here
        cls.table = cls.env["interop.mapping.table"].create(
            cls._mapping_table_vals(
                code="tracked-payer-codes",
                target_model_id=cls.env.ref("base.model_res_partner").id,
            )
        )
        # Odoo tracks changes from the creation's commit on: run its precommit hooks now
        cls.env.cr.flush()

    def _last_note(self):
        return str(self.table.message_ids[0].body)

    def test_added_lines_are_noted_on_the_table(self):
        self.env["interop.mapping.line"].with_user(self.manager).create(
            [
                {
                    "table_id": self.table.id,
                    "external_code": code,
                    "target_ref": f"res.partner,{self.payer_northwind.id}",
                }
                for code in ("NWH-001", "NWH-002")
            ]
        )
        message = self.table.message_ids[0]
        self.assertEqual(message.author_id, self.manager.partner_id)
        self.assertEqual(str(message.body), "<p>Mapping added: NWH-001, NWH-002</p>")
        self.assertEqual(len(self.table.message_ids), 2)  # creation, one note

    def test_changed_line_is_noted_with_its_code_not_its_values(self):
        line = self.env["interop.mapping.line"].create(
            {
                "table_id": self.table.id,
                "external_code": "NWH-001",
                "res_id": self.payer_northwind.id,
            }
        )
        line.write(
            {
                "target_ref": f"res.partner,{self.payer_blue_meadow.id}",
                "date_to": "2026-12-31",
            }
        )
        self.assertEqual(
            self._last_note(), "<p>Mapping changed (Target, Valid Until): NWH-001</p>"
        )
        self.assertNotIn("Blue Meadow", self._last_note())

    def test_archived_line_is_noted(self):
        line = self.env["interop.mapping.line"].create(
            {
                "table_id": self.table.id,
                "external_code": "NWH-001",
                "res_id": self.payer_northwind.id,
            }
        )
        line.action_archive()
        self.assertEqual(self._last_note(), "<p>Mapping archived: NWH-001</p>")

    def test_governed_field_change_is_tracked(self):
        self.table.owner_id = self.manager
        self.env.cr.flush()  # runs the tracking hooks, as a commit would
        tracking = self.table.message_ids[0].tracking_value_ids
        self.assertEqual(tracking.field_id.name, "owner_id")
        self.assertEqual(tracking.new_value_char, self.manager.name)


@tagged("post_install", "-at_install")
class TestMappingTargetsAllowed(InteropMappingCase):
    def test_a_table_restricts_what_its_codes_map_to(self):
        self.payer_table._interop_apply_write(
            {"target_domain": "[('is_company', '=', True)]"}
        )
        person = self.env["res.partner"].create({"name": "Not A Payer"})
        line = self.payer_table.line_ids[:1]
        with self.assertRaises(ValidationError) as caught:
            line.with_user(self.user).target_ref = person
        self.assertIn("allows only", str(caught.exception))
        line.with_user(self.user).target_ref = self.payer_blue_meadow
        self.assertEqual(line.res_id, self.payer_blue_meadow.id)

    def test_picker_offers_only_the_records_its_table_allows(self):
        """What the target picker searches (interop_target_reference: the line's
        target model, with the line's Targets Allowed as its domain) finds the
        records the table allows and no other."""
        self.payer_table._interop_apply_write(
            {"target_domain": "[('is_company', '=', True)]"}
        )
        person = self.env["res.partner"].create({"name": "Blue Meadow Walker"})
        line = self.payer_table.line_ids[:1].with_user(self.user)
        Target = self.env[line.target_model].with_user(self.user)
        unrestricted = [rid for rid, __ in Target.name_search("Blue Meadow")]
        self.assertIn(person.id, unrestricted, "the name matches the person too")
        # the client reads the domain as Python literals, as the server does
        domain = ast.literal_eval(line.target_domain)
        offered = [rid for rid, __ in Target.name_search("Blue Meadow", domain)]
        self.assertIn(self.payer_blue_meadow.id, offered)
        self.assertNotIn(person.id, offered)

    def test_attack_line_widens_its_tables_targets_allowed(self):
        """The line shows its table's domain to the target picker: writing it
        through a line (RPC, any values) leaves the table's governed domain as it
        was, and the check at save holds."""
        self.payer_table._interop_apply_write(
            {"target_domain": "[('is_company', '=', True)]"}
        )
        line = self.payer_table.line_ids[:1]
        for user in (self.user, self.manager):
            line.with_user(user).write({"target_domain": "[]"})
            self.payer_table.invalidate_recordset()
            self.assertEqual(
                self.payer_table.target_domain, "[('is_company', '=', True)]"
            )
        person = self.env["res.partner"].create({"name": "Not A Payer"})
        with self.assertRaises(ValidationError):
            line.with_user(self.manager).write(
                {"target_domain": "[]", "target_ref": f"res.partner,{person.id}"}
            )

    def test_targets_allowed_must_be_a_domain(self):
        for bad in ("is_company", "[('no_such_field', '=', 1)]", "{}"):
            with self.subTest(domain=bad), self.assertRaises(ValidationError):
                self.payer_table._interop_apply_write({"target_domain": bad})
