# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .interop_message import FINAL_STATES

_logger = logging.getLogger(__name__)

#: where the walk of each endpoint's messages is: written by the retention alone
CURSOR_TABLE = SQL.identifier("interop_retention_cursor")


class InteropRetention(models.AbstractModel):
    """The retention policy of the message log: prunes the content of expired
    messages, then deletes their rows after a grace period.

    A module that stores more of a message extends :meth:`_retention_prune_related`.
    """

    _name = "interop.retention"
    _description = "Message Retention"

    def init(self):
        # a small table of its own: the walk never writes the endpoints
        self.env.cr.execute(
            SQL(
                """
                CREATE TABLE IF NOT EXISTS %s (
                    endpoint_id integer PRIMARY KEY
                        REFERENCES interop_endpoint (id) ON DELETE CASCADE,
                    date_cursor timestamp NOT NULL,
                    message_id integer NOT NULL DEFAULT 0
                )
                """,
                CURSOR_TABLE,
            )
        )

    @api.model
    def _retention_cutoffs(self):
        """{endpoint id: cutoff datetime} of every endpoint with messages."""
        now = fields.Datetime.now()
        endpoints = self.env["interop.endpoint"].sudo().with_context(active_test=False)
        return {
            endpoint.id: now - timedelta(days=endpoint._get_retention_days())
            for endpoint in endpoints.search([])
        }

    @api.model
    def _cron_apply_retention(self, batch_size=50000):
        """Prune the content of expired messages, then delete their rows after grace.

        A run walks the messages older than their endpoint's retention, oldest first
        (the order they sit in the table), reading ``batch_size`` of them per call, one
        short transaction, in set-based SQL: the ORM path cannot prune a million rows
        in a minute. Odoo calls again while the walk goes on; a cursor per endpoint
        keeps its place, so a backlog is read once. The next run walks again from the
        oldest and prunes what could not be pruned before. Messages with an unresolved
        exception are never touched, nor rows another transaction holds (SKIP
        LOCKED): the batches never wait on the gateway or the jobs.
        """
        params = self.env["ir.config_parameter"].sudo()
        grace = int(params.get_param("interop.retention_row_grace_days", 30))
        now = fields.Datetime.now()
        self.env.flush_all()
        cutoffs = self._retention_cutoffs()
        saved = self._retention_cursors()
        cursors = {endpoint_id: saved.get(endpoint_id) for endpoint_id in cutoffs}
        if all(cursor and not cursor[1] for cursor in cursors.values()):
            # the last walk is over: this run starts from the oldest
            cursors = dict.fromkeys(cutoffs)
        # endpoints with the same retention are walked together, page after page
        walks = {}
        for endpoint_id, cutoff in cutoffs.items():
            cursor = cursors[endpoint_id]
            if not cursor or cursor[1]:
                walks.setdefault(cutoff, []).append(endpoint_id)
        budget, pruned, deleted = batch_size, 0, 0
        for cutoff, endpoint_ids in sorted(walks.items()):
            if not budget:
                break
            walked = [cursors[endpoint_id] for endpoint_id in endpoint_ids]
            rows = self._retention_read(
                endpoint_ids,
                cutoff,
                None if None in walked else min(walked),
                budget,
                now - timedelta(days=grace),
            )
            budget -= len(rows)
            pruned += self._retention_prune([row[0] for row in rows if row[3]], now)
            deleted += self._retention_delete([row[1] for row in rows if row[4]])
            # a short read ends the walk of these endpoints
            cursor = (rows[-1][2], rows[-1][1]) if not budget else (cutoff, 0)
            cursors.update(dict.fromkeys(endpoint_ids, cursor))
        self._retention_save_cursors(
            {
                endpoint_id: cursor
                for endpoint_id, cursor in cursors.items()
                if cursor != saved.get(endpoint_id)
            }
        )
        self.env.invalidate_all()
        _logger.info("Interop retention: %s pruned, %s deleted", pruned, deleted)
        remaining = sum(1 for cursor in cursors.values() if not cursor or cursor[1])
        self.env["ir.cron"]._notify_progress(done=pruned + deleted, remaining=remaining)
        return pruned, deleted

    @api.model
    def _retention_cursors(self):
        """{endpoint id: (date received, message id)} where the retention walk is.

        Message id 0: the walk of the endpoint is over, up to that date.
        """
        self.env.cr.execute(
            SQL("SELECT endpoint_id, date_cursor, message_id FROM %s", CURSOR_TABLE)
        )
        return {row[0]: (row[1], row[2] or 0) for row in self.env.cr.fetchall()}

    @api.model
    def _retention_save_cursors(self, cursors):
        for endpoint_id, cursor in cursors.items():
            if not cursor:
                self.env.cr.execute(
                    SQL(
                        "DELETE FROM %s WHERE endpoint_id = %s",
                        CURSOR_TABLE,
                        endpoint_id,
                    )
                )
                continue
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO %(table)s (endpoint_id, date_cursor, message_id)
                    VALUES (%(endpoint)s, %(date)s, %(message)s)
                    ON CONFLICT (endpoint_id) DO UPDATE
                       SET date_cursor = EXCLUDED.date_cursor,
                           message_id = EXCLUDED.message_id
                    """,
                    table=CURSOR_TABLE,
                    endpoint=endpoint_id,
                    date=cursor[0],
                    message=cursor[1],
                )
            )

    @api.model
    def _retention_read(self, endpoint_ids, cutoff, cursor, limit, grace_limit):
        """The next ``limit`` messages of the walk, without locks: ``(ctid, id, date
        received, is prunable, is deletable)``, in the order of the table."""
        after = SQL("TRUE")
        if cursor:
            # the first condition lets the index start at the cursor
            after = SQL(
                "m.date_received >= %s AND (m.date_received, m.id) > (%s, %s)",
                cursor[0],
                *cursor,
            )
        self.env.cr.execute(
            SQL(
                """
                SELECT m.ctid, m.id, m.date_received,
                       m.is_payload_pruned IS NOT TRUE AND m.state IN %(final)s,
                       m.is_payload_pruned AND m.date_pruned < %(grace_limit)s
                  FROM interop_message m
                 WHERE m.endpoint_id = ANY(%(endpoints)s)
                   AND m.date_received < %(cutoff)s AND %(after)s
                 ORDER BY m.date_received, m.id
                 LIMIT %(limit)s
                """,
                final=FINAL_STATES,
                grace_limit=grace_limit,
                endpoints=endpoint_ids,
                cutoff=cutoff,
                after=after,
                limit=limit,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _retention_unresolved(self):
        return SQL(
            "EXISTS (SELECT 1 FROM interop_exception e WHERE e.message_id = m.id"
            " AND e.state IN ('open', 'in_progress'))"
        )

    @api.model
    def _retention_prune(self, tids, now):
        """Prune the content of the rows ``tids`` (ctids read in this transaction)
        that still may be; their count."""
        if not tids:
            return 0
        # Rows by their place in the table, read a moment ago (measured: half the
        # time of looking their ids up in the primary key); the conditions again,
        # under the lock, as they may have changed since the read.
        self.env.cr.execute(
            SQL(
                """
                WITH batch AS (
                    SELECT m.ctid AS tid FROM interop_message m
                     WHERE m.ctid = ANY(%(tids)s::tid[])
                       AND m.is_payload_pruned IS NOT TRUE
                       AND m.state IN %(final)s
                       AND NOT %(unresolved)s
                       FOR NO KEY UPDATE SKIP LOCKED
                )
                UPDATE interop_message m
                   SET payload_enc = NULL, is_payload_pruned = TRUE,
                       date_pruned = %(now)s, active = FALSE
                  FROM batch WHERE m.ctid = batch.tid
             RETURNING m.id
                """,
                tids=tids,
                final=FINAL_STATES,
                unresolved=self._retention_unresolved(),
                now=now,
            )
        )
        message_ids = [row[0] for row in self.env.cr.fetchall()]
        self._retention_prune_related(message_ids)
        return len(message_ids)

    @api.model
    def _retention_prune_related(self, message_ids):
        """Prune what other tables keep of the content of ``message_ids``.

        A hook: called in the transaction that has just pruned these messages, by
        SQL. A module that stores more of a message (an answer, a copy) extends it
        with SQL of its own and calls ``super()``; the core stores nothing else.
        """

    @api.model
    def _retention_delete(self, ids):
        """Delete the rows ``ids`` pruned before the grace limit; their count."""
        if not ids:
            return 0
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT m.id FROM interop_message m
                 WHERE m.id = ANY(%(ids)s) AND m.is_payload_pruned
                   AND NOT %(unresolved)s
                   FOR UPDATE SKIP LOCKED
                """,
                ids=ids,
                unresolved=self._retention_unresolved(),
            )
        )
        ids = [row[0] for row in cr.fetchall()]
        if ids:
            # their exceptions are resolved or dismissed; attempts and links cascade
            cr.execute(
                SQL("DELETE FROM interop_exception WHERE message_id = ANY(%s)", ids)
            )
            cr.execute(
                SQL(
                    "UPDATE interop_message SET parent_id = NULL"
                    " WHERE parent_id = ANY(%s)",
                    ids,
                )
            )
            cr.execute(SQL("DELETE FROM interop_message WHERE id = ANY(%s)", ids))
        return len(ids)
