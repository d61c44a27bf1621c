"""Work-order pages: the console's list and order page (also an engineer's phone page), and the
tenant's `/m/repairs` to report a repair, follow it and rate it. Every rule is the service's."""

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeVar

from fastapi.responses import RedirectResponse
from nicegui import events, ui
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cloud.errors import Invalid, ParkopsError, Unauthenticated
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.properties import service as properties_service
from cloud.web.auth import WebContext, as_user, sign_out, signed_in
from cloud.web.formatting import cny, local_time
from cloud.web.i18n import t
from cloud.web.layout import frame, section
from cloud.workorders import attachments, handling, reports, service
from cloud.workorders.models import AttachmentKind, Priority, Source, State
from cloud.workorders.schemas import (
    Action,
    AssigneeSuggestion,
    CategoryRead,
    LabourCreate,
    MaterialCreate,
    RatingCreate,
    SlaFigures,
    WorkOrderCreate,
    WorkOrderDetail,
    WorkOrderRead,
)

T = TypeVar("T")

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


# --- what the pages load, in one transaction each --------------------------------------


@dataclass(frozen=True)
class OrderPage:
    order: WorkOrderDetail
    actions: list[Action]
    suggestions: list[AssigneeSuggestion]
    can_work: bool


def _order_page(*, session: Session, actor: Actor, code: str) -> OrderPage:
    order = service.get_order(session=session, actor=actor, code=code)
    dispatcher = actor.role in service.DISPATCHERS
    return OrderPage(
        order=WorkOrderDetail.of(order),
        actions=service.allowed_actions(actor=actor, order=order),
        suggestions=(
            service.suggest_assignees(session=session, actor=actor, code=code)
            if dispatcher and order.state in service.MOVES[Action.assign].sources
            else []
        ),
        can_work=actor.role in service.WORKERS and order.state != State.closed,
    )


def _orders(*, session: Session, actor: Actor, **filters: Any) -> list[WorkOrderRead]:
    return [
        WorkOrderRead.of(o) for o in service.list_orders(session=session, actor=actor, **filters)
    ]


def _categories(*, session: Session, actor: Actor) -> list[CategoryRead]:
    return [
        CategoryRead(code=c.code, name=c.name, labour_rate=c.labour_rate)
        for c in service.list_categories(session=session, actor=actor)
    ]


def _unit_codes(*, session: Session, actor: Actor) -> list[str]:
    return [unit.code for unit in properties_service.list_units(session=session, actor=actor)]


def _month_report(*, session: Session, actor: Actor) -> list[SlaFigures]:
    today = identity_service.org_today(session=session, actor=actor)
    return reports.sla_report(session=session, actor=actor, first=today.replace(day=1), last=today)


def _image_uri(*, session: Session, actor: Actor, code: str, attachment_id: int) -> str:
    image = handling.get_attachment(
        session=session, actor=actor, code=code, attachment_id=attachment_id
    )
    return f"data:{image.content_type};base64,{base64.b64encode(image.data).decode()}"


# --- helpers for the pages ---------------------------------------------------------------


async def _call(ctx: WebContext, call: Callable[..., T], /, **arguments: Any) -> T | None:
    """`call` as the signed-in user; None after showing what went wrong (or leaving for /login)."""
    try:
        return await as_user(ctx, call, **arguments)
    except Unauthenticated:
        sign_out()
        ui.navigate.to("/login")
    except ValidationError as error:
        _notify_error(_first_problem(error))
    except ParkopsError as error:
        _notify_error(str(error))
    return None


def _notify_error(message: str) -> None:
    text = t("app.error", message=message)
    ui.notify(text, type="negative", position="top", group=text)


def _first_problem(error: ValidationError) -> str:
    """`field: what is wrong` of the first problem pydantic found."""
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem.get("loc", ()))
    return f"{where}: {problem.get('msg', '')}" if where else str(problem.get("msg", ""))


def _decimal(value: object, field: str) -> Decimal:
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid(f"{value!r} is not a number", field=field) from None


def state_chip(state: State) -> None:
    ui.badge(t(STATE_KEYS[state]), color=STATE_COLOURS[state]).classes("text-sm")


