# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The benchmark's partner system: an active endpoint with a known key and secret.

Bench databases only: the key and secret are printed in bench/README.md.
"""

import json

BENCH_KEY = "iop_bench_lab_0123456789abcdef"
BENCH_SECRET = "bench-hmac-secret"
BENCH_ENDPOINT = "bench-lab"
BENCH_EVENT = "bench.result"

SAMPLE_SCHEMA = {
    "type": "object",
    "required": ["event_id", "id", "patient", "results"],
    "properties": {
        "event_id": {"type": "string", "minLength": 1},
        "id": {"type": "string", "minLength": 1},
        "fail": {"type": "boolean"},
        "patient": {
            "type": "object",
            "required": ["ref", "name"],
            "properties": {
                "ref": {"type": "string"},
                "name": {"type": "string"},
                "birth_date": {"type": "string"},
            },
        },
        "results": {
            "type": "array",
            "maxItems": 50,
            "items": {
                "type": "object",
                "required": ["code", "value"],
                "properties": {
                    "code": {"type": "string"},
                    "value": {"type": "number"},
                    "unit": {"type": "string"},
                },
            },
        },
        "notes": {"type": "string", "maxLength": 2000},
    },
}


def post_init_hook(env):
    users = env["res.users"]
    owner = env.ref("base.user_admin")
    endpoint = env["interop.endpoint"].create(
        {
            "code": BENCH_ENDPOINT,
            "name": "Bench Laboratory",
            "system_kind": "other",
            "direction": "inbound",
            "environment": "test",
            "data_classification": "phi",
            "business_owner_id": owner.id,
            "technical_owner_id": owner.id,
            # counted like every endpoint's traffic, never refused during a bench
            "gateway_rate_limit": 1_000_000,
            "gateway_require_signature": True,
        }
    )
    endpoint._activate()
    endpoint.service_user_id.groups_id = [(4, users.env.ref("base.group_user").id)]
    env["interop.api.key"]._generate(endpoint, "Bench key", key=BENCH_KEY)
    endpoint._set_gateway_secret(BENCH_SECRET)
    env["interop.event.type"].create(
        {
            "code": BENCH_EVENT,
            "name": "Bench Lab Result",
            "direction": "inbound",
            "schema": json.dumps(SAMPLE_SCHEMA),
            "data_classification": "phi",
            "phi_paths": "patient.name\npatient.birth_date",
            "id_field": "event_id",
            "business_key_field": "id",
            "handler_model": "interop.bench.record",
            "handler_method": "_interop_handle_bench",
        }
    )
