# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import json
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

#: previous_hash of the first entry of the chain
GENESIS_HASH = "0" * 64

#: key of the transaction-level advisory lock that puts appends in one order
CHAIN_LOCK_KEY = 7_316_847_001

#: PostgreSQL setting that lets a DBA update or delete entries (see ``init``)
MAINTENANCE_SETTING = "interop.audit_maintenance"

#: rows read per query when the chain is verified
VERIFY_BATCH_SIZE = 5000

#: columns covered by the hash, in the order of ``_chain_payload``
CHAINED_COLUMNS = (
    "sequence",
    "date",
    "event",
    "user_id",
    "company_id",
    "res_model",
    "res_id",
    "record_name",
    "summary",
    "details",
    "previous_hash",
)

EVENTS = [
    ("change_request", "Change Requested"),
    ("change_approved", "Change Approved"),
    ("change_rejected", "Change Rejected"),
    ("change_applied", "Change Applied"),
    ("credential_set", "Credential Set"),
    ("credential_rotated", "Credential Rotated"),
    ("credential_revoked", "Credential Revoked"),
    ("api_key_generated", "API Key Generated"),
    ("api_key_revoked", "API Key Revoked"),
    ("phi_viewed", "PHI Viewed"),
    ("message_replayed", "Message Replayed"),
    ("message_cancelled", "Message Cancelled"),
    ("message_released", "Held Message Released"),
    ("exception_dismissed", "Exception Dismissed"),
    ("exception_resolved", "Exception Resolved"),
    ("endpoint_state", "Endpoint Lifecycle"),
    ("key_rotation", "Encryption Key Rotation"),
    ("other", "Other"),
]


