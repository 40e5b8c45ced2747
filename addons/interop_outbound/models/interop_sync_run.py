# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

RUN_STATES = [
    ("running", "Running"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("interrupted", "Interrupted"),
]
#: lines of errors kept on a run (each failure also is an exception of its own)
ERRORS_KEPT = 50


class InteropSyncRun(models.Model):
    """One execution of a sync: what it read, created, updated and failed.

    Written by the sync only (nobody has write access); progress is committed with
    each chunk, so a run in progress shows how far it got.
    """

    _name = "interop.sync.run"
    _description = "Batch Sync Run"
    _order = "date_started desc, id desc"
    _rec_name = "sync_id"

    sync_id = fields.Many2one(
        "interop.sync", required=True, readonly=True, index=True, ondelete="restrict"
    )
    endpoint_id = fields.Many2one(related="sync_id.endpoint_id", store=True)
    company_id = fields.Many2one(related="sync_id.company_id", store=True, index=True)
    direction = fields.Selection(related="sync_id.direction")
    state = fields.Selection(
        RUN_STATES,
        default="running",
        required=True,
        readonly=True,
        index=True,
        help="Interrupted: the run stopped half-way (e.g. a restart); what it "
        "committed is kept and the next run went on from there.",
    )
    date_started = fields.Datetime(
        default=fields.Datetime.now, required=True, readonly=True
    )
    date_finished = fields.Datetime(readonly=True)
    total_count = fields.Integer(
        string="Total", readonly=True, help="Items or records to handle, when known."
    )
    read_count = fields.Integer(string="Read", readonly=True)
    created_count = fields.Integer(
        string="Created",
        readonly=True,
        help="Pull: records created in Odoo. Push: records queued for delivery.",
    )
    updated_count = fields.Integer(string="Updated", readonly=True)
    failed_count = fields.Integer(string="Failed", readonly=True)
    done_count = fields.Integer(
        string="Done", compute="_compute_progress", help="Items or records handled."
    )
    progress = fields.Float(compute="_compute_progress")
    watermark_start = fields.Char(readonly=True)
    watermark_end = fields.Char(readonly=True)
    errors = fields.Text(
        readonly=True, help="What failed, in words (each is also an exception)."
    )
    message_ids = fields.One2many(
        "interop.message", "sync_run_id", string="Calls", readonly=True
    )

    @api.depends("read_count", "total_count")
    def _compute_progress(self):
        for run in self:
            run.done_count = run.read_count
            total = max(run.total_count, run.read_count)
            run.progress = 100.0 * run.read_count / total if total else 0.0

    @api.model_create_multi
    @api.private
    def create(self, vals_list):
        return super().create(vals_list)

    def _add_counts(self, read=0, created=0, updated=0, failed=0):
        self.ensure_one()
        self.sudo().write(
            {
                "read_count": self.read_count + read,
                "created_count": self.created_count + created,
                "updated_count": self.updated_count + updated,
                "failed_count": self.failed_count + failed,
            }
        )

    def _add_error(self, line):
        self.ensure_one()
        lines = (self.errors or "").splitlines()
        if len(lines) < ERRORS_KEPT:
            self.sudo().errors = "\n".join([*lines, line])

    def _finish(self, state, error=None):
        for run in self:
            if error:
                run._add_error(error)
            run.sudo().write(
                {
                    "state": state,
                    "date_finished": fields.Datetime.now(),
                    "watermark_end": run.sync_id.watermark,
                }
            )

    def _interrupt(self):
        self._finish(
            "interrupted",
            error=self.env._(
                "The run stopped before its end; the next run resumed after its last "
                "committed chunk."
            ),
        )
