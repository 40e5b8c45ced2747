# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import http
from odoo.http import request

from odoo.addons.interop_gateway.controllers.interop_gateway import (
    GATEWAY_AUTH,
    ROUTE_OPTIONS,
    InteropGatewayController,
    _input_stream,
    read_at_most,
)


class InteropStandardsController(InteropGatewayController):
    """HL7 v2 and FHIR R4B beside the JSON gateway: the same keys, signatures,
    throttling and refusals (RFC 9457 problems); the answers of each standard
    (ACK, OperationOutcome, transaction-response) once a request is
    authenticated."""

    @http.route(
        "/interop/v1/hl7/<string:endpoint_code>",
        auth=GATEWAY_AUTH,
        methods=["POST"],
        **ROUTE_OPTIONS,
    )
    def hl7(self, endpoint_code, **_params):
        """Receive HL7 v2 messages (ER7, one or a batch): 200 with their ACK."""
        return self._standard("interop.hl7.adapter", endpoint_code)

    @http.route(
        "/interop/v1/fhir/<string:endpoint_code>",
        auth=GATEWAY_AUTH,
        methods=["POST"],
        **ROUTE_OPTIONS,
    )
    def fhir(self, endpoint_code, **_params):
        """Receive a FHIR R4B transaction Bundle: 200 with its transaction-response
        Bundle, or an OperationOutcome."""
        return self._standard("interop.fhir.adapter", endpoint_code)

    @http.route(
        "/interop/v1/x12/<string:endpoint_code>",
        auth=GATEWAY_AUTH,
        methods=["POST"],
        **ROUTE_OPTIONS,
    )
    def x12(self, endpoint_code, **_params):
        """Import an X12 835 remittance file: 200 with what it became, a problem
        (422 with the reasons) when it is rejected whole."""
        httprequest = request.httprequest
        try:
            answer = request.env["interop.x12.adapter"]._accept(
                endpoint_code,
                httprequest.headers,
                lambda size: read_at_most(_input_stream(httprequest), size),
                length=httprequest.content_length,
            )
        except Exception as error:  # noqa: BLE001 - every refusal is a problem
            return self._problem(error)
        return request.make_json_response(
            answer.body, headers=list(answer.headers.items()), status=answer.status
        )

    def _standard(self, adapter, endpoint_code):
        httprequest = request.httprequest
        try:
            answer = request.env[adapter]._accept(
                endpoint_code,
                httprequest.headers,
                lambda size: read_at_most(_input_stream(httprequest), size),
                length=httprequest.content_length,
            )
        except Exception as error:  # noqa: BLE001 - every refusal is the gateway's
            return self._problem(error)
        return request.make_response(
            answer.body, headers=list(answer.headers.items()), status=answer.status
        )
