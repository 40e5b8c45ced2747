# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo import api, models
from odoo.tools import str2bool

from ..errors import PROBLEM_CONTENT_TYPE, Unauthorized
from .interop_gateway import SIGNATURE_TOLERANCE

API_VERSION = "1"
LOCAL_REF = "#/$defs/"


def _embedded_schema(schema, schema_name):
    """``schema`` as a component of the document: its own references to its
    ``$defs`` point to them where the document holds them, and the ``$id`` that
    would make them relative to another document is dropped."""

    def rewrite(node):
        if isinstance(node, dict):
            return {
                key: (
                    f"#/components/schemas/{schema_name}/$defs/"
                    + value[len(LOCAL_REF) :]
                    if key == "$ref"
                    and isinstance(value, str)
                    and value.startswith(LOCAL_REF)
                    else rewrite(value)
                )
                for key, value in node.items()
                if not (node is schema and key == "$id")
            }
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    return rewrite(schema)


#: system parameter: "True" serves the public document (no event type) to callers
#: without a key; off by default
PUBLIC_PARAM = "interop_gateway.public_openapi"
SIGNING_DESCRIPTION = (
    "when the endpoint requires it, sign the request: X-Interop-Timestamp is the "
    f"Unix time in seconds (at most {SIGNATURE_TOLERANCE} s off), "
    "X-Interop-Signature is 'sha256=' and the hex HMAC-SHA256, with the endpoint's "
    "signing secret, of the canonical string: the method (POST), the path "
    "(/interop/v1/inbound/<endpoint_code>/<event_type_code>), the Idempotency-Key "
    "header (empty without one) and the timestamp, each followed by a line feed "
    "(\\n), then the raw body, as sent."
)

# status: when the gateway answers it
PROBLEMS = {
    "400": "Malformed JSON or header.",
    "401": "Missing, invalid, expired or revoked key, or a bad signature.",
    "403": "The endpoint is not active, or the key may not send this event type.",
    "404": "Unknown endpoint or event type.",
    "409": "The idempotency key was used before with a different body.",
    "413": "The body is larger than the endpoint accepts.",
    "415": "The body is not JSON.",
    "422": "The payload does not match the schema (every violation is listed), or "
    "nests arrays and objects deeper than the endpoint accepts.",
    "429": "The endpoint's rate limit is reached.",
    "503": "The database cannot take the message now.",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    }
}


