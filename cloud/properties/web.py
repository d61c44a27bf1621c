"""`/board`: the vacancy board (房态图) of a building in the staff console: floors as rows, top
floor first, units as cells as wide as their share of the floor's area, coloured by status."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final
from urllib.parse import urlencode

from fastapi.responses import RedirectResponse
from nicegui import ui
from sqlalchemy.orm import Session

from cloud.errors import ParkopsError, Unauthenticated
from cloud.identity.actor import Actor
from cloud.properties import board, service
from cloud.properties.models import RentStatus, UnitStatus
from cloud.properties.schemas import (
    BoardCell,
    BoardFloor,
    BuildingRead,
    OccupancyRead,
    SiteRead,
    VacancyBoardRead,
)
from cloud.web.auth import WebContext, as_user, sign_out, signed_in
from cloud.web.formatting import area, cny, percent
from cloud.web.i18n import t
from cloud.web.layout import frame, section

PATH: Final = "/board"


@dataclass(frozen=True)
class StatusStyle:
    """How a unit status is drawn: its translation key and colours (background, text)."""

    status: UnitStatus
    label_key: str
    background: str
    text: str


STATUS_STYLES: Final[dict[UnitStatus, StatusStyle]] = {
    style.status: style
    for style in (
        StatusStyle(UnitStatus.vacant, "status.vacant", "#43a047", "#ffffff"),
        StatusStyle(UnitStatus.reserved, "status.reserved", "#ffc107", "#3e2723"),
        StatusStyle(UnitStatus.leased, "status.leased", "#90caf9", "#0d47a1"),
        StatusStyle(UnitStatus.fitting_out, "status.fitting_out", "#8d6e63", "#ffffff"),
        StatusStyle(
            UnitStatus.awaiting_acceptance, "status.awaiting_acceptance", "#8e24aa", "#ffffff"
        ),
        StatusStyle(UnitStatus.in_operation, "status.in_operation", "#1e63c4", "#ffffff"),
        StatusStyle(UnitStatus.moving_out, "status.moving_out", "#e53935", "#ffffff"),
    )
}
RENT_LABELS: Final[dict[RentStatus, str]] = {
    RentStatus.free_rent: "rent.free_rent",
    RentStatus.billing: "rent.billing",
    RentStatus.suspended: "rent.suspended",
}


@dataclass(frozen=True)
class BoardView:
    """What the page shows: the choices, what is chosen, and the board of the chosen building."""

    sites: list[SiteRead]
    buildings: list[BuildingRead]
    board: VacancyBoardRead | None


def register(ctx: WebContext) -> None:
    """Add the vacancy board to the staff console."""

    @ui.page(PATH)
    async def board_page(
        site: str | None = None, building: str | None = None, on: str | None = None
    ) -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m")
        view: BoardView | None = None
        failure = ""
        try:
            view = await as_user(ctx, _load, site_code=site, building_code=building, on=_date(on))
        except Unauthenticated:
            sign_out()
            return RedirectResponse("/login")
        except ParkopsError as error:  # e.g. a site code in the address that is not there
            failure = t("app.error", message=str(error))
        with frame(t("board.title"), user_name=user.display_name, current=PATH):
            if view is None:
                ui.label(failure).classes("text-negative")
                ui.link(t("board.title"), PATH)
            else:
                _draw(view)
        return None


def _load(
    *,
    session: Session,
    actor: Actor,
    site_code: str | None,
    building_code: str | None,
    on: date | None,
) -> BoardView:
    """The sites, the chosen (else first) site's buildings and the chosen building's board."""
    sites = [SiteRead.of(s) for s in service.list_sites(session=session, actor=actor)]
    site_code = site_code or (sites[0].code if sites else None)
    if site_code is None:
        return BoardView(sites, [], None)
    found = service.list_buildings(session=session, actor=actor, site_code=site_code)
    buildings = [BuildingRead.of(b) for b in found]
    building_code = building_code or (buildings[0].code if buildings else None)
    if building_code is None:
        return BoardView(sites, buildings, None)
    shown = board.vacancy_board(
        session=session, actor=actor, site_code=site_code, building_code=building_code, on=on
    )
    return BoardView(sites, buildings, shown)


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None  # a mistyped date in the address shows today


def _draw(view: BoardView) -> None:
    shown = view.board
    with ui.row().classes("w-full items-end gap-4"):
        _choices(view)
    if shown is None:
        empty = t("board.no_buildings") if view.sites else t("board.no_sites")
        ui.label(empty).classes("text-grey-7")
        return
    with ui.row().classes("w-full items-center gap-6"):
        _occupancy(shown.occupancy)
        ui.space()
        _legend()
    with section(f"{shown.building_name} · {shown.on.isoformat()}"):
        if not shown.floors:
            ui.label(t("board.no_floors")).classes("text-grey-7")
        widest = max((floor.area_m2 for floor in shown.floors), default=Decimal(0))
        with ui.column().classes("w-full gap-1"):
            for floor in shown.floors:
                _floor_row(floor, widest)


def _choices(view: BoardView) -> None:
    shown = view.board

    def go(**query: str) -> None:
        current = {"site": shown.site_code, "building": shown.building_code} if shown else {}
        if shown is not None:
            current["on"] = shown.on.isoformat()
        ui.navigate.to(f"{PATH}?{urlencode(current | query)}")

    sites = {s.code: s.name for s in view.sites}
    buildings = {b.code: b.name for b in view.buildings}
    ui.select(
        sites,
        label=t("board.site"),
        value=shown.site_code if shown else (view.sites[0].code if view.sites else None),
        on_change=lambda e: go(site=e.value, building=""),
    ).classes("min-w-48").props("outlined dense")
    ui.select(
        buildings,
        label=t("board.building"),
        value=shown.building_code if shown else None,
        on_change=lambda e: go(building=e.value),
    ).classes("min-w-32").props("outlined dense")
    if shown is not None:
        day = shown.on.isoformat()

        def pick(value: str) -> None:
            if _date(value) is not None and value != day:
                go(on=value)

        picker = ui.input(t("board.on"), value=day, on_change=lambda e: pick(str(e.value)))
        picker.props("outlined dense type=date")


def _occupancy(figures: OccupancyRead) -> None:
    for label, rate, detail in (
        (
            t("board.by_area"),
            figures.by_area,
            t("board.let_area", let=area(figures.let_area_m2), total=area(figures.area_m2)),
        ),
        (
            t("board.by_count"),
            figures.by_count,
            t("board.let_units", let=figures.let_units, total=figures.units),
        ),
    ):
        with ui.column().classes("gap-0"):
            ui.label(label).classes("text-xs text-grey-7")
            ui.label(percent(rate)).classes("text-2xl font-bold text-primary tabular")
            ui.label(detail).classes("text-xs text-grey-7 tabular")


def _legend() -> None:
    with ui.row().classes("gap-3 items-center"):
        for style in STATUS_STYLES.values():
            with ui.row().classes("gap-1 items-center no-wrap"):
                ui.element("span").classes("inline-block w-4 h-4 rounded").style(
                    f"background: {style.background}"
                )
                ui.label(t(style.label_key)).classes("text-sm")


def _floor_row(floor: BoardFloor, widest: Decimal) -> None:
    with ui.row().classes("w-full no-wrap items-stretch gap-2"):
        with ui.column().classes("w-20 shrink-0 gap-0 justify-center"):
            ui.label(floor.name).classes("text-base font-bold")
            ui.label(percent(floor.occupancy.by_area)).classes("text-xs text-grey-7 tabular")
        with ui.element("div").classes("grow min-w-0"):
            if not floor.cells:
                ui.label(t("board.empty_floor")).classes("text-xs text-grey-6 p-2")
                return
            # A floor's row is as long as its share of the widest floor's area.
            share = floor.area_m2 / widest * 100 if widest else Decimal(100)
            with ui.element("div").classes("flex gap-1").style(f"width: {share:.2f}%"):
                for cell in floor.cells:
                    _cell(cell)


def _cell(cell: BoardCell) -> None:
    style = STATUS_STYLES[cell.status]
    box = ui.element("div").classes("rounded p-2 min-w-0 overflow-hidden leading-tight")
    box.style(
        f"flex: {cell.rentable_area_m2} 1 0%; min-height: 6.5rem; "
        f"background: {style.background}; color: {style.text}"
    )
    box.props(f'data-unit="{cell.unit_code}" data-status="{cell.status}"')
    with box:
        ui.label(cell.unit_code).classes("text-sm font-bold truncate")
        ui.label(t(style.label_key)).classes("text-xs truncate")
        ui.label(t("board.area", area=area(cell.rentable_area_m2))).classes("text-xs tabular")
        if cell.tenant_name:
            ui.label(cell.tenant_name).classes("text-xs font-medium truncate")
        if cell.lease_end:
            ui.label(t("board.expires", date=cell.lease_end.isoformat())).classes("text-xs")
        if cell.rent_per_m2 is not None:
            rent = t("board.rent", rent=cny(cell.rent_per_m2))
            ui.label(rent).classes("text-xs tabular truncate")
        if cell.rent_status is not None:
            ui.tooltip(t(RENT_LABELS[cell.rent_status]))
