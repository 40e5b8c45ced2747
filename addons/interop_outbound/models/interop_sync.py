# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import threading

from psycopg2.errors import LockNotAvailable

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.interop.errors import (
    BusinessRuleError,
    InteropProcessingError,
    TransportError,
    unkept_error_detail,
)

from .interop_sync_push import UNSENT_FIELD_TYPES
from .interop_sync_run import RUN_STATES

#: what pulled items become: the modules that know add theirs (selection_add)
PULL_HANDLERS = []
INTERVAL_TYPES = [
    ("minutes", "Minutes"),
    ("hours", "Hours"),
    ("days", "Days"),
    ("weeks", "Weeks"),
    ("months", "Months"),
]
#: fields of a sync that its scheduled action mirrors
SCHEDULE_FIELDS = {"name", "active", "is_scheduled", "interval_number", "interval_type"}
#: chunks one execution handles before it hands over to the next (Odoo reruns the
#: scheduled action at once while work remains)
MAX_CHUNKS_PER_RUN = 20
#: models a push may read, whatever a module declares syncable: the settings,
#: the users and their rights, the companies and the vault
NEVER_SYNCED_PREFIXES = ("ir.", "res.users", "res.groups", "res.company", "base.")
NEVER_SYNCED_MODELS = ("interop.credential", "interop.credential.set")
#: the group a Run As user holds; an administrator's groups it never holds
RUN_AS_GROUP = "interop.group_interop_service"
RUN_AS_FORBIDDEN_GROUPS = ("base.group_system", "base.group_erp_manager")


