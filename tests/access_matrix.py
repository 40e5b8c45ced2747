# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The suite's access matrix, declared once: who may do what with each Interop model.

``test_access_matrix`` checks it in both directions against the running database:
what a role is given here it can do, and what it is not given it cannot — through
RPC, whatever the views show. A model or a button method that is not declared here
fails that test: declaring it is part of adding it.

Roles are users holding exactly one Interop group (with Odoo's internal user group):
``user``, ``manager`` (implies user), ``auditor``, ``phi`` (PHI Access alone) and
``service`` (an endpoint's service account).
"""

ROLES = ("user", "manager", "auditor", "phi", "service")

GROUPS = {
    "user": "interop.group_interop_user",
    "manager": "interop.group_interop_manager",
    "auditor": "interop.group_interop_auditor",
    "phi": "interop.group_interop_phi",
    "service": "interop.group_interop_service",
}

# model: {role: operations}, r read, w write, c create, u unlink (delete); a role not
# listed has no access at all. Record rules narrow these further (companies, the
# exceptions and mapping tables a user owns).
ACCESS = {
    # core
    "interop.endpoint": {
        "user": "r",
        "manager": "rwcu",
        "auditor": "r",
        "service": "r",
    },
    "interop.team": {"user": "r", "manager": "rwcu", "auditor": "r"},
    "interop.event.type": {
        "user": "r",
        "manager": "rwcu",
        "auditor": "r",
        "service": "r",
    },
    "interop.system.of.record": {
        "user": "r",
        "manager": "rwcu",
        "auditor": "r",
        "service": "r",
    },
    "interop.message": {"user": "r", "manager": "r", "auditor": "r"},
    "interop.message.attempt": {"user": "r", "manager": "r", "auditor": "r"},
    "interop.message.link": {"user": "r", "manager": "r", "auditor": "r"},
    "interop.exception.category": {"user": "r", "manager": "rw", "auditor": "r"},
    "interop.exception.rule": {"user": "r", "manager": "rwcu", "auditor": "r"},
    "interop.exception": {"user": "rw", "manager": "rw", "auditor": "r"},
    "interop.exception.link": {"user": "r", "manager": "r", "auditor": "r"},
    "interop.exception.dismiss": {"user": "rwc", "manager": "rwc"},
    "interop.endpoint.retire": {"manager": "rwc"},
    "interop.audit.entry": {"manager": "r", "auditor": "r"},
    "interop.audit.verify": {"manager": "rwcu", "auditor": "rwcu"},
    "interop.mapping.table": {
        "user": "r",
        "manager": "rwcu",
        "auditor": "r",
        "service": "r",
    },
    "interop.mapping.line": {
        "user": "rwc",
        "manager": "rwcu",
        "auditor": "r",
        "service": "r",
    },
    "interop.change.request": {"user": "r", "manager": "rwc", "auditor": "r"},
    "interop.config.version": {"user": "r", "manager": "r", "auditor": "r"},
    # interop_gateway
    "interop.api.key": {"manager": "rwc", "auditor": "r"},
    "interop.api.key.generate": {"manager": "rwcu"},
    "interop.gateway.secret.set": {"manager": "rwcu"},
    # interop_outbound
    "interop.credential": {"manager": "rwcu", "auditor": "r"},
    "interop.credential.set": {"manager": "rwc"},
    "interop.sync": {"user": "r", "manager": "rwcu", "auditor": "r"},
    "interop.sync.run": {"user": "r", "manager": "r", "auditor": "r"},
    "interop.breaker.transition": {"user": "r", "manager": "r", "auditor": "r"},
    # interop_revenue
    "interop.visit": {
        "user": "r",
        "manager": "rw",
        "auditor": "r",
        "service": "rwc",
    },
    "interop.visit.line": {
        "user": "r",
        "manager": "rw",
        "auditor": "r",
        "service": "rwcu",
    },
    "interop.visit.payment": {
        "user": "r",
        "manager": "rw",
        "auditor": "r",
        "service": "rwc",
    },
    # interop_monitor
    "interop.monitor.rollup": {"user": "r", "manager": "r", "auditor": "r"},
    "interop.monitor.reading": {"user": "r", "manager": "r", "auditor": "r"},
    "interop.monitor.cursor": {"manager": "r"},
    "interop.alert.rule": {"user": "r", "manager": "rwcu", "auditor": "r"},
    "interop.alert.event": {"user": "r", "manager": "r", "auditor": "r"},
    "interop.monitor.health.check": {"user": "r", "manager": "r", "auditor": "r"},
    "interop.metrics.key": {"manager": "rwc", "auditor": "r"},
    "interop.metrics.key.generate": {"manager": "rwcu"},
    # interop_supply
    "interop.supply.order": {
        "user": "r",
        "manager": "r",
        "auditor": "r",
        "service": "rwc",
    },
    # interop_standards
    "interop.appointment": {
        "user": "r",
        "manager": "r",
        "auditor": "r",
        "service": "rwc",
    },
    "interop.stock.count": {
        "user": "r",
        "manager": "r",
        "auditor": "r",
        "service": "rwc",
    },
    "interop.stock.count.line": {
        "user": "r",
        "manager": "r",
        "auditor": "r",
        "service": "rc",
    },
    "interop.remittance": {"user": "r", "manager": "r", "auditor": "r"},
    "interop.remittance.claim": {"user": "r", "manager": "r", "auditor": "r"},
    "interop.remittance.import": {"manager": "rwc"},
    # interop_revenue
    "interop.timing.rule": {"user": "r", "manager": "rwcu", "auditor": "r"},
}

# model: {button method: roles that may press it}. Every other role gets an access
# error when it calls the method through RPC.
ACTIONS = {
    "interop.endpoint": {
        "action_activate": ("manager",),
        "action_suspend": ("manager",),
        "action_retire": ("manager",),
        "action_reset_breaker": ("manager",),
        "action_generate_gateway_api_key": ("manager",),
        "action_set_gateway_secret": ("manager",),
    },
    "interop.change.request": {
        "action_submit": ("manager",),
        "action_approve": ("manager",),
        "action_reject": ("manager",),
        "action_cancel": ("manager",),
    },
    "interop.config.version": {"action_rollback": ("manager",)},
    "interop.event.type": {"action_new_version": ("manager",)},
    "interop.exception": {
        "action_start": ("user", "manager"),
        "action_retry": ("user", "manager"),
        "action_resolve": ("user", "manager"),
        "action_open_dismiss_wizard": ("user", "manager"),
    },
    "interop.message": {
        "action_replay": ("manager",),
        "action_cancel": ("manager",),
        # PHI Access on top of a role that reads messages (no single role here):
        # tests/test_interop_phi_reveal.py presses it as such a user
        "action_reveal_payload": (),
        "action_release": ("manager",),
    },
    "interop.audit.entry": {"action_verify_chain": ("manager", "auditor")},
    "interop.api.key": {"action_revoke": ("manager",)},
    "interop.credential": {
        "action_fetch_token": ("manager",),
        "action_open_set_secret": ("manager",),
        "action_revoke": ("manager",),
    },
    "interop.sync": {"action_run_now": ("manager",)},
    "interop.system.of.record": {"action_request_activation": ("manager",)},
    "interop.exception.rule": {"action_request_activation": ("manager",)},
    "interop.timing.rule": {"action_request_activation": ("manager",)},
    # PHI Access on top of a role that reads attempts (see interop_outbound's
    # test_outbound_delivery)
    "interop.message.attempt": {"action_reveal_response": ()},
    "interop.metrics.key": {"action_revoke": ("manager",)},
    "interop.stock.count": {"action_approve": ("manager",)},
}

# Buttons that only open other screens: they change nothing and show only what the
# user may read there.
NAVIGATION = {
    "action_view_change_requests",
    "action_view_versions",
    "action_view_exceptions",
    "action_view_messages",
    "action_view_messages_today",
    "action_view_messages_failed",
    "action_view_messages_queued",
    "action_view_messages_held",
    "action_view_flow",
    "action_view_lines",
    "action_view_runs",
    "action_view_interop_exceptions",
    "action_view_interop_messages",
    "action_view_invoices",
    "action_view_payments",
    "action_open_object",
    "action_open_message",
    "action_open_related",
    "action_open_record",
    "action_open_figure",
    "action_open_list",
    "action_view_monitor_rollups",
    "action_view_monitor_held",
    "action_view_breaker_transitions",
}

# Wizards: their buttons are pressed by those who may create them (ACCESS above).
WIZARD_ACTIONS = {
    "interop.exception.dismiss": ("action_dismiss",),
    "interop.endpoint.retire": ("action_retire",),
    "interop.audit.verify": ("action_verify",),
    "interop.api.key.generate": ("action_generate",),
    "interop.gateway.secret.set": ("action_apply",),
    "interop.credential.set": ("action_apply",),
    "interop.metrics.key.generate": ("action_generate",),
    "interop.remittance.import": ("action_import",),
}
