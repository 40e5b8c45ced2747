# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import time
from datetime import timedelta

import requests

from odoo import api, fields, models

from odoo.addons.interop.errors import InteropProcessingError

from ..errors import HealthCheckFailing

_logger = logging.getLogger(__name__)

OPEN_STATES = ("open", "in_progress")


class InteropMonitorHealthCheck(models.Model):
    """One call of an outbound endpoint's health check URL, and its outcome.

    Written by the scheduled check only (append-only: ``create`` is private). After
    the endpoint's number of failures in a row, one exception of category Alert
    opens for its technical owner (or team), with an activity and one email; it
    resolves itself at the next successful check.
    """

    _name = "interop.monitor.health.check"
    _description = "Endpoint Health Check"
    _order = "date desc, id desc"

    endpoint_id = fields.Many2one(
        "interop.endpoint", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        related="endpoint_id.company_id", store=True, readonly=True, index=True
    )
    date = fields.Datetime(required=True, readonly=True)
    ok = fields.Boolean(string="Healthy", readonly=True)
    status_code = fields.Integer(string="HTTP Status", readonly=True)
    duration_ms = fields.Integer(string="Duration (ms)", readonly=True)
    reason = fields.Char(readonly=True, help="Why the check failed, in words.")
    exception_id = fields.Many2one("interop.exception", readonly=True)
    emailed = fields.Boolean(
        readonly=True, help="The owner was emailed when this check opened the alert."
    )

    def init(self):
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS interop_monitor_health_check_endpoint_date_idx"
            " ON interop_monitor_health_check (endpoint_id, date DESC)"
        )

    @api.model_create_multi
    @api.private
    def create(self, vals_list):
        return super().create(vals_list)

    # Scheduling

    @api.model
    def _due_endpoints(self):
        endpoints = (
            self.env["interop.endpoint"]
            .sudo()
            .search(
                [
                    ("state", "=", "active"),
                    ("direction", "in", ("outbound", "both")),
                    ("health_check_path", "!=", False),
                ]
            )
        )
        last = dict(
            self.sudo()._read_group(
                [("endpoint_id", "in", endpoints.ids)], ["endpoint_id"], ["date:max"]
            )
        )
        now = fields.Datetime.now()
        return endpoints.filtered(
            lambda e: (
                not last.get(e)
                or last[e] + timedelta(minutes=max(e.health_check_interval, 1)) <= now
            )
        )

    @api.model
    def _cron_check(self):
        endpoints = self._due_endpoints()
        for endpoint in endpoints:
            try:
                with self.env.cr.savepoint():
                    self._check(endpoint)
            except Exception as error:  # noqa: BLE001 - logged, the others run
                _logger.error(
                    "Interop health check of endpoint %s could not run: %s",
                    endpoint.id,
                    type(error).__name__,
                )
        self.env["ir.cron"]._notify_progress(done=len(endpoints), remaining=0)

    # Checking

    @api.model
    def _call(self, endpoint):
        """GET the endpoint's health check URL: (ok, status, reason in words)."""
        url = endpoint._outbound_url(endpoint.health_check_path)
        try:
            response = endpoint._http_request("GET", url)
        except InteropProcessingError as error:  # the last guard refused the call
            return False, 0, error.summary
        except requests.Timeout:
            return False, 0, self.env._("No answer within the endpoint's timeout.")
        except requests.ConnectionError:
            return False, 0, self.env._("The connection to the endpoint failed.")
        except requests.RequestException:
            return False, 0, self.env._("The request to the endpoint failed.")
        status = response.status_code
        if 200 <= status < 300:
            return True, status, False
        return (
            False,
            status,
            self.env._("The endpoint answered HTTP %(status)s.", status=status),
        )

    @api.model
    def _check(self, endpoint):
        """Call, log the outcome, open or resolve the endpoint's alert."""
        start = time.monotonic()
        ok, status, reason = self._call(endpoint)
        check = self.sudo().create(
            [
                {
                    "endpoint_id": endpoint.id,
                    "date": fields.Datetime.now(),
                    "ok": ok,
                    "status_code": status,
                    "duration_ms": round((time.monotonic() - start) * 1000),
                    "reason": reason,
                }
            ]
        )
        current = self._open_exception(endpoint)
        if ok:
            if current:
                current._close(
                    "resolved",
                    self.env._("The health check of the endpoint succeeded again."),
                )
                _logger.info("Interop endpoint %s healthy again", endpoint.id)
        elif not current and self._failures_in_a_row(endpoint) >= max(
            endpoint.health_check_failures, 1
        ):
            exception = self._alert(endpoint, reason)
            last_sent = self.sudo()._read_group(
                [("endpoint_id", "=", endpoint.id), ("emailed", "=", True)],
                [],
                ["date:max"],
            )[0][0]
            emailed = exception._monitor_email_owner(
                endpoint.technical_owner_id or endpoint.team_id, last_sent
            )
            check.write({"exception_id": exception.id, "emailed": emailed})
        return check

    @api.model
    def _failures_in_a_row(self, endpoint):
        """Failed checks since the last successful one."""
        self.flush_model()
        self.env.cr.execute(
            """
            SELECT count(*) FROM interop_monitor_health_check
             WHERE endpoint_id = %(id)s AND NOT COALESCE(ok, false)
               AND date > COALESCE(
                   (SELECT max(date) FROM interop_monitor_health_check
                     WHERE endpoint_id = %(id)s AND ok),
                   '-infinity')
            """,
            {"id": endpoint.id},
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _error(self, endpoint):
        return HealthCheckFailing(
            self.env._(
                "Endpoint %(endpoint)s fails its health check.",
                endpoint=endpoint.display_name,
            ),
            suggested_action=self.env._(
                "Check that the system is up and reachable (its status page, the "
                "network, its certificate). Deliveries wait behind the breaker "
                "meanwhile; the alert resolves itself at the next successful check."
            ),
            owner=endpoint.technical_owner_id or endpoint.team_id or None,
        )

    @api.model
    def _open_exception(self, endpoint):
        """The endpoint's open health alert, if any."""
        return (
            self.sudo()
            .search(
                [
                    ("endpoint_id", "=", endpoint.id),
                    ("exception_id.state", "in", OPEN_STATES),
                ],
                limit=1,
            )
            .exception_id
        )

    @api.model
    def _alert(self, endpoint, reason):
        exception = (
            self.env["interop.exception"]
            .sudo()
            .with_company(endpoint.company_id)
            ._open(self._error(endpoint), endpoint=endpoint)
        )
        exception.message_post(
            body=self.env._(
                "%(count)s failed checks in a row; the last: %(reason)s",
                count=self._failures_in_a_row(endpoint),
                reason=reason or "",
            ),
            subtype_xmlid="mail.mt_note",
        )
        _logger.info("Interop endpoint %s fails its health check", endpoint.id)
        return exception
