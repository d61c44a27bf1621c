"""`/access`: people, visitors and the door log for security staff; `/m/visitors` for a
tenant to book a visitor and show the QR code. Every rule is the service's."""

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import RedirectResponse
from nicegui import ui
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cloud.access import service, visitors
from cloud.access.api import person_read
from cloud.access.schemas import (
    CredentialCreate,
    DoorEventRead,
    PermissionCreate,
    PersonCreate,
    PersonRead,
    VisitorCreate,
    VisitorPass,
    VisitorRead,
)
from cloud.identity.actor import Actor
from cloud.properties import service as properties_service
from cloud.web.auth import WebContext, signed_in
from cloud.web.calls import call as _call
from cloud.web.formatting import local_minute
from cloud.web.i18n import t
from cloud.web.layout import frame, section
from cloud.web.widgets import column


def _console(
    *, session: Session, actor: Actor
) -> tuple[list[PersonRead], list[VisitorRead], list[DoorEventRead]]:
    """People, visits and the door log, as one read."""
    people = [person_read(p) for p in service.list_people(session=session, actor=actor)]
    booked = [
        visitors.read_visitor(v) for v in visitors.list_visitors(session=session, actor=actor)
    ]
    log = [DoorEventRead.model_validate(e) for e in service.door_log(session=session, actor=actor)]
    return people, booked, log


def _sites(*, session: Session, actor: Actor) -> list[str]:
    return [site.code for site in properties_service.list_sites(session=session, actor=actor)]


def _person(*, session: Session, actor: Actor, person_id: int) -> tuple[list[str], list[str]]:
    """A person's credentials and permissions, as lines to show."""
    creds = service.list_credentials(session=session, actor=actor, person_id=person_id)
    perms = service.list_permissions(session=session, actor=actor, person_id=person_id)
    return (
        [f"{c.kind} {c.identifier or '••••'}{' ✗' if c.revoked else ''}" for c in creds],
        [f"{p.area} · {p.days} · {p.start or ''}–{p.end or ''}" for p in perms],
    )


def _mine(*, session: Session, actor: Actor) -> list[VisitorRead]:
    return [visitors.read_visitor(v) for v in visitors.list_visitors(session=session, actor=actor)]


def register(ctx: WebContext) -> None:
    """Add the console's access page and the tenant's visitor page."""

    @ui.page("/access")
    async def access_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m/visitors")
        with frame(t("ac.title"), user_name=user.display_name, current="/access"):
            await _console_page(ctx)
        return None

    @ui.page("/m/visitors")
    async def visitors_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if not user.is_tenant:
            return RedirectResponse("/access")
        with frame(t("vi.title"), user_name=user.display_name, narrow=True):
            ui.link(t("repair.back"), "/m").classes("text-sm")
            await _tenant_page(ctx)
        return None


async def _console_page(ctx: WebContext) -> None:
    found = await _call(ctx, _console)
    people, booked, log = found or ([], [], [])
    with section(t("ac.people")):
        ui.button(t("ac.add_person"), icon="person_add", on_click=lambda: _add_person(ctx))
        people_table = (
            ui.table(
                columns=[
                    column("name", t("ac.name")),
                    column("phone", t("ac.phone")),
                    column("tenant", t("ac.tenant")),
                ],
                rows=[
                    {
                        "id": p.id,
                        "name": p.name,
                        "phone": p.phone or "—",
                        "tenant": p.tenant_code or "—",
                    }
                    for p in people
                ],
                row_key="id",
            )
            .classes("w-full")
            .props(f'flat dense no-data-label="{t("ac.none")}"')
        )
        people_table.on("rowClick", lambda e: _person_dialog(ctx, e.args[1]))
    with section(t("ac.visitors")):
        ui.table(
            columns=[
                column("code", t("vi.code")),
                column("name", t("ac.name")),
                column("tenant", t("ac.tenant")),
                column("plate", t("vi.plate")),
                column("from", t("vi.from")),
                column("until", t("vi.until")),
            ],
            rows=[
                {
                    "code": v.code,
                    "name": v.name,
                    "tenant": v.tenant_code,
                    "plate": v.plate or "—",
                    "from": local_minute(v.valid_from, ctx.zone),
                    "until": local_minute(v.valid_until, ctx.zone),
                }
                for v in booked
            ],
            row_key="code",
        ).classes("w-full").props(f'flat dense no-data-label="{t("ac.none")}"')
    with section(t("ac.door_log")):
        ui.table(
            columns=[
                column("ts", t("ac.time")),
                column("door", t("ac.door")),
                column("event", t("ac.event")),
                column("who", t("ac.who")),
            ],
            rows=[
                {
                    "id": e.id,
                    "ts": local_minute(e.ts, ctx.zone),
                    "door": e.door,
                    "event": e.event,
                    "who": e.person or e.credential_ref or "—",
                }
                for e in log
            ],
            row_key="id",
            pagination=20,
        ).classes("w-full").props(f'flat dense no-data-label="{t("ac.none")}"')


