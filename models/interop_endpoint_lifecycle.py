# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo import fields, models
from odoo.exceptions import UserError

STATE_DRAFT = "draft"
STATE_ACTIVE = "active"
STATE_SUSPENDED = "suspended"
STATE_RETIRED = "retired"

# The lifecycle: which state may follow which. Retired is final.
STATE_TRANSITIONS = {
    STATE_DRAFT: {STATE_ACTIVE, STATE_RETIRED},
    STATE_ACTIVE: {STATE_SUSPENDED, STATE_RETIRED},
    STATE_SUSPENDED: {STATE_ACTIVE, STATE_RETIRED},
    STATE_RETIRED: set(),
}


class InteropEndpointLifecycle(models.AbstractModel):
    """The lifecycle of an endpoint: draft, active, suspended, retired; the
    approvals a move needs, what activation prepares (a dedicated service user),
    and the audit entry of each move. Inherited by ``interop.endpoint``."""

    _name = "interop.endpoint.lifecycle"
    _description = "Endpoint Lifecycle"

    def _raise_lifecycle_field(self, fnames):
        raise UserError(
            self.env._(
                "%(fields)s are recorded by the endpoint's lifecycle, not edited.",
                fields=", ".join(
                    self._fields[f].get_description(self.env)["string"]
                    for f in sorted(fnames)
                ),
            )
        )

    def _check_state_transition(self, new_state):
        labels = dict(self._fields["state"]._description_selection(self.env))
        for endpoint in self:
            if new_state == endpoint.state:
                continue
            if new_state not in STATE_TRANSITIONS.get(endpoint.state, ()):
                raise UserError(
                    self.env._(
                        "%(endpoint)s cannot go from %(from)s to %(to)s.",
                        endpoint=endpoint.display_name,
                        **{
                            "from": labels.get(endpoint.state),
                            "to": labels.get(new_state, new_state),
                        },
                    )
                )
            if new_state == STATE_ACTIVE:
                endpoint._check_ready_for_activation()

    def _on_state_change(self, previous_state):
        """Hook once the endpoint went from ``previous_state`` to its state."""
        self.ensure_one()
        self._log_state_change(previous_state)
        if previous_state == STATE_DRAFT:
            # it comes under change control: what it was is version 0
            self.env["interop.config.version"]._record_baseline(self)

    def _needs_lifecycle_approval(self, new_state):
        """Whether going to ``new_state`` needs an approved change request: a
        production endpoint's first activation (it opens production traffic), and
        retiring an endpoint that is in use (it ends it for good)."""
        self.ensure_one()
        if new_state == self.state:
            return False
        if new_state == STATE_ACTIVE:
            return self.state == STATE_DRAFT and self.environment == "production"
        if new_state == STATE_RETIRED:
            return self.state in (STATE_ACTIVE, STATE_SUSPENDED)
        return False

    def _check_lifecycle_approval(self, new_state):
        if self._interop_applying():
            return
        pending = self.filtered(lambda e: e._needs_lifecycle_approval(new_state))
        if pending:
            labels = dict(self._fields["state"]._description_selection(self.env))
            buttons = {
                STATE_ACTIVE: self.env._("Activate"),
                STATE_RETIRED: self.env._("Retire"),
            }
            raise UserError(
                self.env._(
                    "%(endpoints)s becomes %(state)s only through an approved change "
                    "request (the %(button)s button on the form drafts it).",
                    endpoints=", ".join(pending.mapped("display_name")),
                    state=labels[new_state],
                    button=buttons[new_state],
                )
            )

    def _prepare_activation(self):
        """Before an activation: the owners, a dedicated service user for inbound
        endpoints, the date of the first activation."""
        now = fields.Datetime.now()
        for endpoint in self.filtered(lambda e: e.state != STATE_ACTIVE):
            vals = {}
            if endpoint.direction in ("inbound", "both") and not (
                endpoint.service_user_id
            ):
                vals["service_user_id"] = endpoint._create_service_user().id
            if not endpoint.date_activated:
                vals["date_activated"] = now
            if vals:
                # sudo: the lifecycle records these, whoever pressed the button
                endpoint.sudo().write(vals)

    def _prepare_retirement(self):
        self.filtered(lambda e: e.state != STATE_RETIRED).sudo().write(
            {"date_retired": fields.Datetime.now()}
        )

    def _request_lifecycle_change(self, new_state, reason):
        """Draft (or find) the change request moving this endpoint to
        ``new_state``, and say so to the user."""
        self.ensure_one()
        Request = self.env["interop.change.request"]
        request = Request.search(
            [
                ("res_model", "=", self._name),
                ("res_id", "=", self.id),
                ("state", "in", ("draft", "submitted")),
                ("values_json", "=", json.dumps({"state": new_state})),
            ],
            limit=1,
        ) or Request._draft_from_edit(self, {"state": new_state}, reason=reason)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "title": self.env._("Approval needed"),
                "message": self.env._(
                    "%(endpoint)s changes state only once %(request)s is approved: "
                    "submit it with a reason, another approver decides.",
                    endpoint=self.display_name,
                    request=request.name,
                ),
                "next": {
                    "type": "ir.actions.act_window",
                    "res_model": Request._name,
                    "res_id": request.id,
                    "views": [(False, "form")],
                },
            },
        }

    def _log_state_change(self, previous_state):
        self.ensure_one()
        labels = dict(self._fields["state"]._description_selection(self.env))
        self.env["interop.audit.entry"]._log(
            "endpoint_state",
            record=self,
            summary=self.env._(
                "Endpoint %(endpoint)s: %(from)s → %(to)s",
                endpoint=self.display_name,
                **{"from": labels[previous_state], "to": labels[self.state]},
            ),
            details={"field": "state", "from": previous_state, "to": self.state},
        )

    def _check_ready_for_activation(self):
        self.ensure_one()
        missing = []
        if not self.business_owner_id:
            missing.append(self.env._("a business owner"))
        if not self.technical_owner_id:
            missing.append(self.env._("a technical owner"))
        if self.direction in ("outbound", "both") and not self.base_url:
            missing.append(self.env._("a base URL (it sends data out)"))
        if missing:
            raise UserError(
                self.env._(
                    "%(endpoint)s cannot be activated without %(missing)s.",
                    endpoint=self.display_name,
                    missing=", ".join(missing),
                )
            )

    def action_activate(self):
        return self._action_lifecycle(
            STATE_ACTIVE,
            self.env._("First activation of a production endpoint."),
        )

    def _action_lifecycle(self, new_state, reason):
        """The buttons: change state now, or draft the change request it needs."""
        self.check_access("write")
        self._check_state_transition(new_state)
        direct = self.filtered(lambda e: not e._needs_lifecycle_approval(new_state))
        if direct:
            direct.write({"state": new_state})
        pending = self - direct
        if len(pending) == 1:
            return pending._request_lifecycle_change(new_state, reason)
        for endpoint in pending:
            endpoint._request_lifecycle_change(new_state, reason)
        return True

    def _activate(self):
        """Activate past change control: server-side setup (demo data, tools) and
        the application of an approved change request."""
        return self._interop_apply_write({"state": STATE_ACTIVE})

    def _create_service_user(self):
        """A user that can process this endpoint's messages and nothing else yet."""
        self.ensure_one()
        # sudo: creating users is an administrator's right; the user gets only the
        # service group, on this endpoint's company
        users_sudo = self.env["res.users"].sudo().with_context(no_reset_password=True)
        return users_sudo.create(
            {
                "name": self.env._("Interop: %(endpoint)s", endpoint=self.name),
                "login": f"interop-service-{self.company_id.id}-{self.code}",
                "company_id": self.company_id.id,
                "company_ids": [(6, 0, self.company_id.ids)],
                "groups_id": [
                    (
                        6,
                        0,
                        [
                            self.env.ref("base.group_user").id,
                            self.env.ref("interop.group_interop_service").id,
                        ],
                    )
                ],
            }
        )

    def action_suspend(self):
        self.write({"state": STATE_SUSPENDED})
        return True

    def action_retire(self):
        Retire = self.env["interop.endpoint.retire"]
        if Retire._needs_confirmation(self):
            # its waiting messages: say why they may be cancelled first
            self.check_access("write")
            return Retire._action_open(self)
        return self._action_lifecycle(
            STATE_RETIRED,
            self.env._(
                "Retire the endpoint: its exchanges end, and messages still waiting "
                "then are cancelled."
            ),
        )

    def _check_can_exchange(self):
        """Raise unless each endpoint of ``self`` is active: only those exchange."""
        inactive = self.filtered(lambda e: e.state != STATE_ACTIVE)
        if inactive:
            raise UserError(
                self.env._(
                    "%(endpoints)s is not active: only active endpoints exchange data.",
                    endpoints=", ".join(inactive.mapped("display_name")),
                )
            )
        return True
