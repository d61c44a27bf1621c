"""Turning service errors into what a person sees: a notice, or the sign-in page."""

from collections.abc import Awaitable, Callable

from nicegui import ui

from cloud.errors import ParkopsError, Unauthenticated
from cloud.web.auth import sign_out
from cloud.web.i18n import t


def show_error(error: ParkopsError) -> None:
    """A red notice saying what went wrong; repeats of one notice stack instead of piling up."""
    message = t("app.error", message=str(error))
    ui.notify(message, type="negative", position="top", group=message)


def guarded(refresh: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """`refresh` for a timer or button: a lapsed sign-in goes to /login, errors to a notice."""

    async def run_guarded() -> None:
        try:
            await refresh()
        except Unauthenticated:
            sign_out()
            ui.navigate.to("/login")
        except ParkopsError as error:
            show_error(error)

    return run_guarded