def _when(instant: datetime | None, zone: Any) -> str:
    return local_time(instant, zone)[:16] if instant else "—"


def _where(order: WorkOrderRead) -> str:
    return " · ".join(part for part in (order.unit_code, order.location) if part) or "—"


def _column(name: str, label: str, *, align: str = "left") -> dict[str, Any]:
    return {"name": name, "label": label, "field": name, "align": align, "sortable": True}


# --- the staff console -------------------------------------------------------------------


def register(ctx: WebContext) -> None:
    """Add the console's work-order pages and the tenant's repair page."""

    @ui.page("/work-orders")
    async def work_orders_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m/repairs")
        with frame(t("wo.title"), user_name=user.display_name, current="/work-orders"):
            await _order_list(ctx)
        return None

    @ui.page("/work-orders/{code}")
    async def work_order_page(code: str) -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m/repairs")
        with frame(t("wo.order_title", code=code), user_name=user.display_name):
            await _order_view(ctx, code)
        return None

    @ui.page("/m/repairs")
    async def repairs_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if not user.is_tenant:
            return RedirectResponse("/work-orders")
        with frame(t("repair.title"), user_name=user.display_name, narrow=True):
            ui.link(t("repair.back"), "/m").classes("text-sm")
            await _tenant_repairs(ctx)
        return None


async def _order_list(ctx: WebContext) -> None:
    categories = await _call(ctx, _categories) or []
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
        _column("code", t("wo.col.code")),
        _column("title", t("wo.col.title")),
        _column("category", t("wo.category")),
        _column("priority", t("wo.priority")),
        _column("state", t("wo.col.state")),
        _column("where", t("wo.col.where")),
        _column("assignee", t("wo.col.assignee")),
        _column("reported", t("wo.reported_at")),
        _column("response_due", t("wo.response_due")),
        _column("resolution_due", t("wo.resolution_due")),
    ]
    table = ui.table(columns=columns, rows=[], row_key="code", pagination=20).classes("w-full")
    table.props(f'flat dense no-data-label="{t("wo.none")}"')
    table.on("rowClick", lambda e: ui.navigate.to(f"/work-orders/{e.args[1]['code']}"))

    async def refresh() -> None:
        orders = await _call(
            ctx,
            _orders,
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
                "where": _where(o),
                "assignee": o.assignee_name or "—",
                "reported": _when(o.reported_at, ctx.zone),
                "response_due": _due(o.response_due_at, o.responded_at, now, ctx.zone),
                "resolution_due": _due(o.resolution_due_at, o.resolved_at, now, ctx.zone),
            }
            for o in orders
        ]
        table.update()

    for control in (states, category):
        control.on_value_change(refresh)
    building.on("keydown.enter", refresh)
    await refresh()
    with section(t("wo.report")):
        figures = await _call(ctx, _month_report)
        if figures is not None:
            _report_table(figures)


def _due(due: datetime, stopped: datetime | None, now: datetime, zone: Any) -> str:
    late = (stopped or now) > due
    return _when(due, zone) + (f" ⚠ {t('wo.overdue')}" if late else "")


