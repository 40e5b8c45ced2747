# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import namedtuple

from odoo import api, fields, models
from odoo.tools import SQL

from ..message_state import QUEUED, REJECTED
from ..payload import dumps_body

#: what :meth:`InteropMessage._intake` stored: the message's id, its correlation
#: id, its state (queued or rejected), whether a pending drain takes it
Intake = namedtuple("Intake", "id correlation_id state drain_pending")


class InteropMessageIntake(models.AbstractModel):
    """How a message enters the log: stored received (``_log_message``), or
    validated and queued in one statement (``_log_queued``) by the one intake path
    of the gateway and the server (``_intake``). Inherited by ``interop.message``."""

    _name = "interop.message.intake"
    _description = "Message Intake"

    @api.model
    def _log_message(
        self, endpoint, event_type, body, direction="inbound", **extra_vals
    ):
        """Store a message and its encrypted payload; return it (state received).

        ``body`` is the raw payload (bytes/str) or a JSON-serialisable object.
        """
        if not isinstance(body, (bytes, str)):
            body = dumps_body(body)
        vals = {
            "direction": direction,
            "endpoint_id": endpoint.id,
            "event_type_id": event_type.id if event_type else False,
            "event_version": event_type.version if event_type else 0,
            **self._prepare_payload_vals(body),
            **extra_vals,
        }
        return self.sudo().create([vals])

    @api.model
    def _log_queued(
        self,
        endpoint_id,
        company_id,
        event_type_id,
        event_version,
        body,
        idempotency_key=None,
        business_key=None,
        skip_duplicate=True,
        **extra_vals,
    ):
        """Store a valid inbound message straight in the queued state, in one
        statement; return ``(id, correlation id, drain pending)``, or None when the
        endpoint already sent a message with this idempotency key (the row is not
        inserted; with ``skip_duplicate`` False the database refuses it instead).
        *drain pending*: whether a job that has not started yet will take the
        message (the same statement looks, see ``interop.message.dispatch``).

        The same row as :meth:`_log_message` then :meth:`_validate` and
        :meth:`_set_state` would write, without their three statements and the ORM's
        bookkeeping: the columns and their defaults come from the model (its fields,
        their defaults, ``ir.default``), so a field another module adds with a
        default is written too, and a stored computed field is computed (flushed
        with the transaction's other writes). The caller dispatches the message
        (:meth:`_dispatch_new`).
        """
        # sudo, in the message's company: the user defaults (ir.default) of the
        # caller, without a query to check the company
        vals = (
            self.sudo()
            .with_company(company_id)
            ._add_missing_default_values(
                {
                    **extra_vals,
                    "direction": "inbound",
                    "endpoint_id": endpoint_id,
                    "company_id": company_id,
                    "event_type_id": event_type_id,
                    "event_version": event_version,
                    "state": QUEUED,
                    "business_key": business_key or False,
                    "idempotency_key": idempotency_key or False,
                    **self._prepare_payload_vals(body),
                }
            )
        )
        now = fields.Datetime.now()
        vals.update(create_uid=self.env.uid, write_uid=self.env.uid)
        vals.update(create_date=now, write_date=now)
        columns, values, later = [], [], {}
        for name, value in vals.items():
            field = self._fields[name]
            if field.store and field.column_type:
                columns.append(SQL.identifier(name))
                values.append(field.convert_to_column_insert(value, self, vals))
            elif value:
                later[name] = value  # a many2many default, say: through the ORM
        self.env.cr.execute(
            SQL(
                """
                WITH inserted AS (
                INSERT INTO interop_message (%(columns)s) VALUES (%(values)s)
                %(on_conflict)s
                RETURNING id
                )
                SELECT inserted.id, %(drain_pending)s FROM inserted
                """,
                columns=SQL(", ").join(columns),
                values=SQL(", ").join(SQL("%s", value) for value in values),
                on_conflict=SQL(
                    "ON CONFLICT ON CONSTRAINT interop_message_idempotency_uniq"
                    " DO NOTHING"
                )
                if skip_duplicate
                else SQL(),
                drain_pending=self.env["interop.message.dispatch"]._drain_pending_sql(
                    self.env["interop.event.type"].browse(event_type_id)
                ),
            ),
            # a concurrent duplicate is expected: the caller answers it, and the
            # failed statement would quote its values (business, idempotency keys)
            log_exceptions=not skip_duplicate,
        )
        row = self.env.cr.fetchone()
        if not row:
            return None
        message = self.browse(row[0])
        for field in self._intake_computed_fields():
            if field.name not in vals:
                self.env.add_to_compute(field, message)
        if later:
            message.sudo().write(later)
        return row[0], vals["correlation_id"], row[1]

    @api.model
    def _intake_computed_fields(self):
        """The stored computed fields of the model (:meth:`_log_queued` has them
        computed unless it writes them)."""
        return [
            field for field in self._fields.values() if field.store and field.compute
        ]

    @api.model
    def _intake(
        self,
        endpoint,
        event_type,
        body,
        payload,
        violations=None,
        skip_duplicate=True,
        **vals,
    ):
        """The one way an inbound message enters the log: the gateway's and the
        server's (:meth:`_receive`, ``interop.endpoint._receive_event``).

        ``endpoint`` and ``event_type``: records, or the gateway's profiles of them
        (their ``id``, ``company_id``, ``version``); ``body``: the raw payload (bytes
        or str), ``payload``: it parsed; ``violations``: what its contract finds
        wrong in it (None: checked here); ``vals``: more values of the message
        (``idempotency_key``, ``business_key``, ...).

        A payload that breaks its contract is stored rejected with these violations,
        and does not take the idempotency key (the sender corrects it and sends it
        again with the same key). A valid one is stored queued in one statement
        (:meth:`_log_queued`) and dispatched.

        Returns an :data:`Intake`, or None when the endpoint already sent a message
        with this idempotency key (nothing stored; with ``skip_duplicate`` False
        the database refuses it).
        """
        if violations is None:
            violations = event_type._validate_payload(payload)
        if violations:
            vals.pop("idempotency_key", None)
            message = self._log_message(endpoint, event_type, body, **vals)
            message._reject(violations)
            return Intake(message.id, message.correlation_id, REJECTED, False)
        company = endpoint.company_id
        logged = self._log_queued(
            endpoint.id,
            company.id if isinstance(company, models.BaseModel) else company,
            event_type.id,
            event_type.version,
            body,
            skip_duplicate=skip_duplicate,
            **vals,
        )
        if logged is None:
            return None
        message_id, correlation_id, drain_pending = logged
        # sudo: the job runs the message's own steps; its handler runs as the
        # service user (_call_handler)
        self.sudo()._dispatch_new(
            self.env["interop.event.type"].sudo().browse(event_type.id),
            message_id,
            drain_pending=drain_pending,
        )
        return Intake(message_id, correlation_id, QUEUED, drain_pending)

    @api.model
    def _receive(self, endpoint, event_type, payload, **extra_vals):
        """Log an inbound ``payload`` (parsed JSON), validate it, and queue it
        (:meth:`_intake`).

        Returns the message: queued when valid, rejected (with the reasons) when not.
        """
        body = dumps_body(payload)
        extra_vals.setdefault("business_key", event_type._extract_business_key(payload))
        extra_vals.setdefault(
            "idempotency_key", event_type._extract_idempotency_key(payload)
        )
        intake = self._intake(
            endpoint, event_type, body, payload, skip_duplicate=False, **extra_vals
        )
        return self.browse(intake.id)
