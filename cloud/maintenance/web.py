"""`/equipment`: the equipment ledger and its maintenance plans; `/equipment/{code}`: one piece
with its history, status and readings (phone-friendly for engineers on a round)."""

from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui
from sqlalchemy.orm import Session

from cloud.identity.actor import Actor
from cloud.maintenance import plans, service
from cloud.maintenance.models import EventKind, Every, Kind, Status, Trigger
from cloud.maintenance.schemas import (
    EquipmentCreate,
    EquipmentDetail,
    EquipmentRead,
    PlanCreate,
    PlanRead,
    ReadingCreate,
    StatusChange,
)
from cloud.web.auth import WebContext, signed_in
from cloud.web.calls import call
from cloud.web.formatting import local_time
from cloud.web.i18n import t
from cloud.web.layout import frame, section
from cloud.web.widgets import column

KIND_KEYS = {
    Kind.lift: "eq.kind.lift",
    Kind.hvac: "eq.kind.hvac",
    Kind.fire: "eq.kind.fire",
    Kind.pump: "eq.kind.pump",
    Kind.power: "eq.kind.power",
    Kind.other: "eq.kind.other",
}
STATUS_KEYS = {
    Status.in_service: "eq.status.in_service",
    Status.faulty: "eq.status.faulty",
    Status.maintenance: "eq.status.maintenance",
    Status.retired: "eq.status.retired",
}
EVENT_KEYS = {
    EventKind.created: "eq.event.created",
    EventKind.status: "eq.event.status",
    EventKind.work_order: "eq.event.work_order",
    EventKind.maintenance: "eq.event.maintenance",
    EventKind.reading: "eq.event.reading",
}
TRIGGER_KEYS = {Trigger.calendar: "pm.trigger.calendar", Trigger.meter: "pm.trigger.meter"}
UNIT_KEYS = {Every.day: "pm.unit.day", Every.week: "pm.unit.week", Every.month: "pm.unit.month"}
RULE_KEYS = {Every.day: "pm.rule_day", Every.week: "pm.rule_week", Every.month: "pm.rule_month"}


def _equipment(*, session: Session, actor: Actor) -> list[EquipmentRead]:
    return [service.read(e) for e in service.list_equipment(session=session, actor=actor)]


def _plans(*, session: Session, actor: Actor) -> list[PlanRead]:
    return [plans.read(p) for p in plans.list_plans(session=session, actor=actor)]


def _create_equipment(*, session: Session, actor: Actor, form: dict[str, Any]) -> EquipmentRead:
    data = EquipmentCreate.model_validate(form)  # here, so a bad field is a notice
    return service.read(service.create_equipment(session=session, actor=actor, data=data))


def _create_plan(*, session: Session, actor: Actor, form: dict[str, Any]) -> PlanRead:
    data = PlanCreate.model_validate({k: v for k, v in form.items() if v not in ("", None)})
    return plans.read(plans.create_plan(session=session, actor=actor, data=data))


def _set_status(*, session: Session, actor: Actor, code: str, form: dict[str, Any]) -> bool:
    data = StatusChange.model_validate(form)
    service.change_status(session=session, actor=actor, code=code, data=data)
    return True


def _add_reading(*, session: Session, actor: Actor, code: str, form: dict[str, Any]) -> bool:
    data = ReadingCreate.model_validate(form)
    service.record_reading(session=session, actor=actor, code=code, data=data)
    return True


def _link(*, session: Session, actor: Actor, code: str, work_order_code: str) -> bool:
    service.link_work_order(
        session=session, actor=actor, code=code, work_order_code=work_order_code
    )
    return True


def register(ctx: WebContext) -> None:
    """Add the equipment pages to the console."""

    @ui.page("/equipment")
    async def equipment_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m")
        with frame(t("eq.title"), user_name=user.display_name, current="/equipment"):
            await _ledger(ctx)
        return None

    @ui.page("/equipment/{code}")
    async def one_equipment_page(code: str) -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m")
        with frame(t("eq.one", code=code), user_name=user.display_name):
            await _one(ctx, code)
        return None


async def _ledger(ctx: WebContext) -> None:
    @ui.refreshable
    async def view() -> None:
        rows = await call(ctx, _equipment)
        if rows is None:
            return
        with ui.row().classes("w-full"):
            ui.space()
            ui.button(t("eq.new"), icon="add", on_click=lambda: _new_equipment(ctx, view))
        table = ui.table(
            columns=[
                column("code", t("eq.code")),
                column("name", t("eq.name")),
                column("kind", t("eq.kind")),
                column("where", t("eq.where")),
                column("status", t("eq.status")),
            ],
            rows=[
                {
                    "code": e.code,
                    "name": e.name,
                    "kind": t(KIND_KEYS[e.kind]),
                    "where": " · ".join(x for x in (e.building_code, e.unit_code, e.location) if x),
                    "status": t(STATUS_KEYS[e.status]),
                }
                for e in rows
            ],
            row_key="code",
            pagination=20,
        ).classes("w-full")
        table.props(f'flat dense no-data-label="{t("eq.none")}"')
        table.on("rowClick", lambda e: ui.navigate.to(f"/equipment/{e.args[1]['code']}"))
        plan_rows = await call(ctx, _plans) or []
        with section(t("pm.title")):
            ui.button(t("pm.new"), icon="add", on_click=lambda: _new_plan(ctx, view, rows))
            _plan_table(plan_rows)

    await view()