async def _tenant_page(ctx: WebContext) -> None:
    zone = ctx.zone
    today = datetime.now(zone).date()
    with ui.card().classes("w-full"):
        ui.label(t("vi.new")).classes("text-base font-medium")
        name = ui.input(t("ac.name")).classes("w-full")
        phone = ui.input(t("ac.phone")).classes("w-full")
        plate = ui.input(t("vi.plate_optional")).classes("w-full")
        day = ui.input(t("vi.date"), value=today.isoformat()).props("type=date").classes("w-full")
        with ui.row().classes("w-full gap-2 no-wrap"):
            start = ui.input(t("vi.from"), value="09:00").props("type=time").classes("grow")
            end = ui.input(t("vi.until"), value="18:00").props("type=time").classes("grow")
        shown = ui.column().classes("w-full items-center")

        async def submit() -> None:
            try:
                data = _visit(
                    name.value, phone.value, plate.value, day.value, start.value, end.value, zone
                )
            except (ValueError, ValidationError):
                ui.notify(t("vi.bad_input"), type="negative", position="top")
                return
            made: VisitorPass | None = await _call(ctx, visitors.book_visitor, data=data)
            if made is None:
                return
            shown.clear()
            with shown:
                ui.label(t("vi.booked", code=made.code)).classes("font-medium")
                # Drawn by segno from our own random token: nothing of the user's is in it.
                ui.html(made.qr_svg, sanitize=False).classes("qr")
                ui.label(t("vi.show_once")).classes("text-xs text-grey-7")
            await refresh()

        ui.button(t("vi.submit"), on_click=submit).classes("w-full")
    mine = ui.column().classes("w-full gap-2")

    async def refresh() -> None:
        booked = await _call(ctx, _mine) or []
        mine.clear()
        with mine:
            ui.label(t("vi.mine")).classes("text-base font-medium")
            if not booked:
                ui.label(t("vi.none")).classes("text-grey-7")
            for v in booked:
                with ui.card().classes("w-full"):
                    ui.label(f"{v.name} · {v.code}").classes("font-medium")
                    since, until = (
                        local_minute(v.valid_from, zone),
                        local_minute(v.valid_until, zone),
                    )
                    ui.label(f"{since} – {until[11:]}")
                    if v.plate:
                        ui.label(t("vi.plate_pass", plate=v.plate)).classes("text-sm")

    await refresh()


def _visit(
    name: str, phone: str, plate: str, day: str, start: str, end: str, zone: ZoneInfo
) -> VisitorCreate:
    on = date.fromisoformat(day)
    return VisitorCreate(
        name=(name or "").strip(),
        phone=(phone or "").strip() or None,
        plate=(plate or "").strip() or None,
        valid_from=datetime.combine(on, time.fromisoformat(start), tzinfo=zone),
        valid_until=datetime.combine(on, time.fromisoformat(end), tzinfo=zone),
    )