def _report_table(figures: list[SlaFigures]) -> None:
    def pct(value: Decimal | None) -> str:
        return "—" if value is None else f"{value}%"

    columns = [
        _column("category", t("wo.category")),
        _column("building", t("wo.filter_building")),
        _column("orders", t("wo.col.orders"), align="right"),
        _column("response", t("wo.col.response_pct"), align="right"),
        _column("resolution", t("wo.col.resolution_pct"), align="right"),
        _column("escalations", t("wo.col.escalations"), align="right"),
        _column("rating", t("wo.col.mean_rating"), align="right"),
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
            data = _parsed(
                lambda: WorkOrderCreate(
                    category_code=_chosen(category.value),
                    priority=Priority(priority.value),
                    unit_code=(unit.value or "").strip() or None,
                    location=location.value,
                    description=description.value or "",
                )
            )
            if data is None:
                return
            created = await _call(ctx, service.create_work_order, data=data)
            if created is not None:
                dialog.close()
                ui.navigate.to(f"/work-orders/{created.code}")

        with ui.row().classes("w-full justify-end"):
            ui.button(t("wo.submit"), on_click=submit).props("unelevated")
    dialog.open()


# --- one work order ----------------------------------------------------------------------


async def _order_view(ctx: WebContext, code: str) -> None:
    @ui.refreshable
    async def view() -> None:
        page = await _call(ctx, _order_page, code=code)
        if page is None:
            return
        order = page.order
        _summary(order, ctx)
        moves: list[Action] = [action for action in page.actions if action != Action.assign]
        if moves:
            _actions(ctx, order, moves, view.refresh)
        if page.suggestions:
            _dispatch(ctx, order, page.suggestions, view.refresh)
        _handling(ctx, order, page.can_work, view.refresh)
        await _pictures(ctx, order, page.can_work, view.refresh)
        _history(order, ctx)

    await view()


def _summary(order: WorkOrderDetail, ctx: WebContext) -> None:
    with section(order.title):
        with ui.row().classes("items-center gap-2"):
            state_chip(order.state)
            ui.badge(t(PRIORITY_KEYS[order.priority]), color="red-5").props("outline")
            ui.label(f"{order.category_name} · {t(SOURCE_KEYS[order.source])}")
        if order.description and order.description != order.title:
            ui.label(order.description).classes("whitespace-pre-line")
        now = datetime.now(ctx.zone)
        facts = [
            (t("wo.col.where"), _where(order)),
            (t("wo.tenant"), order.tenant_name or "—"),
            (t("wo.col.assignee"), order.assignee_name or "—"),
            (t("wo.reported_at"), _when(order.reported_at, ctx.zone)),
            (t("wo.response_due"), _due(order.response_due_at, order.responded_at, now, ctx.zone)),
            (t("wo.responded_at"), _when(order.responded_at, ctx.zone)),
            (
                t("wo.resolution_due"),
                _due(order.resolution_due_at, order.resolved_at, now, ctx.zone),
            ),
            (t("wo.resolved_at"), _when(order.resolved_at, ctx.zone)),
        ]
        if order.alarm_key:
            facts.append((t("wo.alarm"), f"{order.alarm_key} ×{order.alarm_count}"))
        if order.rating is not None:
            facts.append(
                (t("wo.rating_label"), f"{'★' * order.rating} {order.rating_comment or ''}")
            )
        with ui.grid(columns="auto 1fr").classes("w-full gap-x-6 gap-y-1"):
            for label, value in facts:
                ui.label(label).classes("text-grey-7")
                ui.label(value)


def _actions(
    ctx: WebContext, order: WorkOrderDetail, actions: list[Action], refresh: Callable[[], Any]
) -> None:
    with section(t("wo.actions")):
        note = ui.input(t("wo.note")).classes("w-full")
        with ui.row().classes("gap-2"):
            for action in actions:

                async def move(action: Action = action) -> None:
                    moved = await _call(
                        ctx,
                        service.transition,
                        code=order.code,
                        action=action,
                        note=note.value or None,
                    )
                    if moved is not None:
                        refresh()

                ui.button(t(ACTION_KEYS[action]), on_click=move).props("unelevated")


def _dispatch(
    ctx: WebContext,
    order: WorkOrderDetail,
    suggestions: list[AssigneeSuggestion],
    refresh: Callable[[], Any],
) -> None:
    async def assign(username: str) -> None:
        if await _call(ctx, service.assign, code=order.code, assignee=username) is not None:
            refresh()

    with section(t("wo.dispatch")):
        for rank, person in enumerate(suggestions):
            with ui.row().classes("w-full items-center gap-2"):
                ui.icon("star" if rank == 0 else "person", color="amber" if rank == 0 else None)
                ui.label(person.display_name).classes("font-medium")
                if person.has_skill:
                    ui.badge(t("wo.skill"), color="green").props("outline")
                if person.covers_building:
                    ui.badge(t("wo.building_match"), color="blue").props("outline")
                ui.label(t("wo.load", count=person.open_orders)).classes("text-grey-7")
                ui.space()
                ui.button(
                    t("wo.assign", name=person.display_name),
                    on_click=lambda _e, who=person.username: assign(who),
                ).props("flat dense")


def _handling(
    ctx: WebContext, order: WorkOrderDetail, can_work: bool, refresh: Callable[[], Any]
) -> None:
    with section(t("wo.materials")):
        for material in order.materials:
            with ui.row().classes("w-full tabular"):
                ui.label(f"{material.item} × {material.quantity.normalize():f}")
                ui.space()
                ui.label(f"{cny(material.unit_price)} → {cny(material.amount)}")
        for labour in order.labour:
            with ui.row().classes("w-full tabular"):
                ui.label(f"{t('wo.labour')}: {labour.worker}, {labour.minutes} {t('wo.minutes')}")
                ui.space()
                ui.label(f"{cny(labour.hourly_rate)}/h → {cny(labour.amount)}")
        ui.label(t("wo.total", amount=cny(order.total))).classes("font-medium tabular")
        if order.chargeable:
            ui.label(t("wo.chargeable")).classes("text-sm text-orange-8")
        if not can_work:
            return
        with ui.row().classes("w-full items-end gap-2"):
            item = ui.input(t("wo.item")).classes("w-40")
            quantity = ui.input(t("wo.quantity"), value="1").classes("w-20")
            price = ui.input(t("wo.unit_price")).classes("w-24")

            async def add_material() -> None:
                data = _parsed(
                    lambda: MaterialCreate(
                        item=item.value or "",
                        quantity=_decimal(quantity.value, "quantity"),
                        unit_price=_decimal(price.value, "unit_price"),
                    )
                )
                if data is None:
                    return
                if await _call(ctx, handling.add_material, code=order.code, data=data) is not None:
                    refresh()

            ui.button(t("wo.add"), on_click=add_material).props("flat")
        with ui.row().classes("w-full items-end gap-2"):
            minutes = ui.number(t("wo.minutes"), value=30, min=1, step=5).classes("w-24")
            rate = ui.input(t("wo.hourly_rate")).classes("w-32")

            async def add_labour() -> None:
                given = (rate.value or "").strip()
                data = _parsed(
                    lambda: LabourCreate(
                        minutes=int(minutes.value or 0),
                        hourly_rate=_decimal(given, "hourly_rate") if given else None,
                    )
                )
                if data is None:
                    return
                if await _call(ctx, handling.add_labour, code=order.code, data=data) is not None:
                    refresh()

            ui.button(t("wo.add"), on_click=add_labour).props("flat")


def _chosen(category: str | None) -> str:
    if not category:
        raise Invalid(t("wo.pick_category"), field="category_code")
    return category


def _parsed(build: Callable[[], T]) -> T | None:
    """A request body from form values, or None after saying which value is wrong."""
    try:
        return build()
    except ValidationError as error:
        _notify_error(_first_problem(error))
    except ParkopsError as error:
        _notify_error(str(error))
    return None


async def _pictures(
    ctx: WebContext, order: WorkOrderDetail, can_work: bool, refresh: Callable[[], Any]
) -> None:
    with section(t("wo.photos")):
        with ui.row().classes("gap-2"):
            for attachment in order.attachments:
                uri = await _call(ctx, _image_uri, code=order.code, attachment_id=attachment.id)
                if uri:
                    with ui.column().classes("items-center gap-0"):
                        ui.image(uri).classes("w-32 h-32 rounded border").props("fit=contain")
                        if attachment.kind == AttachmentKind.signature:
                            ui.label(t("wo.signature")).classes("text-xs text-grey-7")
        if not can_work:
            return

        def uploader(kind: AttachmentKind, label: str) -> None:
            async def received(event: events.UploadEventArguments) -> None:
                upload = attachments.Upload(event.file.name, await event.file.read())
                if await _call(
                    ctx, handling.add_attachment, code=order.code, kind=kind, upload=upload
                ):
                    refresh()

            ui.upload(label=label, auto_upload=True, on_upload=received).props(
                'accept="image/*" flat bordered'
            ).classes("w-full max-w-xs")

        with ui.row().classes("w-full gap-2"):
            uploader(AttachmentKind.photo, t("wo.upload_photo"))
            uploader(AttachmentKind.signature, t("wo.upload_signature"))


def _history(order: WorkOrderDetail, ctx: WebContext) -> None:
    with section(t("wo.history")), ui.timeline(side="right").classes("w-full"):
        for event in reversed(order.events):
            heading = t(STATE_KEYS[event.to_state]) if event.to_state else (event.note or "")
            ui.timeline_entry(
                event.note if event.to_state else "",
                title=heading,
                subtitle=f"{_when(event.at, ctx.zone)} · {event.actor or t('wo.system')}",
            )


# --- the tenant's repairs ----------------------------------------------------------------


async def _tenant_repairs(ctx: WebContext) -> None:
    categories = await _call(ctx, _categories) or []
    units = await _call(ctx, _unit_codes) or []
    photos: list[attachments.Upload] = []

    @ui.refreshable
    async def mine() -> None:
        orders = await _call(ctx, _orders)
        if orders is None:
            return
        if not orders:
            ui.label(t("repair.none")).classes("text-grey-7")
        for order in orders:
            _repair_card(ctx, order, mine.refresh)

    form = ui.expansion(t("repair.new"), icon="build").classes("w-full bg-blue-1 rounded")
    with form:
        category = ui.select({c.code: c.name for c in categories}, label=t("wo.category")).classes(
            "w-full"
        )
        unit = ui.select(
            {u: u for u in units}, label=t("wo.unit"), value=units[0] if units else None
        ).classes("w-full")
        where = ui.input(t("repair.where")).classes("w-full")
        description = ui.textarea(t("repair.describe")).classes("w-full")
        added = ui.label().classes("text-sm text-grey-7")

        async def received(event: events.UploadEventArguments) -> None:
            photos.append(attachments.Upload(event.file.name, await event.file.read()))
            added.set_text(t("repair.photos_added", count=len(photos)))

        uploader = (
            ui.upload(label=t("repair.photos"), auto_upload=True, multiple=True, on_upload=received)
            .props('accept="image/*" flat bordered')
            .classes("w-full")
        )

        async def submit() -> None:
            data = _parsed(
                lambda: WorkOrderCreate(
                    category_code=_chosen(category.value),
                    unit_code=unit.value,
                    location=where.value,
                    description=description.value or "",
                )
            )
            if data is None:
                return
            created = await _call(ctx, service.create_work_order, data=data, photos=list(photos))
            if created is not None:
                ui.notify(t("repair.sent", code=created.code), type="positive", position="top")
                photos.clear()
                uploader.reset()
                added.set_text("")
                description.value = ""
                where.value = ""
                form.close()
                mine.refresh()

        ui.button(t("repair.submit"), on_click=submit).props("unelevated").classes("w-full")
    ui.label(t("repair.mine")).classes("text-lg font-medium")
    await mine()


def _repair_card(ctx: WebContext, order: WorkOrderRead, refresh: Callable[[], Any]) -> None:
    with ui.card().classes("w-full"):
        with ui.row().classes("w-full items-center"):
            ui.label(order.title).classes("text-base font-medium")
            ui.space()
            state_chip(order.state)
        ui.label(f"{order.code} · {_where(order)}").classes("text-xs text-grey-7")
        ui.label(f"{t('wo.reported_at')}: {_when(order.reported_at, ctx.zone)}").classes("text-sm")
        if order.assignee_name:
            ui.label(t("repair.assignee", name=order.assignee_name)).classes("text-sm")
        if order.rating is not None:
            ui.rating(value=order.rating, size="sm").props("readonly")
        elif order.state in (State.done, State.closed):
            ui.label(t("repair.rate")).classes("text-sm font-medium")
            stars = ui.rating(value=5, size="md")
            comment = ui.input(t("repair.comment")).classes("w-full")

            async def rate() -> None:
                rated = await _call(
                    ctx,
                    service.rate,
                    code=order.code,
                    data=RatingCreate(score=int(stars.value or 0), comment=comment.value or None),
                )
                if rated is not None:
                    ui.notify(t("repair.thanks"), type="positive", position="top")
                    refresh()

            ui.button(t("repair.send_rating"), on_click=rate).props("unelevated dense")
