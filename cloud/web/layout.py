"""The frame every signed-in page sits in: header, language switch, sign-out."""

from collections.abc import Iterator
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

# The staff console's pages, in the order of its navigation: (path, translation key).
CONSOLE_PAGES: Final = (
    ("/", "nav.dashboard"),
    ("/board", "nav.board"),
    ("/contracts", "nav.contracts"),
    ("/work-orders", "nav.work_orders"),
    ("/energy", "nav.energy"),
)


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
        ui.label(t("app.title")).classes("text-lg font-bold")
        if not narrow:
            _navigation(current)
            if current is None:  # a page outside the navigation says where one is
                ui.label(title).classes("text-base opacity-90")
        ui.space()
        if not narrow:
            ui.label(t("app.signed_in_as", name=user_name)).classes("text-sm opacity-90")
        language_switch()
        ui.button(icon="logout", on_click=_leave).props(
            f'flat round dense color=white aria-label="{t("app.logout")}"'
        ).tooltip(t("app.logout"))
    width = "max-w-md" if narrow else "max-w-7xl"
    with ui.column().classes(f"w-full {width} mx-auto p-3 gap-4"):
        ui.label(title).classes("text-xl font-bold")
        if narrow:
            ui.label(t("app.signed_in_as", name=user_name)).classes("text-sm text-grey-7")
        yield


def _navigation(current: str | None) -> None:
    with ui.element("nav").classes("flex gap-1"):
        for path, key in CONSOLE_PAGES:
            link = ui.link(t(key), path).classes("px-3 py-1 rounded text-white no-underline")
            if path == current:
                link.classes("bg-white/20 font-medium").props('aria-current="page"')
            else:
                link.classes("opacity-90 hover:bg-white/10")


def _leave() -> None:
    sign_out()
    ui.navigate.to("/login")


def section(title: str) -> ui.card:
    """A titled card holding one block of a page."""
    card = ui.card().classes("w-full")
    with card:
        ui.label(title).classes("text-lg font-medium")
    return card