async def _add_person(ctx: WebContext) -> None:
    sites = await _call(ctx, _sites) or []
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
        ui.label(t("ac.add_person")).classes("text-lg font-medium")
        site = ui.select(sites, label=t("ac.site"), value=sites[0] if sites else None)
        name = ui.input(t("ac.name")).classes("w-full")
        phone = ui.input(t("ac.phone")).classes("w-full")
        tenant = ui.input(t("ac.tenant_code")).classes("w-full")

        async def submit() -> None:
            try:
                data = PersonCreate(
                    site_code=site.value or "",
                    name=(name.value or "").strip(),
                    phone=(phone.value or "").strip() or None,
                    tenant_code=(tenant.value or "").strip() or None,
                )
            except ValidationError:
                ui.notify(t("ac.bad_input"), type="negative", position="top")
                return
            if await _call(ctx, service.add_person, data=data) is not None:
                dialog.close()
                ui.navigate.reload()

        with ui.row().classes("w-full justify-end"):
            ui.button(t("pk.cancel"), on_click=dialog.close).props("flat")
            ui.button(t("pk.confirm"), on_click=submit)
    dialog.open()


async def _person_dialog(ctx: WebContext, row: dict[str, Any]) -> None:
    person_id = int(row["id"])
    found = await _call(ctx, _person, person_id=person_id)
    if found is None:
        return
    creds, perms = found
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-lg"):
        ui.label(row["name"]).classes("text-lg font-medium")
        ui.label(t("ac.credentials")).classes("font-medium")
        for line in creds or ["—"]:
            ui.label(line).classes("text-sm")
        with ui.row().classes("w-full items-end gap-2"):
            kind = ui.select(["card", "pin", "qr", "ble"], label=t("ac.kind"), value="card")
            value = ui.input(t("ac.identifier_or_secret")).classes("grow")
            ui.button(t("ac.issue"), on_click=lambda: _issue(ctx, person_id, kind, value, dialog))
        ui.label(t("ac.permissions")).classes("font-medium")
        for line in perms or ["—"]:
            ui.label(line).classes("text-sm")
        with ui.row().classes("w-full items-end gap-2"):
            area = ui.input(t("ac.area"), value="LOBBY").classes("w-28")
            days = ui.input(t("ac.days"), value="12345").classes("w-24")
            start = ui.input(t("vi.from"), value="08:00").props("type=time").classes("w-28")
            end = ui.input(t("vi.until"), value="20:00").props("type=time").classes("w-28")
            ui.button(
                t("ac.grant"),
                on_click=lambda: _grant(ctx, person_id, area, days, start, end, dialog),
            )
    dialog.open()


async def _issue(ctx: WebContext, person_id: int, kind: Any, value: Any, dialog: Any) -> None:
    text = (value.value or "").strip()
    hashed = kind.value in ("pin", "qr")
    try:
        data = CredentialCreate(
            kind=kind.value, identifier=None if hashed else text, secret=text if hashed else None
        )
    except ValidationError:
        ui.notify(t("ac.bad_input"), type="negative", position="top")
        return
    if await _call(ctx, service.issue_credential, person_id=person_id, data=data) is not None:
        dialog.close()
        ui.notify(t("pk.settled"), type="positive", position="top")


async def _grant(
    ctx: WebContext, person_id: int, area: Any, days: Any, start: Any, end: Any, dialog: Any
) -> None:
    try:
        data = PermissionCreate(
            area=(area.value or "").strip(),
            days=(days.value or "").strip(),
            start=time.fromisoformat(start.value) if start.value else None,
            end=time.fromisoformat(end.value) if end.value else None,
        )
    except (ValueError, ValidationError):
        ui.notify(t("ac.bad_input"), type="negative", position="top")
        return
    if await _call(ctx, service.grant, person_id=person_id, data=data) is not None:
        dialog.close()
        ui.notify(t("pk.settled"), type="positive", position="top")
