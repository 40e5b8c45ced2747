# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import math
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

#: hours after which a record on its way counts as stuck, when its parameter is not
#: set, empty or not a number
DEFAULT_STUCK_HOURS = 24.0


class Hours(fields.Float):
    """A lag in hours that does not exist yet while a milestone is missing: NULL in
    the database (``False`` or ``None`` given), so that PostgreSQL's ``AVG``, the
    measure of the flows' dashboards, counts only the records that reached both
    milestones (Odoo's ``Float`` stores 0 for them: an order not paid yet would
    count as one paid at once). Read as 0, as a ``Float``."""

    def convert_to_column(self, value, record, values=None, validate=True):
        if value is None or value is False:
            return None
        return super().convert_to_column(value, record, values, validate)

    def convert_to_column_update(self, value, record):
        # Float's goes through the record's value, which is 0 for None
        if value is None or value is False:
            return None
        return super().convert_to_column_update(value, record)

    def convert_to_cache(self, value, record, validate=True):
        if value is None or value is False:
            return None
        return super().convert_to_cache(value, record, validate)


def hours_between(start, end):
    """The hours from one milestone of a flow to the next, for its lag fields
    (:class:`Hours`): ``False`` while either milestone is not reached."""
    if not start or not end:
        return False
    return round((end - start).total_seconds() / 3600.0, 2)


class InteropFlowMixin(models.AbstractModel):
    """A business record the message log carries from system to system (a visit on
    its way to cash, a supply order on its way to the bank).

    Its messages are those of its business key in its company; its exceptions
    those too (``_exception_domain`` may add more). It is stuck when it stays in one
    of ``_interop_flow_open_states`` past the hours of the system parameter
    ``_interop_flow_stuck_param``, counted from ``_interop_flow_stuck_field``.
    ``_lock`` serialises the processing of one record across drains.
    """

    _name = "interop.flow.mixin"
    _description = "Record Carried by Messages"

    #: the states of a record on its way (where it can be stuck)
    _interop_flow_open_states = ()
    #: the date from which a record in an open state waits
    _interop_flow_stuck_field = "date_received"
    #: the system parameter of the hours after which it is stuck
    _interop_flow_stuck_param = None
    #: each lag field (:class:`Hours`, ``compute="_compute_lags"``) and the two
    #: milestones (date fields) it is measured between
    _interop_flow_lags = {}

    is_stuck = fields.Boolean(compute="_compute_is_stuck", search="_search_is_stuck")
    interop_message_count = fields.Integer(compute="_compute_interop_counts")
    interop_exception_count = fields.Integer(compute="_compute_interop_counts")

    @api.depends(
        lambda self: sorted(
            {date for pair in self._interop_flow_lags.values() for date in pair}
        )
    )
    def _compute_lags(self):
        for record in self:
            for lag, (start, end) in self._interop_flow_lags.items():
                record[lag] = hours_between(record[start], record[end])

    def _interop_flow_clear_unreached_lags(self):
        """For an upgrade from lags stored as 0 while a milestone was missing: empty
        (NULL) where one is, as :meth:`_compute_lags` now leaves them."""
        for lag, (start, end) in self._interop_flow_lags.items():
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET %s = NULL WHERE %s IS NULL OR %s IS NULL",
                    SQL.identifier(self._table),
                    SQL.identifier(lag),
                    SQL.identifier(start),
                    SQL.identifier(end),
                )
            )

    @api.model
    def _stuck_cutoff(self):
        """Records on their way since before this moment are stuck."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(self._interop_flow_stuck_param, "")
        )
        try:
            hours = float(value)
        except ValueError:  # empty or not a number: what an administrator typed
            hours = DEFAULT_STUCK_HOURS
        if not math.isfinite(hours):  # "nan", "inf": no moment to compare with
            hours = DEFAULT_STUCK_HOURS
        return fields.Datetime.now() - timedelta(hours=hours)

    def _compute_is_stuck(self):
        cutoff = self._stuck_cutoff()
        since = self._interop_flow_stuck_field
        for record in self:
            record.is_stuck = bool(
                record.state in self._interop_flow_open_states
                and record[since]
                and record[since] < cutoff
            )

    def _search_is_stuck(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(
                self.env._(
                    "%(records)s are searched as stuck or not stuck.",
                    records=self._description,
                )
            )
        stuck = [
            ("state", "in", self._interop_flow_open_states),
            (self._interop_flow_stuck_field, "<", self._stuck_cutoff()),
        ]
        return stuck if (operator == "=") == value else ["!", "&", *stuck]

    def _message_domain(self):
        self.ensure_one()
        return [
            ("business_key", "=", self.name),
            ("company_id", "=", self.company_id.id),
        ]

    def _exception_domain(self):
        return self._message_domain()

    def _compute_interop_counts(self):
        Message = self.env["interop.message"]
        Exception_ = self.env["interop.exception"]
        for record in self:
            record.interop_message_count = Message.search_count(
                record._message_domain()
            )
            record.interop_exception_count = Exception_.search_count(
                record._exception_domain()
            )

    def action_view_interop_messages(self):
        return self._interop_flow_action(
            "interop.interop_message_action", self._message_domain()
        )

    def action_view_interop_exceptions(self):
        return self._interop_flow_action(
            "interop.interop_exception_action", self._exception_domain()
        )

    def _interop_flow_action(self, xmlid, domain):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action.update(domain=domain, context={})
        return action

    def _lock(self):
        """Serialise the processing of these records: two deliveries of one status
        never bill, ship or invoice twice."""
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE id IN %s FOR NO KEY UPDATE",
                SQL.identifier(self._table),
                tuple(self.ids),
            )
        )
        self.invalidate_recordset()
