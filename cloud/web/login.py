"""`/login`: the sign-in form; staff go on to the console, tenants to their phone view."""

from fastapi.responses import RedirectResponse
from nicegui import ui

from cloud.errors import ParkopsError, Unauthenticated
from cloud.web.auth import WebContext, home_path, sign_in, signed_in
from cloud.web.i18n import t
from cloud.web.layout import language_switch
from cloud.web.notices import show_error


def register(ctx: WebContext) -> None:
    """Add the sign-in page."""

    @ui.page("/login")
    def login_page() -> RedirectResponse | None:
        if (user := signed_in()) is not None:
            return RedirectResponse(home_path(user))
        _login_form(ctx)
        return None


def _login_form(ctx: WebContext) -> None:
    ui.page_title(f"{t('login.title')} · {t('app.title')}")
    ui.query("body").classes("bg-grey-2")
    with ui.row().classes("w-full justify-end p-3"):
        language_switch(on_header=False)
    with ui.card().classes("absolute-center w-full max-w-sm p-6 gap-3"):
        ui.label(t("app.title")).classes("text-2xl font-bold text-primary")
        ui.label(t("login.subtitle")).classes("text-grey-7")
        username = ui.input(t("login.username")).props("outlined autofocus").classes("w-full")
        password = ui.input(t("login.password"), password=True, password_toggle_button=True)
        password.props("outlined").classes("w-full")

        async def submit() -> None:
            if not username.value or not password.value:
                ui.notify(t("login.missing"), type="warning", position="top")
                return
            try:
                user = await sign_in(ctx, username=username.value, password=password.value)
            except Unauthenticated:
                ui.notify(t("login.failed"), type="negative", position="top")
                return
            except ParkopsError as error:
                show_error(error)
                return
            ui.navigate.to(home_path(user))

        password.on("keydown.enter", submit)
        ui.button(t("login.submit"), on_click=submit).props("unelevated").classes("w-full")
