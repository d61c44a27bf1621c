"""Work orders, scoped to the actor: a tenant reports and sees its own; engineers see and work
the org's; staff and admins dispatch, verify and reopen. Alarms open jobs through
`open_for_alarm`, one open job per alarm key.

The functions live in modules by idea — `scope` (who sees what, the history), `sla` (the
business clock), `intake` (reporting and triage), `flow` (states, assigning, rating),
`dispatch` (suggesting engineers) — and are gathered here, the one place callers import."""

from cloud.workorders.dispatch import suggest_assignees
from cloud.workorders.flow import MOVES, Move, allowed_actions, assign, rate, transition, where
from cloud.workorders.intake import (
    create_work_order,
    open_for_alarm,
    open_for_system,
    update_work_order,
)
from cloud.workorders.scope import (
    ACTIVE_STATES,
    DISPATCHERS,
    OPEN_STATES,
    READERS,
    REPORTERS,
    WORKERS,
    get_order,
    list_categories,
    list_orders,
    open_order,
    record_event,
    visible_orders,
)
from cloud.workorders.sla import business_calendar

__all__ = [
    "ACTIVE_STATES",
    "DISPATCHERS",
    "MOVES",
    "OPEN_STATES",
    "READERS",
    "REPORTERS",
    "WORKERS",
    "Move",
    "allowed_actions",
    "assign",
    "business_calendar",
    "create_work_order",
    "get_order",
    "list_categories",
    "list_orders",
    "open_for_alarm",
    "open_for_system",
    "open_order",
    "rate",
    "record_event",
    "suggest_assignees",
    "transition",
    "update_work_order",
    "visible_orders",
    "where",
]
