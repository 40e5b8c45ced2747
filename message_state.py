# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The states of a message, inbound or outbound, and the only moves between them."""

RECEIVED = "received"
VALIDATED = "validated"
QUEUED = "queued"
PROCESSING = "processing"
DONE = "done"
REJECTED = "rejected"
FAILED = "failed"
CANCELLED = "cancelled"
#: waiting for a time a timing rule set (see models/interop_message_hold.py)
HELD = "held"

STATES = [
    (RECEIVED, "Received"),
    (VALIDATED, "Validated"),
    (QUEUED, "Queued"),
    (PROCESSING, "Processing"),
    (HELD, "Held"),
    (DONE, "Done"),
    (REJECTED, "Rejected"),
    (FAILED, "Failed"),
    (CANCELLED, "Cancelled"),
]

# The only moves a message can make. processing -> queued is a transient fault being
# retried; failed -> queued is a replay; held -> queued is a release when due.
TRANSITIONS = {
    RECEIVED: {VALIDATED, REJECTED, CANCELLED},
    VALIDATED: {QUEUED, PROCESSING, CANCELLED},
    QUEUED: {PROCESSING, CANCELLED},
    PROCESSING: {DONE, FAILED, QUEUED, HELD},
    HELD: {QUEUED, CANCELLED},
    FAILED: {QUEUED, CANCELLED},
    REJECTED: {CANCELLED},
    DONE: set(),
    CANCELLED: set(),
}
FINAL_STATES = (DONE, REJECTED, FAILED, CANCELLED)
