"""What the work-order pages share: the translation keys of states, priorities, sources and
actions, calling a service as the signed-in user, and small formatting pieces."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeVar

from nicegui import ui
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cloud.errors import Invalid, ParkopsError
from cloud.identity.actor import Actor
from cloud.web.formatting import local_minute
from cloud.web.i18n import t
from cloud.workorders import service
from cloud.workorders.models import Priority, Source, State
from cloud.workorders.schemas import Action, CategoryRead, WorkOrderRead

T = TypeVar("T")


def load_orders(*, session: Session, actor: Actor, **filters: Any) -> list[WorkOrderRead]:
    return [
        WorkOrderRead.of(o) for o in service.list_orders(session=session, actor=actor, **filters)
    ]


def load_categories(*, session: Session, actor: Actor) -> list[CategoryRead]:
    return [
        CategoryRead(code=c.code, name=c.name, labour_rate=c.labour_rate)
        for c in service.list_categories(session=session, actor=actor)
    ]


# Translation keys of the values people see (the i18n test reads these tables).
STATE_KEYS: Final = {state: f"wo.state.{state}" for state in State}
PRIORITY_KEYS: Final = {priority: f"wo.priority.{priority}" for priority in Priority}
SOURCE_KEYS: Final = {source: f"wo.source.{source}" for source in Source}
ACTION_KEYS: Final = {action: f"wo.action.{action}" for action in Action if action != "assign"}
STATE_COLOURS: Final = {
    State.new: "orange",
    State.assigned: "blue",
    State.accepted: "indigo",
    State.in_progress: "purple",
    State.on_hold: "grey",
    State.done: "teal",
    State.closed: "green",
}


def notify_error(message: str) -> None:
    text = t("app.error", message=message)
    ui.notify(text, type="negative", position="top", group=text)


def first_problem(error: ValidationError) -> str:
    """`field: what is wrong` of the first problem pydantic found."""
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem.get("loc", ()))
    return f"{where}: {problem.get('msg', '')}" if where else str(problem.get("msg", ""))


def decimal_of(value: object, field: str) -> Decimal:
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid(f"{value!r} is not a number", field=field) from None


def state_chip(state: State) -> None:
    ui.badge(t(STATE_KEYS[state]), color=STATE_COLOURS[state]).classes("text-sm")


def where_of(order: WorkOrderRead) -> str:
    return " · ".join(part for part in (order.unit_code, order.location) if part) or "—"


def chosen(category: str | None) -> str:
    if not category:
        raise Invalid(t("wo.pick_category"), field="category_code")
    return category


def parsed(build: Callable[[], T]) -> T | None:
    """A request body from form values, or None after saying which value is wrong."""
    try:
        return build()
    except ValidationError as error:
        notify_error(first_problem(error))
    except ParkopsError as error:
        notify_error(str(error))
    return None


def due(due: datetime, stopped: datetime | None, now: datetime, zone: Any) -> str:
    late = (stopped or now) > due
    return local_minute(due, zone) + (f" ⚠ {t('wo.overdue')}" if late else "")