def compute_hash(values):
    """SHA-256 (hex) of the canonical JSON of an entry's chained ``values``.

    ``values`` maps each name of :data:`CHAINED_COLUMNS` to its stored value;
    empty values (``False``, ``""``, ``0`` ids) count as ``None`` so that what
    is hashed when appending is what is read back when verifying.
    """
    payload = {}
    for name in CHAINED_COLUMNS:
        value = values.get(name) or None
        if name == "date" and value:
            value = value.isoformat()
        payload[name] = value
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class InteropAuditEntry(models.Model):
    """One governance event, chained to the previous one by its hash.

    The trail is append-only: entries are added by :meth:`_log` only, the ORM
    refuses to change or delete them, and a database trigger refuses UPDATE,
    DELETE and TRUNCATE from any SQL client that does not explicitly set the
    maintenance setting. Whatever bypasses both breaks the hash chain, which
    :meth:`_verify_chain` detects.
    """

    _name = "interop.audit.entry"
    _description = "Audit Trail Entry"
    _order = "id desc"
    _rec_name = "summary"

    sequence = fields.Integer(readonly=True)
    date = fields.Datetime(default=fields.Datetime.now, readonly=True, index=True)
    event = fields.Selection(EVENTS, readonly=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        default=lambda self: self.env.user,
        readonly=True,
        index=True,
        ondelete="restrict",
    )
    company_id = fields.Many2one(
        "res.company", readonly=True, index=True, ondelete="restrict"
    )
    res_model = fields.Char(string="Model", readonly=True, index=True)
    res_id = fields.Integer(string="Record ID", readonly=True)
    res_ref = fields.Reference(
        selection="_selection_res_ref",
        string="Record",
        compute="_compute_res_ref",
    )
    record_name = fields.Char(
        readonly=True, help="Name of the record when the event happened."
    )
    summary = fields.Char(readonly=True)
    details = fields.Text(
        readonly=True,
        help="JSON: what changed (e.g. field names, states), never a secret or PHI.",
    )
    ip_address = fields.Char(
        string="Origin",
        readonly=True,
        help="IP address of the request the event came from, when there was one.",
    )
    previous_hash = fields.Char(readonly=True)
    hash = fields.Char(readonly=True, help="SHA-256 of this entry and previous_hash.")

    _sql_constraints = [
        (
            "sequence_uniq",
            "unique(sequence)",
            "Two audit trail entries cannot have the same sequence number.",
        ),
        (
            "previous_hash_uniq",
            "unique(previous_hash)",
            "Two audit trail entries cannot follow the same entry.",
        ),
    ]

    def init(self):
        # Last line of defence below the ORM: only someone with direct SQL access
        # to the database (a DBA) can change entries, by running
        # ``SET LOCAL interop.audit_maintenance = 'on'`` in their transaction; the
        # hash chain then shows what was changed. A field added later must not fill
        # existing rows (no default, or a migration that sets that switch).
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE FUNCTION interop_audit_entry_refuse_change()
                RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF current_setting(%(setting)s, true) = 'on' THEN
                        IF TG_OP = 'DELETE' THEN
                            RETURN OLD;
                        END IF;
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION USING
                        ERRCODE = 'insufficient_privilege',
                        MESSAGE = 'The Interop audit trail is append-only: '
                            || TG_OP || ' refused.';
                END;
                $$;
                DROP TRIGGER IF EXISTS interop_audit_entry_append_only
                    ON interop_audit_entry;
                CREATE TRIGGER interop_audit_entry_append_only
                    BEFORE UPDATE OR DELETE ON interop_audit_entry
                    FOR EACH ROW EXECUTE FUNCTION interop_audit_entry_refuse_change();
                DROP TRIGGER IF EXISTS interop_audit_entry_no_truncate
                    ON interop_audit_entry;
                CREATE TRIGGER interop_audit_entry_no_truncate
                    BEFORE TRUNCATE ON interop_audit_entry
                    FOR EACH STATEMENT
                    EXECUTE FUNCTION interop_audit_entry_refuse_change();
                """,
                setting=MAINTENANCE_SETTING,
            )
        )

    @api.model
    def _selection_res_ref(self):
        models_sudo = self.env["ir.model"].sudo().search([("transient", "=", False)])
        return [(model.model, model.name) for model in models_sudo]

    @api.depends("res_model", "res_id")
    def _compute_res_ref(self):
        for entry in self:
            if entry.res_model in self.env and entry.res_id:
                entry.res_ref = f"{entry.res_model},{entry.res_id}"
            else:
                entry.res_ref = False

    @api.model_create_multi
    @api.private
    def create(self, vals_list):  # pylint: disable=method-required-super
        # Entries are appended by _log only, which chains them under a lock.
        raise UserError(
            self.env._(
                "Audit trail entries are recorded by Interop itself; they cannot be "
                "created by hand."
            )
        )

    def write(self, vals):  # pylint: disable=method-required-super
        # append-only: no entry is ever changed through the ORM, whoever asks
        raise UserError(
            self.env._(
                "The audit trail is append-only: its entries cannot be changed, "
                "not even by an administrator."
            )
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_append_only(self):
        raise UserError(
            self.env._(
                "The audit trail is append-only: its entries cannot be deleted, "
                "not even by an administrator."
            )
        )

    def action_verify_chain(self):
        """Open the verification of the whole chain, whatever is selected."""
        return self.env["interop.audit.verify"].create({}).action_verify()

    @api.model
    def _log(self, event, record=None, summary="", details=None):
        """Append one entry to the audit trail and return it.

        :param event: a key of ``EVENTS``
        :param record: the record the event is about (one record), if any; its
            display name and company are captured now
        :param summary: human words about what happened; never a secret, a
            credential or a PHI value: auditors and exports see it
        :param details: optional JSON-serialisable dict (e.g. the names of the
            changed fields, old and new states); never a secret or PHI value
        """
        if event not in dict(EVENTS):
            raise UserError(
                self.env._("Unknown audit trail event %(event)r.", event=event)
            )
        res_model = res_id = record_name = company_id = None
        if record:
            record.ensure_one()
            # sudo: the name and company are captured even when the acting user
            # (e.g. a service user) may not read them
            record_sudo = record.sudo()
            res_model, res_id = record._name, record.id
            record_name = record_sudo.display_name
            company_field = record._fields.get("company_id")
            if company_field and company_field.comodel_name == "res.company":
                company_id = record_sudo.company_id.id or None
        ip_address = None
        if request and getattr(request, "httprequest", None):
            ip_address = request.httprequest.remote_addr

        cr = self.env.cr
        cr.execute(SQL("SELECT pg_advisory_xact_lock(%s)", CHAIN_LOCK_KEY))
        cr.execute(
            SQL(
                "SELECT sequence, hash FROM interop_audit_entry "
                "ORDER BY sequence DESC LIMIT 1"
            )
        )
        last = cr.fetchone()
        values = {
            "sequence": last[0] + 1 if last else 1,
            "date": fields.Datetime.now(),
            "event": event,
            "user_id": self.env.uid,
            "company_id": company_id,
            "res_model": res_model,
            "res_id": res_id,
            "record_name": record_name,
            "summary": summary or None,
            "details": json.dumps(details, sort_keys=True) if details else None,
            "previous_hash": last[1] if last else GENESIS_HASH,
        }
        values["hash"] = compute_hash(values)
        # Raw INSERT rather than create(): Odoo's transactions are REPEATABLE READ,
        # so a transaction that waited for the lock may not see the entry just
        # appended by the other one. ON CONFLICT then makes PostgreSQL raise a
        # serialization failure, which Odoo retries, instead of forking the chain.
        cr.execute(
            SQL(
                """
                INSERT INTO interop_audit_entry (
                    sequence, date, event, user_id, company_id, res_model, res_id,
                    record_name, summary, details, ip_address, previous_hash, hash,
                    create_uid, create_date, write_uid, write_date
                ) VALUES (
                    %(sequence)s, %(date)s, %(event)s, %(user_id)s, %(company_id)s,
                    %(res_model)s, %(res_id)s, %(record_name)s, %(summary)s,
                    %(details)s, %(ip_address)s, %(previous_hash)s, %(hash)s,
                    %(user_id)s, %(date)s, %(user_id)s, %(date)s
                )
                ON CONFLICT DO NOTHING
                RETURNING id
                """,
                ip_address=ip_address,
                **values,
            )
        )
        row = cr.fetchone()
        if not row:
            raise UserError(
                self.env._(
                    "The audit trail changed while this event was recorded; please "
                    "try again."
                )
            )
        return self.browse(row[0])

    @api.model
    def _verify_chain(self, batch_size=VERIFY_BATCH_SIZE):
        """Recompute the whole chain, in sequence order.

        Returns a dict: ``ok``, ``checked`` (entries found intact before the first
        break), ``first_broken_sequence`` and ``reason`` (both ``None`` when
        intact), ``last_sequence`` and ``last_hash`` of the chain (keep them
        elsewhere to detect the removal of the newest entries).
        """
        cr = self.env.cr
        result = {
            "ok": True,
            "checked": 0,
            "first_broken_sequence": None,
            "reason": None,
            "last_sequence": 0,
            "last_hash": GENESIS_HASH,
        }
        columns = SQL(", ").join(SQL.identifier(name) for name in CHAINED_COLUMNS)
        while True:
            cr.execute(
                SQL(
                    "SELECT %s, hash FROM interop_audit_entry WHERE sequence > %s "
                    "ORDER BY sequence LIMIT %s",
                    columns,
                    result["last_sequence"],
                    batch_size,
                )
            )
            rows = cr.dictfetchall()
            for row in rows:
                broken = self._check_link(row, result)
                if broken:
                    result.update(ok=False, **broken)
                    _logger.info(
                        "Interop audit trail broken at sequence %s",
                        broken["first_broken_sequence"],
                    )
                    return result
                result["checked"] += 1
                result["last_sequence"] = row["sequence"]
                result["last_hash"] = row["hash"]
            if len(rows) < batch_size:
                return result

    def _check_link(self, row, previous):
        """Return what breaks the chain at ``row``, if anything."""
        expected = previous["last_sequence"] + 1
        if row["sequence"] != expected:
            return {
                "first_broken_sequence": expected,
                "reason": self.env._(
                    "Entry %(expected)s is missing: the entry after %(previous)s is "
                    "%(found)s.",
                    expected=expected,
                    previous=previous["last_sequence"],
                    found=row["sequence"],
                ),
            }
        if row["previous_hash"] != previous["last_hash"]:
            return {
                "first_broken_sequence": row["sequence"],
                "reason": self.env._(
                    "Entry %(sequence)s does not follow the entry before it: the "
                    "previous entry was changed or replaced.",
                    sequence=row["sequence"],
                ),
            }
        if compute_hash(row) != row["hash"]:
            return {
                "first_broken_sequence": row["sequence"],
                "reason": self.env._(
                    "Entry %(sequence)s was changed after it was recorded.",
                    sequence=row["sequence"],
                ),
            }
        return None
