# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import operator

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..errors import AlertFiring
from .interop_monitor_figure import Scope

_logger = logging.getLogger(__name__)

OPERATORS = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
OPEN_STATES = ("open", "in_progress")
#: the longest window a rule measures over (a window reaching before year 1 broke
#: every evaluation)
MAX_WINDOW_MINUTES = 366 * 24 * 60
#: what the evaluation records; nobody writes these through RPC
STATE_FIELDS = {
    "state",
    "last_value",
    "date_evaluated",
    "date_fired",
    "date_recovered",
    "exception_id",
    "date_emailed",
}
# The evaluation carries this object in its context to write STATE_FIELDS: an object
# cannot travel through RPC.
_EVALUATING = object()
EVALUATING_KEY = "interop_alert_evaluating"


class InteropAlertRule(models.Model):
    """A figure, a scope, a threshold over a window, and who is told.

    While the condition holds, the rule fires: one exception of category Alert, with
    one activity for its owner. The exception resolves itself when the condition
    clears; the next crossing opens a new one. Each firing and recovery is logged
    (``interop.alert.event``). Active rules change through approved change requests.
    """

    _name = "interop.alert.rule"
    _description = "Alert Rule"
    _inherit = ["mail.thread", "interop.governed.mixin"]
    _interop_governed_fields = (
        "active",
        "company_id",
        "figure",
        "endpoint_id",
        "event_type_id",
        "channel",
        "operator",
        "threshold",
        "window_minutes",
        "user_id",
        "team_id",
        "notify_email",
    )
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    figure = fields.Selection(
        selection="_selection_figure", required=True, tracking=True
    )
    endpoint_id = fields.Many2one(
        "interop.endpoint", check_company=True, tracking=True, help="Any when empty."
    )
    event_type_id = fields.Many2one(
        "interop.event.type", tracking=True, help="Any when empty."
    )
    channel = fields.Char(
        string="Job Channel",
        tracking=True,
        help="queue_job channel (e.g. root.interop) for the job figures; every "
        "channel when empty.",
    )
    operator = fields.Selection(
        [(">", "above"), (">=", "at or above"), ("<", "below"), ("<=", "at or below")],
        required=True,
        default=">",
        tracking=True,
    )
    threshold = fields.Float(required=True, tracking=True)
    window_minutes = fields.Integer(
        string="Window (minutes)",
        required=True,
        default=15,
        tracking=True,
        help="The figures over a period (messages, rates, latency) are measured "
        "over the last minutes.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        tracking=True,
        domain="[('share', '=', False)]",
    )
    team_id = fields.Many2one("interop.team", string="Owning Team", tracking=True)
    notify_email = fields.Boolean(
        string="Email the Owner",
        tracking=True,
        help="Also email the owner (or the team's lead and members) when the rule "
        "fires: one email per firing, and at most one an hour for a rule that "
        "keeps firing and recovering.",
    )
    description = fields.Text(help="Why this alert matters, what to check first.")
    state = fields.Selection(
        [("ok", "OK"), ("firing", "Firing")],
        default="ok",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    last_value = fields.Float(readonly=True, copy=False)
    date_evaluated = fields.Datetime(string="Last Evaluated", readonly=True, copy=False)
    date_fired = fields.Datetime(string="Last Fired", readonly=True, copy=False)
    date_recovered = fields.Datetime(string="Last Recovered", readonly=True, copy=False)
    date_emailed = fields.Datetime(string="Last Emailed", readonly=True, copy=False)
    exception_id = fields.Many2one(
        "interop.exception", string="Current Exception", readonly=True, copy=False
    )
    event_ids = fields.One2many("interop.alert.event", "rule_id", readonly=True)

    _sql_constraints = [
        (
            "window_positive",
            "CHECK(window_minutes > 0)",
            "The window of an alert rule is at least one minute.",
        ),
    ]

    @api.model
    def _selection_figure(self):
        return self.env["interop.monitor.figure"]._selection()

    @api.constrains("user_id", "team_id")
    def _check_owner(self):
        for rule in self:
            if not rule.user_id and not rule.team_id:
                raise ValidationError(
                    self.env._(
                        "Alert rule %(rule)s must name an owner or a team to notify.",
                        rule=rule.name,
                    )
                )

    @api.constrains("window_minutes")
    def _check_window(self):
        for rule in self:
            if rule.window_minutes > MAX_WINDOW_MINUTES:
                raise ValidationError(
                    self.env._(
                        "The window of alert rule %(rule)s is at most %(days)s days.",
                        rule=rule.name,
                        days=MAX_WINDOW_MINUTES // (24 * 60),
                    )
                )

    @api.constrains("figure", "endpoint_id", "event_type_id", "channel")
    def _check_scope(self):
        figures = self.env["interop.monitor.figure"]._get_figures()
        for rule in self:
            scopes = figures.get(rule.figure, {}).get("scopes", ())
            used = [
                (name, label)
                for name, label, value in (
                    ("endpoint", self.env._("an endpoint"), rule.endpoint_id),
                    ("event_type", self.env._("an event type"), rule.event_type_id),
                    ("channel", self.env._("a job channel"), rule.channel),
                )
                if value
            ]
            for name, label in used:
                if name not in scopes:
                    raise ValidationError(
                        self.env._(
                            "The figure of alert rule %(rule)s is not measured per "
                            "%(scope)s: leave it empty.",
                            rule=rule.name,
                            scope=label,
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        # a rule is born quiet: created "firing" on someone's exception, its first
        # evaluation would resolve that exception
        if any(STATE_FIELDS.intersection(vals) for vals in vals_list):
            raise AccessError(
                self.env._(
                    "Whether an alert fires is measured by Odoo, every minute: a new "
                    "rule starts quiet."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        # who may not write rules at all is told so first, whatever they write
        self.check_access("write")
        if STATE_FIELDS.intersection(vals) and (
            self.env.context.get(EVALUATING_KEY) is not _EVALUATING
        ):
            raise AccessError(
                self.env._(
                    "Whether an alert fires is measured by Odoo, every minute: it "
                    "cannot be written."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        if any(rule.active for rule in self):
            raise UserError(
                self.env._(
                    "An alert rule in use is archived through a change request before "
                    "it is deleted, so that silencing an alert is approved."
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_fired(self):
        # the log of its firings is kept (it would be deleted with the rule)
        if self.sudo().event_ids:
            raise UserError(
                self.env._(
                    "An alert rule that fired keeps its log of firings and "
                    "recoveries: it stays archived."
                )
            )

    def _interop_is_change_controlled(self):
        self.ensure_one()
        return self.active

    # Evaluation

    def _scope(self):
        self.ensure_one()
        return Scope(
            self.company_id,
            self.endpoint_id,
            self.event_type_id,
            self.channel or None,
            self.window_minutes,
        )

    def _write_state(self, vals):
        # sudo: the evaluation records what it measured, whoever runs the schedule
        return self.sudo().with_context(**{EVALUATING_KEY: _EVALUATING}).write(vals)

    @api.model
    def _cron_evaluate(self):
        rules = self.sudo().search([("active", "=", True)])
        for rule in rules:
            # one rule's failure (a figure of a module being upgraded...) leaves the
            # others evaluated
            try:
                with self.env.cr.savepoint():
                    rule._evaluate()
            except Exception as error:  # noqa: BLE001 - logged, the others run
                _logger.error(
                    "Interop alert rule %s could not be evaluated: %s",
                    rule.id,
                    type(error).__name__,
                )
        self.env["ir.cron"]._notify_progress(done=len(rules), remaining=0)

    def _evaluate(self):
        """Measure the figure; fire, stay quiet or recover."""
        self.ensure_one()
        rule = self.sudo()
        value = self.env["interop.monitor.figure"]._value(rule.figure, rule._scope())
        holds = OPERATORS[rule.operator](value, rule.threshold)
        now = fields.Datetime.now()
        vals = {"last_value": value, "date_evaluated": now}
        if holds:
            if rule.state != "firing" or rule.exception_id.state not in OPEN_STATES:
                rule._fire(value)
        elif rule.state == "firing":
            rule._recover(value)
        rule._write_state(vals)
        return holds

    def _condition_label(self):
        self.ensure_one()
        figure = dict(self._selection_figure()).get(self.figure, self.figure)
        return self.env._(
            "%(figure)s %(operator)s %(threshold)s",
            figure=figure,
            operator=dict(self._fields["operator"]._description_selection(self.env))[
                self.operator
            ],
            threshold=f"{self.threshold:g}",
        )

    def _fire(self, value):
        error = AlertFiring(
            self.env._(
                "Alert %(rule)s: %(condition)s",
                rule=self.name,
                condition=self._condition_label(),
            ),
            suggested_action=self.description or None,
            owner=self.user_id or self.team_id or None,
        )
        exception = (
            self.env["interop.exception"]
            .sudo()
            .with_company(self.company_id)
            ._open(error, endpoint=self.endpoint_id, event_type=self.event_type_id)
        )
        now = fields.Datetime.now()
        exception.message_post(
            body=self.env._(
                "Measured %(value)s (threshold %(threshold)s, over %(window)s min).",
                value=f"{value:g}",
                threshold=f"{self.threshold:g}",
                window=self.window_minutes,
            ),
            subtype_xmlid="mail.mt_note",
        )
        vals = {"state": "firing", "date_fired": now, "exception_id": exception.id}
        if self.notify_email and exception._monitor_email_owner(
            self.user_id or self.team_id, self.date_emailed
        ):
            vals["date_emailed"] = now
        self._write_state(vals)
        self.env["interop.alert.event"]._log(self, "fired", value, exception)
        _logger.info("Interop alert rule %s fired", self.id)

    def _recover(self, value):
        exception = self.exception_id
        exception._close(
            "resolved",
            self.env._(
                "The alert cleared: %(value)s is no longer %(condition)s.",
                value=f"{value:g}",
                condition=self._condition_label(),
            ),
        )
        self._write_state({"state": "ok", "date_recovered": fields.Datetime.now()})
        self.env["interop.alert.event"]._log(self, "recovered", value, exception)
        _logger.info("Interop alert rule %s recovered", self.id)

    def action_view_exceptions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Alert Exceptions"),
            "res_model": "interop.exception",
            "view_mode": "list,form",
            "domain": [("id", "in", self.event_ids.exception_id.ids)],
            "context": {"create": False},
        }

    def action_open_figure(self):
        """The list behind the rule's figure, on its scope."""
        self.ensure_one()
        action = self.env["interop.monitor.figure"]._action(self.figure, self._scope())
        if not action:
            raise UserError(self.env._("This figure has no list behind it."))
        return action
