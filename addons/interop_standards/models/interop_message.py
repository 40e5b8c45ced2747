# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.interop.message_state import QUEUED
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