def _plan_table(rows: list[PlanRead]) -> None:
    def rule(p: PlanRead) -> str:
        if p.trigger == Trigger.meter:
            return t("pm.rule_meter", every=p.every_value, metric=p.metric)
        return t(RULE_KEYS[p.every_unit or Every.day], every=p.every)

    def next_due(p: PlanRead) -> str:
        return str(p.next_due_on if p.trigger == Trigger.calendar else p.next_due_value)

    ui.table(
        columns=[
            column("code", t("pm.code")),
            column("title", t("pm.plan")),
            column("equipment", t("eq.code")),
            column("rule", t("pm.rule")),
            column("next", t("pm.next")),
        ],
        rows=[
            {
                "code": p.code,
                "title": p.title,
                "equipment": p.equipment_code,
                "rule": rule(p),
                "next": next_due(p),
            }
            for p in rows
        ],
        row_key="code",
    ).classes("w-full").props(f'flat dense no-data-label="{t("pm.none")}"')


def _new_equipment(ctx: WebContext, view: Any) -> None:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-lg"):
        ui.label(t("eq.new")).classes("text-lg font-medium")
        fields = {
            "code": ui.input(t("eq.code")).classes("w-full"),
            "name": ui.input(t("eq.name")).classes("w-full"),
            "kind": ui.select(
                {k.value: t(key) for k, key in KIND_KEYS.items()}, label=t("eq.kind")
            ),
            "building_code": ui.input(t("eq.building")).classes("w-full"),
            "unit_code": ui.input(t("eq.unit")).classes("w-full"),
            "location": ui.input(t("eq.location")).classes("w-full"),
        }

        async def submit() -> None:
            form = {k: (f.value or None) for k, f in fields.items()}
            if await call(ctx, _create_equipment, form=form) is not None:
                dialog.close()
                view.refresh()

        ui.button(t("eq.save"), on_click=submit).props("unelevated")
    dialog.open()


def _new_plan(ctx: WebContext, view: Any, equipment: list[EquipmentRead]) -> None:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-lg"):
        ui.label(t("pm.new")).classes("text-lg font-medium")
        fields = {
            "code": ui.input(t("pm.code")),
            "title": ui.input(t("pm.plan")),
            "equipment_code": ui.select([e.code for e in equipment], label=t("eq.code")),
            "category_code": ui.input(t("pm.category")),
            "trigger": ui.select(
                {x.value: t(key) for x, key in TRIGGER_KEYS.items()},
                label=t("pm.trigger"),
                value=Trigger.calendar.value,
            ),
            "every": ui.number(t("pm.every"), value=1, min=1, format="%d"),
            "every_unit": ui.select(
                {u.value: t(key) for u, key in UNIT_KEYS.items()}, label=t("pm.unit"), value="month"
            ),
            "first_due_on": ui.input(t("pm.first_due_on")).props("type=date"),
            "metric": ui.input(t("pm.metric")),
            "every_value": ui.input(t("pm.every_value")),
        }

        async def submit() -> None:
            form = {k: f.value for k, f in fields.items()}
            form["every"] = int(form["every"] or 1)
            if await call(ctx, _create_plan, form=form) is not None:
                dialog.close()
                view.refresh()

        ui.button(t("eq.save"), on_click=submit).props("unelevated")
    dialog.open()


async def _one(ctx: WebContext, code: str) -> None:
    @ui.refreshable
    async def view() -> None:
        detail: EquipmentDetail | None = await call(ctx, service.detail, code=code)
        if detail is None:
            return
        ui.link(t("eq.back"), "/equipment").classes("text-sm")
        with ui.card().classes("w-full"):
            ui.label(detail.name).classes("text-lg font-medium")
            ui.label(f"{t(KIND_KEYS[detail.kind])} · {detail.building_code}")
            ui.label(t(STATUS_KEYS[detail.status])).classes("font-bold text-primary")
        with section(t("eq.change_status")), ui.row().classes("w-full items-end gap-2"):
            status = ui.select(
                {s.value: t(key) for s, key in STATUS_KEYS.items()}, value=detail.status.value
            )
            note = ui.input(t("eq.note"))

            async def save_status() -> None:
                form = {"status": status.value, "note": note.value}
                if await call(ctx, _set_status, code=code, form=form):
                    view.refresh()

            ui.button(t("eq.save"), on_click=save_status).props("unelevated")
        with section(t("eq.reading")), ui.row().classes("w-full items-end gap-2"):
            metric = ui.input(t("pm.metric"), value="hours")
            value = ui.input(t("eq.value"))

            async def save_reading() -> None:
                form = {"metric": metric.value, "value": value.value}
                if await call(ctx, _add_reading, code=code, form=form):
                    view.refresh()

            ui.button(t("eq.save"), on_click=save_reading).props("unelevated")
        with section(t("eq.link")), ui.row().classes("w-full items-end gap-2"):
            order_code = ui.input(t("eq.work_order_code"))

            async def link() -> None:
                done = await call(
                    ctx, _link, code=code, work_order_code=(order_code.value or "").strip()
                )
                if done:
                    view.refresh()

            ui.button(t("eq.save"), on_click=link).props("unelevated")
        with section(t("eq.history")):
            for event in detail.history:
                with ui.row().classes("w-full gap-3 text-sm"):
                    ui.label(local_time(event.at, ctx.zone)).classes("text-grey-7 tabular")
                    ui.label(t(EVENT_KEYS[event.kind]))
                    ui.label(event.note or "")
                    if event.work_order_code:
                        code_ = event.work_order_code
                        ui.link(code_, f"/work-orders/{code_}")

    await view()
