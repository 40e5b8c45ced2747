# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.interop.message_state import DONE, QUEUED
from odoo.addons.interop.models.interop_event_type import MASK

HL7_CONTENT_TYPE = "x-application/hl7-v2+er7"
X12_CONTENT_TYPE = "application/edi-x12"
#: header fields of an HL7 message that carry no PHI: separators, applications,
#: facilities, date, message type, control id, processing id, version
HL7_SHOWN_HEADER_FIELDS = 12
#: X12 envelope segments: routing and counts, no PHI
X12_SHOWN_SEGMENTS = ("ISA", "GS", "ST", "SE", "GE", "IEA")


def mask_er7(text):
    """The structure of an HL7 v2 text for readers without PHI access: each
    segment's id and the position of its fields, every value masked but the
    header's routing fields."""
    lines = []
    for segment in text.replace("\n", "\r").split("\r"):
        if not segment:
            continue
        seg_id = segment[:3]
        separator = segment[3:4] or "|"
        # a header's first value is its encoding characters (MSH-2)
        fields_ = segment[4:].split(separator)
        shown = HL7_SHOWN_HEADER_FIELDS - 1 if seg_id in ("MSH", "BHS", "FHS") else 0
        masked = [
            value if index < shown or not value else MASK
            for index, value in enumerate(fields_)
        ]
        lines.append(seg_id + separator + separator.join(masked))
    return "\n".join(lines)


def mask_x12(text):
    """The structure of an X12 text for readers without PHI access: envelopes
    shown, every element of the other segments masked."""
    terminator = text[105:106] if text.startswith("ISA") else "~"
    separator = text[3:4] if text.startswith("ISA") else "*"
    lines = []
    for segment in text.split(terminator):
        segment = segment.strip()
        if not segment:
            continue
        elements = segment.split(separator)
        if elements[0] not in X12_SHOWN_SEGMENTS:
            elements = [elements[0]] + [MASK if e else e for e in elements[1:]]
        lines.append(separator.join(elements) + terminator)
    return "\n".join(lines)


MASKERS = {HL7_CONTENT_TYPE: mask_er7, X12_CONTENT_TYPE: mask_x12}


