# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The supply order's states and milestones, the 3PL's statuses and the flow's
settings, shared by the order and its intake and fulfilment mixins."""

RECEIVED = "received"
CONFIRMED = "confirmed"
RESERVED = "reserved"
DISPATCHED = "dispatched"
DELIVERED = "delivered"
INVOICED = "invoiced"
PAID = "paid"
RECONCILED = "reconciled"
RETURNED = "returned"

STATES = [
    (RECEIVED, "Received"),
    (CONFIRMED, "Confirmed"),
    (RESERVED, "Reserved"),
    (DISPATCHED, "Dispatched"),
    (DELIVERED, "Delivered"),
    (INVOICED, "Invoiced"),
    (PAID, "Paid"),
    (RECONCILED, "Reconciled"),
    (RETURNED, "Returned"),
]
#: the milestones in order, each with the field of the first time it was reached
MILESTONES = [
    (RECEIVED, "date_received"),
    (CONFIRMED, "date_confirmed"),
    (RESERVED, "date_reserved"),
    (DISPATCHED, "date_dispatched"),
    (DELIVERED, "date_delivered"),
    (INVOICED, "date_invoiced"),
    (PAID, "date_paid"),
    (RECONCILED, "date_reconciled"),
]
MILESTONE_ORDER = [state for state, _field in MILESTONES]
#: states an order can be stuck in: on its way, not paid yet
OPEN_STATES = (RECEIVED, CONFIRMED, RESERVED, DISPATCHED, DELIVERED, INVOICED)
PAID_STATES = ("paid", "in_payment")
#: the 3PL's statuses that move the delivery forward, in their order
FORWARD_STATUSES = ("picked", "shipped", "out_for_delivery", "delivered")
FAILED_STATUSES = ("failed_delivery", "returned")

STUCK_HOURS_PARAM = "interop_supply.stuck_hours"
PRICE_TOLERANCE_PARAM = "interop_supply.price_tolerance_percent"
INVOICE_POLICY_PARAM = "interop_supply.invoice_policy"
DISPATCH_EVENT = "dispatch.request"
#: advisory lock class of an external order id ("SUPP"): two drains never confirm it
#: twice
ORDER_LOCK_CLASS = 0x53555050
ORDER_UNIQUE_INDEX = "interop_supply_order_name_company_uniq"
#: a drain that meets an order another drain is confirming retries after this delay
ORDER_BUSY_SECONDS = 5


def float_param(env, key, default, fallback):
    """The number of a system parameter: ``default`` when it is not set,
    ``fallback`` when it is empty or not a number."""
    value = env["ir.config_parameter"].sudo().get_param(key, default)
    try:
        return float(value or fallback)
    except ValueError:
        return float(fallback)
