"""`/inspections`: routes with their checkpoints' QR codes to print, and the latest rounds;
`/inspect/{token}`: the phone page a checkpoint's QR code opens, to record what was found."""

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import events, ui
from sqlalchemy.orm import Session

from cloud.identity.actor import Actor
from cloud.maintenance import inspections, rounds
from cloud.maintenance.api_inspections import route_read
from cloud.maintenance.schemas import CheckpointRead, ResultCreate, RoundRead, RouteRead
from cloud.web.auth import WebContext, signed_in
from cloud.web.calls import call
from cloud.web.formatting import local_time
from cloud.web.i18n import t
from cloud.web.layout import frame, section
from cloud.workorders.attachments import Upload


def _routes(*, session: Session, actor: Actor) -> list[RouteRead]:
    return [route_read(r) for r in inspections.list_routes(session=session, actor=actor)]


def _checkpoint(*, session: Session, actor: Actor, token: str) -> tuple[str, CheckpointRead]:
    point = inspections.checkpoint_by_token(session=session, actor=actor, token=token)
    route = route_read(point.route)
    return route.name, next(p for p in route.checkpoints if p.code == point.code)


def _record(
    *, session: Session, actor: Actor, token: str, form: dict[str, Any], photos: list[Upload]
) -> RoundRead:
    data = ResultCreate.model_validate(form)
    result = rounds.record(session=session, actor=actor, token=token, data=data, photos=photos)
    return rounds.round_view(session=session, actor=actor, round_id=result.round_id)


def register(ctx: WebContext) -> None:
    """Add the inspection pages."""

    @ui.page("/inspections")
    async def inspections_page(request: Request) -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m")
        with frame(t("insp.title"), user_name=user.display_name, current="/inspections"):
            await _overview(ctx, str(request.base_url))
        return None

    @ui.page("/inspect/{token}")
    async def inspect_page(token: str) -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        with frame(t("insp.record"), user_name=user.display_name, narrow=True):
            await _record_form(ctx, token)
        return None


async def _overview(ctx: WebContext, base_url: str) -> None:
    routes = await call(ctx, _routes)
    if routes is None:
        return
    if not routes:
        ui.label(t("insp.no_routes")).classes("text-grey-7")
    for route in routes:
        with section(f"{route.code} · {route.name}"), ui.row().classes("w-full gap-4"):
            for point in route.checkpoints:
                with ui.card().classes("w-56 items-center"):
                    ui.label(f"{point.position}. {point.name}").classes("font-medium")
                    ui.html(inspections.qr_svg(token=point.token, base_url=base_url))
                    ui.link(t("insp.open_page"), f"/inspect/{point.token}").classes("text-sm")
                    ui.label(point.checklist.name).classes("text-xs text-grey-7")
    recent = await call(ctx, rounds.list_rounds) or []
    with section(t("insp.rounds")):
        if not recent:
            ui.label(t("insp.no_rounds")).classes("text-grey-7")
        for walk in recent:
            _round_card(ctx, walk)


def _round_card(ctx: WebContext, walk: RoundRead) -> None:
    with ui.card().classes("w-full"):
        ui.label(
            t(
                "insp.round_head",
                route=walk.route_name,
                who=walk.inspector,
                at=local_time(walk.started_at, ctx.zone),
            )
        ).classes("font-medium")
        for result in walk.results:
            with ui.row().classes("w-full gap-3 text-sm items-center"):
                ui.label(result.checkpoint_name)
                if result.failed_items:
                    ui.label("✗ " + "、".join(result.failed_items)).classes("text-negative")
                else:
                    ui.label("✓ " + t("insp.all_clear")).classes("text-positive")
                if result.work_order_code:
                    code = result.work_order_code
                    ui.link(code, f"/work-orders/{code}")
        if walk.remaining:
            ui.label(t("insp.remaining", codes="、".join(walk.remaining))).classes(
                "text-xs text-grey-7"
            )


async def _record_form(ctx: WebContext, token: str) -> None:
    found = await call(ctx, _checkpoint, token=token)
    if found is None:
        return
    route_name, point = found
    ui.label(f"{route_name} · {point.position}. {point.name}").classes("text-base font-medium")
    ui.label(t("insp.tick_failed")).classes("text-sm text-grey-7")
    boxes = {item: ui.checkbox(item) for item in point.checklist.items}
    note = ui.textarea(t("insp.note")).classes("w-full")
    photos: list[Upload] = []
    added = ui.label().classes("text-sm text-grey-7")

    async def take(event: events.UploadEventArguments) -> None:
        photos.append(Upload(filename=event.file.name, data=await event.file.read()))
        added.set_text(t("repair.photos_added", count=len(photos)))

    ui.upload(label=t("repair.photos"), multiple=True, auto_upload=True, on_upload=take).props(
        'accept="image/*" capture="environment"'
    ).classes("w-full")

    async def submit() -> None:
        form = {"failed_items": [i for i, box in boxes.items() if box.value], "note": note.value}
        walk = await call(ctx, _record, token=token, form=form, photos=photos)
        if walk is None:
            return
        done.clear()
        with done:
            _round_card(ctx, walk)
        ui.notify(t("insp.recorded"), type="positive")
        button.disable()

    button = ui.button(t("insp.submit"), on_click=submit).props("unelevated").classes("w-full")
    done = ui.column().classes("w-full")