class InteropMessage(models.Model):
    _inherit = "interop.message"

    @api.depends_context("uid")
    def _compute_payload_display(self):
        """An original HL7 or X12 message is text: shown as it came (segment per
        line) to PHI readers, its structure with every value masked to others."""
        result = super()._compute_payload_display()
        can_see_phi = self.env.user.has_group("interop.group_interop_phi")
        for message in self:
            masker = MASKERS.get(message.content_type)
            if not masker or message.is_payload_pruned:
                continue
            payload = message._get_payload()
            if not isinstance(payload, str):
                continue
            if can_see_phi:
                message.payload_display = payload.replace("\r", "\n").strip()
            else:
                message.payload_display = masker(payload)
                message.is_payload_masked = True
        return result

    @api.model
    def _log_queued_many(
        self, endpoint_id, company_id, event_type_id, event_version, rows, **shared
    ):
        """:meth:`_log_queued` of many messages in one statement: ``rows`` are
        dicts of ``body``, ``idempotency_key`` and ``business_key``; ``shared``
        the values all have (``parent_id``, ``correlation_id``). The same columns
        and defaults; a duplicate idempotency key fails the statement (as
        ``skip_duplicate=False`` does). Returns the ids, in the order of ``rows``;
        the caller dispatches them."""
        Model = self.sudo().with_company(company_id)
        now = fields.Datetime.now()
        columns, values, laters = None, [], []
        for row in rows:
            vals = Model._add_missing_default_values(
                {
                    **shared,
                    "direction": "inbound",
                    "endpoint_id": endpoint_id,
                    "company_id": company_id,
                    "event_type_id": event_type_id,
                    "event_version": event_version,
                    "state": QUEUED,
                    "business_key": row["business_key"] or False,
                    "idempotency_key": row["idempotency_key"] or False,
                    **self._prepare_payload_vals(row["body"]),
                }
            )
            vals.update(create_uid=self.env.uid, write_uid=self.env.uid)
            vals.update(create_date=now, write_date=now)
            names = [
                name
                for name in vals
                if self._fields[name].store and self._fields[name].column_type
            ]
            # a many2many default, say: through the ORM once inserted
            laters.append(
                {
                    name: value
                    for name, value in vals.items()
                    if name not in names and value
                }
            )
            if columns is None:
                columns = names
            elif names != columns:
                raise ValueError("_log_queued_many: rows of other columns")
            values.append(
                SQL(
                    "(%s)",
                    SQL(", ").join(
                        SQL(
                            "%s",
                            self._fields[name].convert_to_column_insert(
                                vals[name], self, vals
                            ),
                        )
                        for name in columns
                    ),
                )
            )
        if not values:
            return []
        self.env.cr.execute(
            SQL(
                "INSERT INTO interop_message (%s) VALUES %s RETURNING id",
                SQL(", ").join(SQL.identifier(name) for name in columns),
                SQL(", ").join(values),
            ),
            log_exceptions=False,
        )
        # ids come from the sequence row by row, in the order of VALUES
        ids = sorted(row[0] for row in self.env.cr.fetchall())
        messages = self.browse(ids)
        for field in self._intake_computed_fields():
            if field.name not in columns:
                self.env.add_to_compute(field, messages)
        for message, later in zip(messages, laters, strict=True):
            if later:
                message.write(later)
        return ids

    @api.model
    def _log_original_with_child(
        self, endpoint_id, company_id, original, child, child_event_type
    ):
        """An accepted original message of a standard (stored done: accepted and
        handed over) and its one canonical event (its child, queued), in one
        statement: the rows :meth:`_log_queued` writes (the same columns and
        defaults), the child linked to its original and with its correlation id,
        and whether a drain of the child's event type is pending.

        ``original`` and ``child``: dicts of ``event_type_id``, ``event_version``,
        ``body``, ``idempotency_key``, ``business_key`` and more values of the row
        (``content_type``, ...); ``child_event_type``: the child's event type (a
        record or a contract: its id is what counts).

        The original's insert claims its idempotency key; when the endpoint already
        sent a message with it, neither row is inserted and None is returned
        (a duplicate key of the child fails the statement, as
        ``skip_duplicate=False`` does). Otherwise returns ``(original id, child
        id, correlation id, drain pending)``; the caller dispatches the child.
        """
        Model = self.sudo().with_company(company_id)
        now = fields.Datetime.now()
        # the defaults once for both rows: the same model, context and moment; the
        # correlation id among them is the one both carry
        defaults = Model._add_missing_default_values(
            {
                "direction": "inbound",
                "endpoint_id": endpoint_id,
                "company_id": company_id,
                "create_uid": self.env.uid,
                "write_uid": self.env.uid,
                "create_date": now,
                "write_date": now,
            }
        )
        rows = []
        for vals, own in (
            (original, {"state": DONE, "date_started": now, "date_finished": now}),
            (child, {"state": QUEUED}),
        ):
            vals = dict(vals)
            body = vals.pop("body")
            vals.update(
                own,
                business_key=vals.get("business_key") or False,
                idempotency_key=vals.get("idempotency_key") or False,
                **self._prepare_payload_vals(body),
            )
            rows.append({**defaults, **vals})
        original_vals, child_vals = rows
        original_vals["attempt_count"] = 1
        child_vals.pop("parent_id", None)  # the original's id, in the statement

        def columns_values(vals, cast):
            # one SQL object for the statement: a few dozen small ones and their
            # joins cost more than the rest of building it
            columns, placeholders, params, later = [], [], [], {}
            for name, value in vals.items():
                field = self._fields[name]
                if field.store and field.column_type:
                    columns.append(f'"{name}"')  # a field name: an identifier
                    params.append(field.convert_to_column_insert(value, self, vals))
                    # typed: the child's values are selected, not inserted as VALUES
                    placeholders.append(
                        f"CAST(%s AS {field.column_type[1]})" if cast else "%s"
                    )
                elif value:
                    later[name] = value  # a many2many default: through the ORM
            return ", ".join(columns), ", ".join(placeholders), params, later

        original_columns, original_values, original_params, original_later = (
            columns_values(original_vals, cast=False)
        )
        child_columns, child_values, child_params, child_later = columns_values(
            child_vals, cast=True
        )
        self.env.cr.execute(
            SQL(
                f"""
                WITH original AS (
                    INSERT INTO interop_message ({original_columns})
                    VALUES ({original_values})
                    ON CONFLICT ON CONSTRAINT interop_message_idempotency_uniq
                    DO NOTHING
                    RETURNING id
                ), child AS (
                    INSERT INTO interop_message ({child_columns}, parent_id)
                    SELECT {child_values}, original.id FROM original
                    RETURNING id
                )
                SELECT original.id, child.id, %s
                FROM original, child
                """,
                *original_params,
                *child_params,
                self.env["interop.message.dispatch"]._drain_pending_sql(
                    self.env["interop.event.type"].browse(child_event_type.id)
                ),
            ),
            # the statement would quote its values (business, idempotency keys)
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        if not row:
            return None
        original_id, child_id, drain_pending = row
        messages = self.browse([original_id, child_id])
        for field in self._intake_computed_fields():
            for message, vals in zip(messages, rows, strict=True):
                if field.name not in vals:
                    self.env.add_to_compute(field, message)
        for message, later in zip(messages, (original_later, child_later), strict=True):
            if later:
                message.sudo().write(later)
        return original_id, child_id, defaults["correlation_id"], drain_pending