class InteropSync(models.Model):
    """A scheduled batch exchange with an endpoint, chunk by chunk, resumable.

    A pull reads a remote resource page by page (cursor pagination) into Odoo; a
    push sends the records of a model changed since the last run. Each chunk is
    committed with the watermark it reached, so that a run that stops (a crash, a
    restart) resumes where it stopped, without gaps or duplicates.
    """

    _name = "interop.sync"
    _description = "Batch Sync"
    _inherit = [
        "mail.thread",
        "interop.governed.mixin",
        "interop.sync.pull",
        "interop.sync.push",
    ]
    # a scheduled sync is a running interface: what it moves changes through a
    # change request (pausing it, its watermark and its runs do not)
    _interop_governed_fields = (
        "user_id",
        "endpoint_id",
        "direction",
        "resource_path",
        "pull_handler",
        "model_id",
        "domain",
        "event_type_id",
        "credential_id",
        "chunk_size",
        "interval_number",
        "interval_type",
    )
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    endpoint_id = fields.Many2one(
        "interop.endpoint",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        related="endpoint_id.company_id", store=True, index=True, readonly=True
    )
    direction = fields.Selection(
        [("pull", "Pull into Odoo"), ("push", "Push from Odoo")],
        required=True,
        default="pull",
        tracking=True,
    )
    resource_path = fields.Char(
        required=True,
        tracking=True,
        help="Path under the endpoint's base URL: read page by page (pull), or "
        "where each chunk is sent (push).",
    )
    pull_handler = fields.Selection(
        PULL_HANDLERS,
        string="Pulls Into",
        # a default, so that the modules adding handlers may fall back on it
        # (ondelete "set default"); interop_supply makes it its catalog
        default=False,
        tracking=True,
        help="What the pulled items become in Odoo.",
    )
    model_id = fields.Many2one(
        "ir.model",
        ondelete="cascade",
        domain=lambda self: [("model", "in", self._get_syncable_models())],
        tracking=True,
        help="Records pushed (e.g. posted invoices and payments): one of the models "
        "the Interop modules declare syncable.",
    )
    model_name = fields.Char(related="model_id.model", string="Model Name")
    domain = fields.Char(
        default="[]", tracking=True, help="Which records of the model are pushed."
    )
    field_ids = fields.Many2many(
        "ir.model.fields",
        string="Fields Sent",
        domain="[('model_id', '=', model_id), ('ttype', 'not in', "
        f"{UNSENT_FIELD_TYPES!r})]",
        help="Sent with each record, besides its id and last change date.",
    )
    event_type_id = fields.Many2one(
        "interop.event.type",
        string="Contract",
        help="Event type whose schema each pushed chunk must satisfy.",
    )
    credential_id = fields.Many2one(
        "interop.credential",
        check_company=True,
        domain="[('endpoint_id', '=', endpoint_id), ('state', '=', 'active')]",
        groups="interop.group_interop_manager,interop.group_interop_auditor",
        help="Credential of the pulls; empty: the endpoint's outbound credential. "
        "Pushes are delivered with the endpoint's outbound credential.",
    )
    chunk_size = fields.Integer(default=100, tracking=True)
    watermark = fields.Char(
        copy=False,
        help="Where the next run starts: the remote's cursor (pull) or the last "
        "change sent (push). It advances with each committed chunk; clear it to "
        "start again from the beginning.",
    )
    date_watermark = fields.Datetime(
        string="Watermark Advanced On", readonly=True, copy=False
    )
    user_id = fields.Many2one(
        "res.users",
        string="Run As",
        required=True,
        copy=False,
        default=lambda self: self._default_user_id(),
        domain=lambda self: [
            ("share", "=", False),
            ("groups_id", "in", self.env.ref(RUN_AS_GROUP).ids),
        ],
        tracking=True,
        help="The dedicated user whose rights the records are read or written with: "
        "it holds the Interop Service Account group and no administrator's group. "
        "Give it only what the sync needs (e.g. managing products for a catalog). "
        "Only settings administrators choose it.",
    )
    is_scheduled = fields.Boolean(
        string="Scheduled", tracking=True, help="Run on the schedule below."
    )
    interval_number = fields.Integer(string="Every", default=1, tracking=True)
    interval_type = fields.Selection(
        INTERVAL_TYPES, default="days", required=True, tracking=True
    )
    cron_id = fields.Many2one(
        "ir.cron", string="Scheduled Action", readonly=True, copy=False
    )
    date_next_run = fields.Datetime(
        related="cron_id.nextcall", string="Next Run", readonly=True
    )
    run_ids = fields.One2many("interop.sync.run", "sync_id", string="Runs")
    last_run_id = fields.Many2one(
        "interop.sync.run", string="Latest Run", compute="_compute_last_run"
    )
    last_run_state = fields.Selection(
        RUN_STATES, string="Last Run", compute="_compute_last_run"
    )
    run_count = fields.Integer(compute="_compute_last_run")

    _sql_constraints = [
        (
            "chunk_size_positive",
            "CHECK(chunk_size > 0)",
            "The chunk size of a sync must be positive.",
        ),
        (
            "interval_positive",
            "CHECK(interval_number > 0)",
            "A sync runs at least every 1 interval.",
        ),
    ]

    @api.model
    def _default_user_id(self):
        return self.env.ref(
            "interop_outbound.user_interop_sync", raise_if_not_found=False
        )

    @api.model
    def _get_syncable_models(self):
        """Models a push may read: the modules of the suite declare theirs.

        An extension adds its models with ``return super()._get_syncable_models()
        + ("account.move",)``; the settings, the users, the companies and the
        vault are never synced, whatever is declared.
        """
        return ("res.partner",)

    @api.model
    def _is_syncable_model(self, model_name):
        return (
            model_name in self._get_syncable_models()
            and not model_name.startswith(NEVER_SYNCED_PREFIXES)
            and model_name not in NEVER_SYNCED_MODELS
        )

    @api.model
    def _is_run_as_user(self, user):
        """Whether ``user`` may be the Run As user of a sync: a dedicated user of
        the Interop service group, never an administrator nor the superuser."""
        user = user.sudo()
        return bool(
            user
            and user.id != SUPERUSER_ID
            and not user.share
            and user.has_group(RUN_AS_GROUP)
            and not any(user.has_group(group) for group in RUN_AS_FORBIDDEN_GROUPS)
        )

    def _interop_is_change_controlled(self):
        self.ensure_one()
        return self.active and self.is_scheduled

    def _interop_snapshot(self):
        # sudo: the snapshot (versions, change requests, which users read) holds the
        # id of the credential, a field for managers and auditors only
        return super(InteropSync, self.sudo())._interop_snapshot()

    @api.depends("run_ids.state")
    def _compute_last_run(self):
        Run = self.env["interop.sync.run"]
        for sync in self:
            runs = Run.search([("sync_id", "=", sync.id)]) if sync.id else Run
            sync.last_run_id = runs[:1]
            sync.last_run_state = runs[:1].state
            sync.run_count = len(runs)

    @api.constrains("direction", "model_id", "domain", "pull_handler", "endpoint_id")
    def _check_what_is_synced(self):
        for sync in self:
            if sync.endpoint_id.direction == "inbound":
                raise ValidationError(
                    self.env._(
                        "%(endpoint)s only sends data to Odoo: Odoo cannot call it.",
                        endpoint=sync.endpoint_id.display_name,
                    )
                )
            if sync.direction == "pull" and not sync.pull_handler:
                raise ValidationError(
                    self.env._("A pull needs to say what the items become.")
                )
            if sync.direction == "push":
                if not sync.model_id:
                    raise ValidationError(
                        self.env._("A push needs the model of the records it sends.")
                    )
                sync._get_push_domain()

    @api.constrains("user_id")
    def _check_run_as_user(self):
        for sync in self:
            if not self._is_run_as_user(sync.user_id):
                raise ValidationError(
                    self.env._(
                        "%(user)s cannot run %(sync)s: a sync runs as a dedicated user "
                        "of the Interop Service Account group, never as an "
                        "administrator.",
                        user=sync.user_id.sudo().display_name,
                        sync=sync.name,
                    )
                )

    @api.constrains("direction", "model_id", "domain", "user_id", "field_ids")
    def _check_push_readable(self):
        for sync in self.filtered(lambda s: s.direction == "push" and s.model_id):
            problem = sync._push_problem()
            if problem:
                raise ValidationError(problem)

    @api.constrains("credential_id", "endpoint_id")
    def _check_credential_of_endpoint(self):
        # sudo: the constraint holds whoever writes (the field is for managers)
        for sync in self.sudo():
            if (
                sync.credential_id
                and sync.credential_id.endpoint_id != sync.endpoint_id
            ):
                raise ValidationError(
                    self.env._(
                        "Credential %(credential)s belongs to %(owner)s: %(sync)s "
                        "calls %(endpoint)s only with a credential of that endpoint.",
                        credential=sync.credential_id.name,
                        owner=sync.credential_id.endpoint_id.display_name,
                        sync=sync.name,
                        endpoint=sync.endpoint_id.display_name,
                    )
                )

    @api.model
    def _check_can_set_run_as(self, syncs, vals):
        """Only settings administrators choose whose rights a sync runs with."""
        if (
            "user_id" not in vals
            or self.env.su
            or self.env.user.has_group("base.group_system")
        ):
            return
        user_id = vals["user_id"]
        if syncs:
            unchanged = all(sync.user_id.id == user_id for sync in syncs)
        else:
            unchanged = user_id == self._default_user_id().id
        if not unchanged:
            raise AccessError(
                self.env._(
                    "Only a settings administrator chooses the Run As user of a sync."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_can_set_run_as(self.browse(), vals)
        syncs = super().create(vals_list)
        syncs._sync_cron()
        return syncs

    def write(self, vals):
        self._check_can_set_run_as(self, vals)
        result = super().write(vals)
        if SCHEDULE_FIELDS.intersection(vals):
            self._sync_cron()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_has_runs(self):
        if self.run_ids:
            raise UserError(
                self.env._(
                    "A sync that has run is archived, not deleted: its runs are the "
                    "record of what was exchanged."
                )
            )

    def unlink(self):
        # sudo: each sync owns its scheduled action (see _sync_cron)
        crons_sudo = self.sudo().cron_id
        result = super().unlink()
        crons_sudo.unlink()
        return result

    # Schedule

    def _prepare_cron_vals(self):
        self.ensure_one()
        return {
            "name": self.env._("Interop sync: %(name)s", name=self.name),
            "model_id": self.env["ir.model"]._get_id("interop.sync"),
            "state": "code",
            "code": f"model._cron_run_sync({self.id})",
            "interval_number": self.interval_number,
            "interval_type": self.interval_type,
            "user_id": self.env.ref("interop.user_interop_system").id,
            "active": self.active and self.is_scheduled,
        }

    def _sync_cron(self):
        """Create or update the scheduled action of each sync from its definition."""
        # sudo: scheduled actions are administrators' records; a sync only ever
        # manages its own, which runs as the Interop system user
        Cron = self.env["ir.cron"].sudo()
        for sync in self:
            vals = sync._prepare_cron_vals()
            if sync.cron_id:
                sync.cron_id.sudo().write(vals)
            else:
                sync.sudo().cron_id = Cron.create(vals)

    @api.model
    def _cron_run_sync(self, sync_id):
        sync = self.browse(sync_id).exists()
        if sync.active:
            sync._run()

    def action_run_now(self):
        """Run the sync now, as far as one scheduled execution goes."""
        self.ensure_one()
        self.check_access("write")
        # Lock the sync's scheduled action for the whole run, as the cron worker
        # does, in a transaction of its own: the run commits chunk by chunk, which
        # would release a lock taken in its own transaction.
        with self.env.registry.cursor() as lock_cr:
            try:
                lock_cr.execute(
                    SQL(
                        "SELECT id FROM ir_cron WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                        self.cron_id.id,
                    ),
                    log_exceptions=False,
                )
            except LockNotAvailable:
                raise UserError(
                    self.env._("%(sync)s is running already.", sync=self.name)
                ) from None
            self._run()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._("The sync ran: see its last run."),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_view_runs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "interop_outbound.interop_sync_run_action"
        )
        action["domain"] = [("sync_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    # Running

    def _run(self, max_chunks=MAX_CHUNKS_PER_RUN):
        """Handle up to ``max_chunks`` chunks, committing each; return the run.

        Called with the sync's scheduled action locked (by the cron worker, or by
        Run Now), so that a sync never runs twice at once.
        """
        self.ensure_one()
        Run = self.env["interop.sync.run"].sudo()
        # the schedule never runs a sync twice at once: a run still 'running' is one
        # that stopped half-way (a crash); what it committed stays, it resumes here
        Run.search([("sync_id", "=", self.id), ("state", "=", "running")])._interrupt()
        run = Run.create({"sync_id": self.id, "watermark_start": self.watermark})
        self._commit_chunk()
        chunks = 0
        has_more = True
        try:
            self._check_can_run()
            run.total_count = self._count_total()
            while has_more and chunks < max_chunks:
                has_more = self._run_chunk(run)
                chunks += 1
                self._commit_chunk()
        except InteropProcessingError as error:
            run._finish("failed", error=error.summary)
            self._raise_exception(error)
        else:
            run._finish("done")
        self._commit_chunk()
        self.env["ir.cron"]._notify_progress(
            done=run.done_count, remaining=1 if has_more and run.state == "done" else 0
        )
        return run

    def _check_can_run(self):
        # what was valid when saved may not be any more (the Run As user was made
        # an administrator, data older than the rules): checked again, every run
        problem = None
        if not self._is_run_as_user(self.user_id):
            problem = self.env._(
                "%(sync)s did not run: its Run As user is not a dedicated sync user "
                "(Interop Service Account group, no administrator's group).",
                sync=self.name,
            )
        elif self.direction == "push":
            problem = self._push_problem()
        elif self.direction == "pull" and self.pull_handler not in self._fields[
            "pull_handler"
        ].get_values(self.env):
            # a handler whose module is not installed (the product catalog is
            # interop_supply's since 18.0.1.3.0)
            problem = self.env._(
                "%(sync)s did not run: no installed module pulls into "
                "%(handler)s. Install the module that provides it (the product "
                "catalog is Interop Supply's), or choose what the sync pulls into.",
                sync=self.name,
                handler=self.pull_handler or "-",
            )
        if problem:
            raise BusinessRuleError(
                problem,
                suggested_action=self.env._(
                    "Have a settings administrator correct the sync, then run it again."
                ),
            )
        endpoint = self.endpoint_id
        endpoint._check_outbound_allowed(endpoint._outbound_url(self.resource_path))
        if self.direction == "pull" and endpoint._breaker_cooldown_remaining():
            # the circuit's probe is a held delivery's to make, not a sync's
            raise TransportError(
                self.env._(
                    "%(endpoint)s is not answering (its circuit is open): %(sync)s "
                    "resumes at its next run.",
                    endpoint=endpoint.name,
                    sync=self.name,
                ),
                owner=endpoint.technical_owner_id or None,
            )

    def _commit_chunk(self):
        # Each chunk is committed with the watermark it reached: a crash then loses
        # at most the chunk in progress, and the next run starts after the last
        # committed one. Tests keep their single transaction (chunks are savepoints).
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _count_total(self):
        if self.direction == "push":
            return len(self._push_query(ordered=False))
        return 0

    def _run_chunk(self, run):
        """One chunk, in a savepoint: its records, its counts and its watermark
        together or not at all. Returns whether more remains."""
        if self.direction == "pull":
            message, page = self._pull_page(run)
            with self.env.cr.savepoint():
                return self._pull_process_page(run, message, page)
        with self.env.cr.savepoint():
            return self._push_chunk(run)

    def _advance_watermark(self, watermark):
        self.sudo().write(
            {"watermark": watermark, "date_watermark": fields.Datetime.now()}
        )

    def _raise_exception(self, error):
        """Open (or count again) the exception of this sync's failing runs."""
        self.ensure_one()
        error.owner = error.owner or self.endpoint_id.technical_owner_id or None
        error.records = self
        Exception_ = self.env["interop.exception"].sudo()
        existing = Exception_.search(
            [
                ("res_model", "=", self._name),
                ("res_id", "=", self.id),
                ("state", "in", ("open", "in_progress")),
            ],
            limit=1,
        )
        if existing:
            existing.write(
                {
                    "occurrence_count": existing.occurrence_count + 1,
                    "date_last": fields.Datetime.now(),
                    "description": error.summary,
                }
            )
            return existing
        return Exception_._open(error, endpoint=self.endpoint_id)

    def _record_failure(self, run, error, label, message=None):
        """An item or record could not be synced: to the exception queue, run on."""
        if not isinstance(error, InteropProcessingError):
            error = BusinessRuleError(
                self.env._(
                    "%(sync)s: %(item)s could not be synced (%(error)s).",
                    sync=self.name,
                    item=label,
                    error=type(error).__name__,
                ),
                detail=unkept_error_detail(self.env, error),
            )
        self.env["interop.exception"].sudo()._open(
            error, message=message, endpoint=self.endpoint_id
        )
        run._add_error(f"{label}: {error.summary}")
