"""Calling a service from a page as the signed-in user, turning its errors into notices."""

from collections.abc import Callable
from typing import Any, TypeVar

from nicegui import ui
from pydantic import ValidationError

from cloud.errors import ParkopsError, Unauthenticated
from cloud.web.auth import WebContext, as_user, sign_out
from cloud.web.i18n import t

T = TypeVar("T")


async def call(ctx: WebContext, service: Callable[..., T], /, **arguments: Any) -> T | None:
    """`service` as the signed-in user; None after showing what went wrong (or leaving for
    /login when the sign-in has lapsed)."""
    try:
        return await as_user(ctx, service, **arguments)
    except Unauthenticated:
        sign_out()
        ui.navigate.to("/login")
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        _notice(f"{where}: {problem['msg']}")
    except ParkopsError as error:
        _notice(str(error))
    return None


def _notice(message: str) -> None:
    text = t("app.error", message=message)
    ui.notify(text, type="negative", position="top", group=text)
