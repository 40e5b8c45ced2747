# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The access matrix of ``access_matrix.py``, checked both ways, as RPC would."""

import inspect

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..errors import BusinessRuleError
from .access_matrix import (
    ACCESS,
    ACTIONS,
    GROUPS,
    NAVIGATION,
    ROLES,
    WIZARD_ACTIONS,
)

MODES = {"r": "read", "w": "write", "c": "create", "u": "unlink"}

#: buttons whose allowed direction calls a remote system: their own tests run them
#: against a local server; here only their refusal is checked
REMOTE = {
    ("interop.sync", "action_run_now"),
    ("interop.credential", "action_fetch_token"),
}


@tagged("post_install", "-at_install")
class TestAccessMatrix(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            role: new_test_user(
                cls.env,
                login=f"matrix_{role}",
                groups=f"base.group_user,{GROUPS[role]}",
            )
            for role in ROLES
        }
        cls.author = new_test_user(
            cls.env, login="matrix_author", groups=GROUPS["manager"]
        )
        cls.fixtures = cls._fixtures()

    @classmethod
    def _fixtures(cls):
        """A record of each model with buttons, in a state where they apply."""
        env = cls.env
        endpoint = env["interop.endpoint"].create(
            {
                "code": "matrix-endpoint",
                "name": "Matrix Endpoint",
                "direction": "both",
                "base_url": "https://matrix.example/api",
                "environment": "staging",
                "data_classification": "internal",
                "business_owner_id": cls.users["user"].id,
                "technical_owner_id": cls.users["manager"].id,
            }
        )
        endpoint._activate()
        request = (
            env["interop.change.request"]
            .with_user(cls.author)
            ._draft_from_edit(
                endpoint.with_user(cls.author),
                {"base_url": "https://v2.matrix.example/api"},
                reason="Matrix",
            )
        )
        request.action_submit()
        exception = env["interop.exception"]._open(
            BusinessRuleError("Matrix check", owner=cls.users["user"]),
            endpoint=endpoint,
        )
        fixtures = {
            "interop.endpoint": endpoint,
            "interop.change.request": request,
            # the version 0 its activation kept
            "interop.config.version": env["interop.config.version"].search(
                [("res_model", "=", endpoint._name), ("res_id", "=", endpoint.id)]
            ),
            "interop.event.type": env.ref(
                "interop.event_type_responsible_party_updated"
            ),
            "interop.exception": exception,
            "interop.message": env["interop.message"].search(
                [("state", "=", "failed")], limit=1
            ),
            "interop.audit.entry": env["interop.audit.entry"].search([], limit=1),
            # rules not in effect yet: their activation is asked
            "interop.system.of.record": env["interop.system.of.record"].create(
                {
                    "entity": "other",
                    "model_id": env.ref("base.model_res_partner_category").id,
                    "active": False,
                }
            ),
            "interop.exception.rule": env["interop.exception.rule"].create(
                {
                    "name": "Matrix routing",
                    "user_id": cls.users["manager"].id,
                    "active": False,
                }
            ),
            "interop.timing.rule": env["interop.timing.rule"].create(
                {
                    "name": "Matrix timing",
                    "kind": "service_date_window",
                    "action": "exception",
                    "active": False,
                }
            ),
        }
        for model in (
            "interop.api.key",
            "interop.credential",
            "interop.sync",
            "interop.message.attempt",
            "interop.metrics.key",
        ):
            fixtures[model] = env[model].search([], limit=1)
        # interop_supply's demo: a count whose adjustment waits for approval
        fixtures["interop.stock.count"] = env["interop.stock.count"].search(
            [("state", "=", "to_approve")], limit=1
        )
        return fixtures

    def test_every_interop_model_is_declared(self):
        models = {
            name
            for name, model in self.env.registry.items()
            if name.startswith("interop.")
            and not model._abstract
            and not name.startswith("interop.bench")
        }
        self.assertEqual(models - set(ACCESS), set(), "models missing from the matrix")
        self.assertEqual(set(ACCESS) - models, set(), "declared models that are gone")

    def test_each_role_has_exactly_its_declared_rights(self):
        Access = self.env["ir.model.access"]
        for model, rights in ACCESS.items():
            for role in ROLES:
                granted = rights.get(role, "")
                for letter, mode in MODES.items():
                    with self.subTest(model=model, role=role, mode=mode):
                        self.assertEqual(
                            Access.with_user(self.users[role]).check(
                                model, mode, raise_exception=False
                            ),
                            letter in granted,
                        )

    def test_every_button_is_declared(self):
        undeclared = []
        for model in ACCESS:
            declared = set(ACTIONS.get(model, ())) | set(WIZARD_ACTIONS.get(model, ()))
            # the suite's buttons; Odoo's own (archive...) are writes, in ACCESS
            buttons = {
                name
                for name, member in inspect.getmembers(
                    type(self.env[model]), inspect.isfunction
                )
                if name.startswith("action_")
                and member.__module__.startswith("odoo.addons.interop")
            }
            undeclared += [f"{model}.{b}" for b in buttons - declared - NAVIGATION]
        self.assertEqual(undeclared, [])

    def test_wizard_buttons_need_the_wizard(self):
        for model in WIZARD_ACTIONS:
            creators = {r for r, ops in ACCESS[model].items() if "c" in ops}
            with self.subTest(model=model):
                self.assertTrue(creators)
                for role in set(ROLES) - creators:
                    with self.assertRaises(AccessError):
                        self.env[model].with_user(self.users[role]).create({})

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule")
    def test_each_button_works_for_its_roles_and_no_other(self):
        self.maxDiff = None
        # what a client sends with execute_kw, trying to unlock something
        client_context = {"interop_change_apply": True, "active_test": False}
        wrong = []
        for model, buttons in ACTIONS.items():
            record = self.fixtures[model]
            self.assertTrue(record, f"no {model} to press its buttons on")
            for method, allowed in buttons.items():
                for role in ROLES:
                    if role not in allowed or (model, method) not in REMOTE:
                        as_role = record.with_user(self.users[role]).with_context(
                            **client_context
                        )
                        refused = self._press_and_undo(as_role, method)
                        if refused != (role not in allowed):
                            wrong.append(
                                f"{model}.{method} as {role}: "
                                + ("refused" if refused else "allowed")
                            )
        self.assertEqual(wrong, [])

    def _press_and_undo(self, record, method):
        """Press the button, then undo what it did; whether access was refused
        (a refusal for a business reason is not one)."""
        savepoint = self.env.cr.savepoint()
        try:
            getattr(record, method)()
            self.env.flush_all()
        except AccessError:
            return True
        except (UserError, ValidationError):
            return False
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()
        return False

    def test_exception_buttons_are_shown_to_those_who_work_it(self):
        exception = self.fixtures["interop.exception"]
        for role, works in (
            ("user", True),
            ("manager", True),
            ("auditor", False),
        ):
            with self.subTest(role=role):
                exception.invalidate_recordset()
                self.assertEqual(exception.with_user(self.users[role]).can_work, works)
