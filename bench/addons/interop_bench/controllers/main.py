# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo import http
from odoo.http import request


class InteropBenchController(http.Controller):
    """The baseline of the ingestion benchmark: what a developer writes without the
    gateway. No authentication, no signature, no log, no queue: parse, create one
    record, answer."""

    @http.route(
        "/interop_bench/plain",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def plain(self, **_params):
        body = request.httprequest.get_data()
        payload = json.loads(body)
        # sudo: the baseline stores what it is sent, as naive routes do
        record = (
            request.env["interop.bench.record"]
            .sudo()
            .create({"ref": payload["id"], "origin": "plain", "body": body})
        )
        return request.make_json_response({"id": record.id}, status=201)

    @http.route(
        "/interop_bench/delay",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def delay(self, **_params):
        """Odoo's own way to accept now and process later: create a record, then
        ``with_delay()`` a job that processes it (queue_job, channel root)."""
        body = request.httprequest.get_data()
        payload = json.loads(body)
        # sudo: as the plain route
        record = (
            request.env["interop.bench.record"]
            .sudo()
            .create({"ref": payload["id"], "origin": "delay", "body": body})
        )
        record.with_delay()._bench_process()
        return request.make_json_response({"id": record.id}, status=202)
