"""The console's work-order list with its filters, the month's SLA report, and reporting a
new job."""

from datetime import datetime
from decimal import Decimal

from nicegui import ui
from sqlalchemy.orm import Session

from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.web.auth import WebContext
from cloud.web.calls import call as call_service
from cloud.web.formatting import local_minute
from cloud.web.i18n import t
from cloud.web.layout import section
from cloud.web.widgets import column
from cloud.workorders import reports, service
from cloud.workorders.models import Priority, State
from cloud.workorders.schemas import CategoryRead, SlaFigures, WorkOrderCreate
from cloud.workorders.web_parts import (
    PRIORITY_KEYS,
    STATE_KEYS,
    chosen,
    due,
    load_categories,
    load_orders,
    parsed,
    where_of,
)


def _month_report(*, session: Session, actor: Actor) -> list[SlaFigures]:
    today = identity_service.org_today(session=session, actor=actor)
    return reports.sla_report(session=session, actor=actor, first=today.replace(day=1), last=today)


async def order_list(ctx: WebContext) -> None:
    categories = await call_service(ctx, load_categories) or []
    with ui.row().classes("w-full items-end gap-3"):
        states = ui.select(
            {s.value: t(STATE_KEYS[s]) for s in State},
            label=t("wo.filter_state"),
            multiple=True,
            value=[s.value for s in State if s != State.closed],
        ).classes("min-w-64")
        category = ui.select(
            {"": "—"} | {c.code: c.name for c in categories}, label=t("wo.category"), value=""
        ).classes("min-w-48")
        building = ui.input(t("wo.filter_building")).classes("w-32")
        ui.space()
        ui.button(t("wo.new"), icon="add", on_click=lambda: _new_order_dialog(ctx, categories))
    columns = [
        column("code", t("wo.col.code")),
        column("title", t("wo.col.title")),
        column("category", t("wo.category")),
        column("priority", t("wo.priority")),
        column("state", t("wo.col.state")),
        column("where", t("wo.col.where")),
        column("assignee", t("wo.col.assignee")),
        column("reported", t("wo.reported_at")),
        column("response_due", t("wo.response_due")),
        column("resolution_due", t("wo.resolution_due")),
    ]
    table = ui.table(columns=columns, rows=[], row_key="code", pagination=20).classes("w-full")
    table.props(f'flat dense no-data-label="{t("wo.none")}"')
    table.on("rowClick", lambda e: ui.navigate.to(f"/work-orders/{e.args[1]['code']}"))

    async def refresh() -> None:
        orders = await call_service(
            ctx,
            load_orders,
            states=[State(s) for s in states.value or []],
            category_code=category.value or None,
            building_code=(building.value or "").strip() or None,
        )
        if orders is None:
            return
        now = datetime.now(ctx.zone)
        table.rows = [
            {
                "code": o.code,
                "title": o.title,
                "category": o.category_name,
                "priority": t(PRIORITY_KEYS[o.priority]),
                "state": t(STATE_KEYS[o.state]),
                "where": where_of(o),
                "assignee": o.assignee_name or "—",
                "reported": local_minute(o.reported_at, ctx.zone),
                "response_due": due(o.response_due_at, o.responded_at, now, ctx.zone),
                "resolution_due": due(o.resolution_due_at, o.resolved_at, now, ctx.zone),
            }
            for o in orders
        ]
        table.update()

    for control in (states, category):
        control.on_value_change(refresh)
    building.on("keydown.enter", refresh)
    await refresh()
    with section(t("wo.report")):
        figures = await call_service(ctx, _month_report)
        if figures is not None:
            _report_table(figures)


def _report_table(figures: list[SlaFigures]) -> None:
    def pct(value: Decimal | None) -> str:
        return "—" if value is None else f"{value}%"

    columns = [
        column("category", t("wo.category")),
        column("building", t("wo.filter_building")),
        column("orders", t("wo.col.orders"), align="right"),
        column("response", t("wo.col.response_pct"), align="right"),
        column("resolution", t("wo.col.resolution_pct"), align="right"),
        column("escalations", t("wo.col.escalations"), align="right"),
        column("rating", t("wo.col.mean_rating"), align="right"),
    ]
    rows = [
        {
            "key": f"{f.category_code}/{f.building_code}",
            "category": f.category_name,
            "building": f.building_code or "—",
            "orders": f.orders,
            "response": pct(f.response_on_time_pct),
            "resolution": pct(f.resolution_on_time_pct),
            "escalations": f.escalations,
            "rating": f"{f.mean_rating} ({f.ratings})" if f.mean_rating is not None else "—",
        }
        for f in figures
    ]
    ui.table(columns=columns, rows=rows, row_key="key").classes("w-full").props(
        f'flat dense no-data-label="{t("wo.none")}"'
    )


def _new_order_dialog(ctx: WebContext, categories: list[CategoryRead]) -> None:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-lg"):
        ui.label(t("wo.new")).classes("text-lg font-medium")
        category = ui.select({c.code: c.name for c in categories}, label=t("wo.category"))
        priority = ui.select(
            {p.value: t(PRIORITY_KEYS[p]) for p in Priority},
            label=t("wo.priority"),
            value=Priority.normal.value,
        )
        unit = ui.input(t("wo.unit")).classes("w-full")
        location = ui.input(t("wo.location")).classes("w-full")
        description = ui.textarea(t("wo.description")).classes("w-full")

        async def submit() -> None:
            data = parsed(
                lambda: WorkOrderCreate(
                    category_code=chosen(category.value),
                    priority=Priority(priority.value),
                    unit_code=(unit.value or "").strip() or None,
                    location=location.value,
                    description=description.value or "",
                )
            )
            if data is None:
                return
            created = await call_service(ctx, service.create_work_order, data=data)
            if created is not None:
                dialog.close()
                ui.navigate.to(f"/work-orders/{created.code}")

        with ui.row().classes("w-full justify-end"):
            ui.button(t("wo.submit"), on_click=submit).props("unelevated")
    dialog.open()
