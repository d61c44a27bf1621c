"""One work order's page (also an engineer's phone page): summary, actions, dispatch,
materials and labour, photos and signature, history."""

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nicegui import events, ui
from sqlalchemy.orm import Session

from cloud.identity.actor import Actor
from cloud.web.auth import WebContext
from cloud.web.calls import call as call_service
from cloud.web.formatting import cny, local_minute
from cloud.web.i18n import t
from cloud.web.layout import section
from cloud.workorders import attachments, handling, service
from cloud.workorders.models import AttachmentKind, State
from cloud.workorders.schemas import (
    Action,
    AssigneeSuggestion,
    LabourCreate,
    MaterialCreate,
    WorkOrderDetail,
)
from cloud.workorders.web_parts import (
    ACTION_KEYS,
    PRIORITY_KEYS,
    SOURCE_KEYS,
    STATE_KEYS,
    decimal_of,
    due,
    parsed,
    state_chip,
    where_of,
)


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


def _image_uri(*, session: Session, actor: Actor, code: str, attachment_id: int) -> str:
    image = handling.get_attachment(
        session=session, actor=actor, code=code, attachment_id=attachment_id
    )
    return f"data:{image.content_type};base64,{base64.b64encode(image.data).decode()}"


async def order_view(ctx: WebContext, code: str) -> None:
    @ui.refreshable
    async def view() -> None:
        page = await call_service(ctx, _order_page, code=code)
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
            (t("wo.col.where"), where_of(order)),
            (t("wo.tenant"), order.tenant_name or "—"),
            (t("wo.col.assignee"), order.assignee_name or "—"),
            (t("wo.reported_at"), local_minute(order.reported_at, ctx.zone)),
            (t("wo.response_due"), due(order.response_due_at, order.responded_at, now, ctx.zone)),
            (t("wo.responded_at"), local_minute(order.responded_at, ctx.zone)),
            (
                t("wo.resolution_due"),
                due(order.resolution_due_at, order.resolved_at, now, ctx.zone),
            ),
            (t("wo.resolved_at"), local_minute(order.resolved_at, ctx.zone)),
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
                    moved = await call_service(
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
        if await call_service(ctx, service.assign, code=order.code, assignee=username) is not None:
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
                data = parsed(
                    lambda: MaterialCreate(
                        item=item.value or "",
                        quantity=decimal_of(quantity.value, "quantity"),
                        unit_price=decimal_of(price.value, "unit_price"),
                    )
                )
                if data is None:
                    return
                if (
                    await call_service(ctx, handling.add_material, code=order.code, data=data)
                    is not None
                ):
                    refresh()

            ui.button(t("wo.add"), on_click=add_material).props("flat")
        with ui.row().classes("w-full items-end gap-2"):
            minutes = ui.number(t("wo.minutes"), value=30, min=1, step=5).classes("w-24")
            rate = ui.input(t("wo.hourly_rate")).classes("w-32")

            async def add_labour() -> None:
                given = (rate.value or "").strip()
                data = parsed(
                    lambda: LabourCreate(
                        minutes=int(minutes.value or 0),
                        hourly_rate=decimal_of(given, "hourly_rate") if given else None,
                    )
                )
                if data is None:
                    return
                if (
                    await call_service(ctx, handling.add_labour, code=order.code, data=data)
                    is not None
                ):
                    refresh()

            ui.button(t("wo.add"), on_click=add_labour).props("flat")


async def _pictures(
    ctx: WebContext, order: WorkOrderDetail, can_work: bool, refresh: Callable[[], Any]
) -> None:
    with section(t("wo.photos")):
        with ui.row().classes("gap-2"):
            for attachment in order.attachments:
                uri = await call_service(
                    ctx, _image_uri, code=order.code, attachment_id=attachment.id
                )
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
                if await call_service(
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
                subtitle=f"{local_minute(event.at, ctx.zone)} · {event.actor or t('wo.system')}",
            )
