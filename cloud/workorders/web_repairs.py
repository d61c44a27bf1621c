"""The tenant's `/m/repairs`: report a repair with photos, follow it and rate it."""

from collections.abc import Callable
from typing import Any

from nicegui import events, ui
from sqlalchemy.orm import Session

from cloud.identity.actor import Actor
from cloud.properties import service as properties_service
from cloud.web.auth import WebContext
from cloud.web.calls import call as call_service
from cloud.web.formatting import local_minute
from cloud.web.i18n import t
from cloud.workorders import attachments, service
from cloud.workorders.models import State
from cloud.workorders.schemas import RatingCreate, WorkOrderCreate, WorkOrderRead
from cloud.workorders.web_parts import (
    chosen,
    load_categories,
    load_orders,
    parsed,
    state_chip,
    where_of,
)


def _unit_codes(*, session: Session, actor: Actor) -> list[str]:
    return [unit.code for unit in properties_service.list_units(session=session, actor=actor)]


async def tenant_repairs(ctx: WebContext) -> None:
    categories = await call_service(ctx, load_categories) or []
    units = await call_service(ctx, _unit_codes) or []
    photos: list[attachments.Upload] = []

    @ui.refreshable
    async def mine() -> None:
        orders = await call_service(ctx, load_orders)
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
            data = parsed(
                lambda: WorkOrderCreate(
                    category_code=chosen(category.value),
                    unit_code=unit.value,
                    location=where.value,
                    description=description.value or "",
                )
            )
            if data is None:
                return
            created = await call_service(
                ctx, service.create_work_order, data=data, photos=list(photos)
            )
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
        ui.label(f"{order.code} · {where_of(order)}").classes("text-xs text-grey-7")
        ui.label(f"{t('wo.reported_at')}: {local_minute(order.reported_at, ctx.zone)}").classes(
            "text-sm"
        )
        if order.assignee_name:
            ui.label(t("repair.assignee", name=order.assignee_name)).classes("text-sm")
        if order.rating is not None:
            ui.rating(value=order.rating, size="sm").props("readonly")
        elif order.state in (State.done, State.closed):
            ui.label(t("repair.rate")).classes("text-sm font-medium")
            stars = ui.rating(value=5, size="md")
            comment = ui.input(t("repair.comment")).classes("w-full")

            async def rate() -> None:
                rated = await call_service(
                    ctx,
                    service.rate,
                    code=order.code,
                    data=RatingCreate(score=int(stars.value or 0), comment=comment.value or None),
                )
                if rated is not None:
                    ui.notify(t("repair.thanks"), type="positive", position="top")
                    refresh()

            ui.button(t("repair.send_rating"), on_click=rate).props("unelevated dense")