class InteropGatewayOpenapi(models.AbstractModel):
    """The OpenAPI 3.1 description of the gateway, from the event types."""

    _name = "interop.gateway.openapi"
    _description = "Interop Gateway OpenAPI Document"

    @api.model
    def _document_for(self, headers, server_url=None):
        """The document a caller gets: with an API key, the event types that key
        may send; without one, the public document if a system administrator
        enabled it (:data:`PUBLIC_PARAM`), else a 401."""
        headers = {name.lower(): value for name, value in headers.items()}
        if not headers.get("authorization") and self._public_enabled():
            return self._public_document(server_url=server_url)
        credential = self.env["interop.gateway"]._authenticate(headers)
        endpoint = self.env["interop.endpoint"]._gateway_profile(credential.endpoint_id)
        if endpoint is None:
            raise Unauthorized()
        domain = [
            ("direction", "=", "inbound"),
            ("company_id", "in", (False, endpoint.company_id)),
        ]
        if credential.scope_ids:
            # sudo: the codes of the key's scope, for a partner system
            codes = (
                self.env["interop.event.type"]
                .sudo()
                .browse(credential.scope_ids)
                .mapped("code")
            )
            domain.append(("code", "in", codes))
        return self._document(server_url=server_url, domain=domain)

    @api.model
    def _public_enabled(self):
        # sudo: a system parameter, read for a caller without a user
        value = self.env["ir.config_parameter"].sudo().get_param(PUBLIC_PARAM)
        return str2bool(value or "False", default=False)

    @api.model
    def _public_document(self, server_url=None):
        """The gateway without its event types: one generic inbound path, no
        schema, no example, nothing of any company."""
        document = self._document(server_url=server_url, domain=[("id", "=", 0)])
        document["paths"]["/interop/v1/inbound/{endpoint_code}/{event_type_code}"] = {
            "post": self._generic_inbound_operation()
        }
        document["info"]["description"] += (
            " This public document lists no event type: fetch it with your API "
            "key to get the event types your key may send, with their schemas."
        )
        return document

    def _generic_inbound_operation(self):
        operation = self._inbound_operation(
            self.env["interop.event.type"], "GenericEvent"
        )
        operation.update(
            operationId="send_event",
            summary="Send an event",
            description="Send an event of one of your endpoint's event types.",
        )
        operation["parameters"].insert(
            1,
            {
                "name": "event_type_code",
                "in": "path",
                "required": True,
                "description": "Code of the event type.",
                "schema": {"type": "string"},
            },
        )
        operation["requestBody"]["content"]["application/json"]["schema"] = {
            "type": "object"
        }
        return operation

    @api.model
    def _document(self, server_url=None, domain=None):
        """The OpenAPI document (a dict): one path per active inbound event type
        of ``domain`` (default: every one)."""
        # sudo: the contracts are published to partner systems, which have no user
        event_types_sudo = (
            self.env["interop.event.type"]
            .sudo()
            .search(
                domain or [("direction", "=", "inbound")], order="code, version desc"
            )
        )
        latest = {}
        for event_type in event_types_sudo:
            latest.setdefault(event_type.code, event_type)
        schemas = {
            "Problem": self._problem_schema(),
            "MessageReference": self._reference_schema(),
            "MessageStatus": self._status_schema(),
        }
        paths = {}
        for code, event_type in latest.items():
            schema_name = f"{code}.v{event_type.version}"
            schemas[schema_name] = _embedded_schema(
                json.loads(event_type.schema), schema_name
            )
            paths[f"/interop/v1/inbound/{{endpoint_code}}/{code}"] = {
                "post": self._inbound_operation(event_type, schema_name)
            }
        paths["/interop/v1/messages/{message_id}"] = {"get": self._status_operation()}
        paths["/interop/v1/openapi.json"] = {"get": self._openapi_operation()}
        paths["/interop/v1/health"] = {"get": self._health_operation()}
        document = {
            "openapi": "3.1.0",
            "info": {
                "title": "Interop Inbound Gateway",
                "version": API_VERSION,
                "description": (
                    "Send events to Odoo. Authenticate with an API key of your "
                    "endpoint as a Bearer token; "
                    + SIGNING_DESCRIPTION
                    + " Errors are RFC 9457 problem details."
                ),
            },
            "paths": paths,
            "components": {
                "schemas": schemas,
                "responses": self._problem_responses(),
                "securitySchemes": {
                    "apiKey": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "An API key of the endpoint (iop_…).",
                    },
                    "signature": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "X-Interop-Signature",
                        "description": "sha256=<hex HMAC-SHA256 of the canonical "
                        "string 'POST\\n<path>\\n<Idempotency-Key>\\n<timestamp>"
                        "\\n<raw body>'>, for endpoints requiring signatures.",
                    },
                    "signatureTimestamp": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "X-Interop-Timestamp",
                        "description": "Unix time of the signature, in seconds.",
                    },
                },
            },
        }
        if server_url:
            document["servers"] = [{"url": server_url}]
        return document

    def _inbound_operation(self, event_type, schema_name):
        problems = ("400", "401", "403", "404", "409", "413", "415", "422", "429")
        return {
            "operationId": "send_" + (event_type.code or "").replace(".", "_"),
            "summary": event_type.name or "",
            "description": event_type.description or event_type.name or "",
            "tags": ["inbound"],
            "security": [
                {"apiKey": [], "signature": [], "signatureTimestamp": []},
                {"apiKey": []},
            ],
            "parameters": [
                {
                    "name": "endpoint_code",
                    "in": "path",
                    "required": True,
                    "description": "Code of your endpoint.",
                    "schema": {"type": "string"},
                },
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "Identifies the event: a repeat is answered 200 "
                    "and not processed again. Printable ASCII; signed with the "
                    "request."
                    + (
                        f" Default: the payload's {event_type.id_field}."
                        if event_type.id_field
                        else ""
                    ),
                    "schema": {"type": "string", "maxLength": 256},
                },
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{schema_name}"}
                    }
                },
            },
            "responses": {
                "200": self._reference_response(
                    "Already received with this idempotency key: nothing was created."
                ),
                "202": self._reference_response("Accepted and queued."),
                **{
                    status: {"$ref": f"#/components/responses/{status}"}
                    for status in problems + ("503",)
                },
            },
        }

    def _status_operation(self):
        return {
            "operationId": "get_message_status",
            "summary": "Status of a message your endpoint sent",
            "tags": ["messages"],
            "security": [{"apiKey": []}],
            "parameters": [
                {
                    "name": "message_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            ],
            "responses": {
                "200": {
                    "description": "The message's status.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/MessageStatus"}
                        }
                    },
                },
                "401": {"$ref": "#/components/responses/401"},
                "404": {"$ref": "#/components/responses/404"},
            },
        }

    def _openapi_operation(self):
        return {
            "operationId": "get_openapi",
            "summary": "This document, with the event types your key may send",
            "tags": ["documentation"],
            "security": [{"apiKey": []}],
            "responses": {
                "200": {
                    "description": "The OpenAPI document.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "401": {"$ref": "#/components/responses/401"},
            },
        }

    def _health_operation(self):
        return {
            "operationId": "get_health",
            "summary": "Whether the gateway can reach its database",
            "tags": ["health"],
            "security": [],
            "responses": {
                status: {
                    "description": description,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "status": {"type": "string"},
                                    "database": {"type": "string"},
                                },
                            }
                        }
                    },
                }
                for status, description in (
                    ("200", "The database is reachable."),
                    ("503", "The database is unreachable."),
                )
            },
        }

    def _reference_response(self, description):
        return {
            "description": description,
            "headers": {
                "Location": {
                    "description": "URL of the message's status.",
                    "schema": {"type": "string"},
                }
            },
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/MessageReference"}
                }
            },
        }

    def _problem_responses(self):
        responses = {}
        for status, description in PROBLEMS.items():
            response = {
                "description": description,
                "content": {
                    PROBLEM_CONTENT_TYPE: {
                        "schema": {"$ref": "#/components/schemas/Problem"}
                    }
                },
            }
            if status in ("429", "503"):
                response["headers"] = RETRY_AFTER
            responses[status] = response
        return responses

    def _problem_schema(self):
        return {
            "type": "object",
            "description": "RFC 9457 problem details.",
            "required": ["type", "title", "status"],
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "message_id": {
                    "type": "integer",
                    "description": "The message logged for the request, if any.",
                },
                "violations": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Every schema violation, as 'path: reason'.",
                },
            },
        }

    def _reference_schema(self):
        return {
            "type": "object",
            "required": ["message_id", "correlation_id", "status"],
            "properties": {
                "message_id": {"type": "integer"},
                "correlation_id": {"type": "string"},
                "status": {"type": "string"},
            },
        }

    def _status_schema(self):
        schema = self._reference_schema()
        schema["properties"].update(
            {
                "event_type": {"type": ["string", "null"]},
                "received_at": {"type": "string", "format": "date-time"},
                "last_error": {"type": ["string", "null"]},
            }
        )
        return schema
