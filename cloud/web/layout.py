"""The frame every signed-in page sits in: header, language switch, sign-out."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

from nicegui import ui

from cloud.web.auth import sign_out
from cloud.web.i18n import LANGUAGE_NAMES, Language, current_language, set_language, t

# System CJK fonts first (Debian: fonts-noto-cjk; Windows/macOS: their own): nothing is fetched.
FONT_CSS: Final = """
body, .q-field, .q-table, .q-btn {
  font-family: "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei",
    "Source Han Sans SC", Roboto, "Helvetica Neue", Arial, sans-serif;
}
.tabular { font-variant-numeric: tabular-nums; }
"""

# The staff console's navigation, in groups: (group key, ((path, translation key), ...)).
NAV_GROUPS: Final = (
    (
        "nav.group.overview",
        (("/", "nav.dashboard"), ("/board", "nav.board"), ("/energy", "nav.energy")),
    ),
    (
        "nav.group.leasing",
        (("/leads", "nav.leads"), ("/contracts", "nav.contracts"), ("/imports", "nav.imports")),
    ),
    ("nav.group.finance", (("/billing", "nav.billing"), ("/payments", "nav.payments"))),
    (
        "nav.group.operations",
        (
            ("/work-orders", "nav.work_orders"),
            ("/equipment", "nav.equipment"),
            ("/inspections", "nav.inspections"),
            ("/notices", "nav.notices"),
        ),
    ),
    ("nav.group.security", (("/parking", "nav.parking"), ("/access", "nav.access"))),
    ("nav.group.iot", (("/devices", "nav.devices"), ("/alarms", "nav.alarms"))),
)
CONSOLE_PAGES: Final = tuple(page for _group, pages in NAV_GROUPS for page in pages)

# Things other packages draw into every signed-in page's header, left of the language switch
# (the notification bell); each is added once, when its package registers its pages.
HEADER_ITEMS: list[Callable[[], None]] = []


def language_switch(*, on_header: bool = True) -> None:
    """中文 | English; choosing reloads the page, so every string is drawn in the new language."""

    def choose(language: Language) -> None:
        if language != current_language():
            set_language(language)
            ui.navigate.reload()

    toggle = ui.toggle(
        dict(LANGUAGE_NAMES), value=current_language(), on_change=lambda e: choose(e.value)
    ).props("dense no-caps unelevated")
    if on_header:
        toggle.props("color=primary text-color=white toggle-color=white toggle-text-color=primary")
        toggle.classes("border border-white/60 rounded")
    else:
        toggle.props("color=white text-color=primary toggle-color=primary")
        toggle.classes("rounded").style("border: 1px solid var(--q-primary)")


@contextmanager
def frame(
    title: str, *, user_name: str, narrow: bool = False, current: str | None = None
) -> Iterator[None]:
    """Header with the page title, the console's navigation (`current` is this page's path),
    who is signed in, the language switch and sign-out.

    `narrow` keeps the content to a phone's width (tenant views), without the navigation.
    """
    ui.page_title(f"{title} · {t('app.title')}")
    with ui.header(elevated=True).classes("items-center gap-3 px-4 py-2 bg-primary"):
        if not narrow:
            menu = ui.button(icon="menu").props(
                f'flat round dense color=white aria-label="{t("app.menu")}"'
            )
        ui.label(t("app.title")).classes("text-lg font-bold")
        if not narrow and current is None:  # a page outside the navigation says where one is
            ui.label(title).classes("text-base opacity-90")
        ui.space()
        if not narrow:
            ui.label(t("app.signed_in_as", name=user_name)).classes("text-sm opacity-90")
        for item in HEADER_ITEMS:
            item()
        language_switch()
        ui.button(icon="logout", on_click=_leave).props(
            f'flat round dense color=white aria-label="{t("app.logout")}"'
        ).tooltip(t("app.logout"))
    if not narrow:
        drawer = _navigation(current)
        menu.on_click(drawer.toggle)
    width = "max-w-md" if narrow else "max-w-7xl"
    with ui.column().classes(f"w-full {width} mx-auto p-3 gap-4"):
        ui.label(title).classes("text-xl font-bold")
        if narrow:
            ui.label(t("app.signed_in_as", name=user_name)).classes("text-sm text-grey-7")
        yield


def _navigation(current: str | None) -> ui.left_drawer:
    """The console's pages in a side drawer, by group; folded away on a narrow screen."""
    drawer = ui.left_drawer(value=True, bordered=True).props("width=188 breakpoint=900")
    with drawer.classes("bg-grey-1 px-0 py-2"), ui.element("nav").classes("flex flex-col"):
        for group, pages in NAV_GROUPS:
            ui.label(t(group)).classes("px-4 pt-3 pb-1 text-xs font-medium text-grey-7")
            for path, key in pages:
                link = ui.link(t(key), path).classes("px-5 py-1 no-underline text-grey-10")
                if path == current:
                    link.classes("bg-primary/10 text-primary font-medium")
                    link.props('aria-current="page"')
                else:
                    link.classes("hover:bg-grey-3")
    return drawer


def _leave() -> None:
    sign_out()
    ui.navigate.to("/login")


def section(title: str) -> ui.card:
    """A titled card holding one block of a page."""
    card = ui.card().classes("w-full")
    with card:
        ui.label(title).classes("text-lg font-medium")
    return card
