# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

BOOKED = "booked"
RESCHEDULED = "rescheduled"
MODIFIED = "modified"
CANCELLED = "cancelled"
STATES = [
    (BOOKED, "Booked"),
    (RESCHEDULED, "Rescheduled"),
    (MODIFIED, "Modified"),
    (CANCELLED, "Cancelled"),
]


class InteropAppointment(models.Model):
    """An appointment booked on a scheduling system (HL7 SIU), as it stands: the
    revenue cycle sees what is coming before the visit is completed."""

    _name = "interop.appointment"
    _description = "Appointment"
    _inherit = ["mail.thread"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Appointment ID",
        required=True,
        readonly=True,
        index=True,
        help="The appointment id of the scheduling system.",
    )
    endpoint_id = fields.Many2one(
        "interop.endpoint", required=True, readonly=True, check_company=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    state = fields.Selection(STATES, required=True, readonly=True, tracking=True)
    date_start = fields.Datetime(string="Start", readonly=True, tracking=True)
    duration_minutes = fields.Integer(string="Duration (min)", readonly=True)
    location_code = fields.Char(readonly=True)
    location_value = fields.Char(string="Location", readonly=True, tracking=True)
    service_code = fields.Char(readonly=True)
    product_id = fields.Many2one("product.product", string="Service", readonly=True)
    reason_code = fields.Char(readonly=True)
    visit_ref = fields.Char(string="Visit ID", readonly=True)
    patient_ref = fields.Char(
        string="Patient ID",
        readonly=True,
        help="The patient's identifier at the scheduling system (no name: the "
        "name stays in the encrypted message log).",
    )
    date_cancelled = fields.Datetime(string="Cancelled On", readonly=True)

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(company_id, endpoint_id, name)",
            "This appointment already exists for this endpoint.",
        ),
    ]

    @api.model
    def _interop_handle_appointment(self, message, payload):
        """appointment.booked / rescheduled / modified / cancelled: the appointment
        as the scheduling system now has it; its location and service codes are
        mapped through the endpoint's mapping tables."""
        state = message.event_type_id.code.rpartition(".")[2]
        data = payload["appointment"]
        endpoint = message.endpoint_id
        appointment = self.search(
            [
                ("name", "=", data["id"]),
                ("endpoint_id", "=", endpoint.id),
                ("company_id", "=", message.company_id.id),
            ],
            limit=1,
        )
        vals = {"state": state, "patient_ref": payload["patient"]["id"]}
        start = data.get("start")
        if start:
            vals["date_start"] = fields.Datetime.to_datetime(
                start.replace("T", " ").rstrip("Z")[:19]
            )
        on_date = (vals.get("date_start") or fields.Datetime.now()).date()
        Mapping = self.env["interop.mapping.table"]
        if data.get("location"):
            vals["location_code"] = data["location"]
            vals["location_value"] = Mapping._resolve(
                "location-codes", data["location"], on_date=on_date, endpoint=endpoint
            )
        if data.get("service_code"):
            vals["service_code"] = data["service_code"]
            vals["product_id"] = Mapping._resolve(
                "service-codes",
                data["service_code"],
                on_date=on_date,
                endpoint=endpoint,
            ).id
        for key, field in (
            ("duration_minutes", "duration_minutes"),
            ("reason_code", "reason_code"),
            ("visit_id", "visit_ref"),
        ):
            if data.get(key) is not None:
                vals[field] = data[key]
        if state == CANCELLED:
            vals["date_cancelled"] = fields.Datetime.now()
        if appointment:
            appointment.write(vals)
            return appointment
        return self.with_company(message.company_id).create(
            dict(
                vals,
                name=data["id"],
                endpoint_id=endpoint.id,
                company_id=message.company_id.id,
            )
        )
