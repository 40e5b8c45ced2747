# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

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
