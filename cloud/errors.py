"""The one error tree of the cloud, and its single mapping to HTTP."""

import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError


class ParkopsError(Exception):
    """Root of every error a service raises on purpose; `str(error)` is shown to people."""

    status_code = 400


class NotFound(ParkopsError):
    status_code = 404


class Forbidden(ParkopsError):
    status_code = 403


class Conflict(ParkopsError):
    status_code = 409


class Invalid(ParkopsError):
    """Bad input; `field` names the offending field when there is one."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Unauthenticated(ParkopsError):
    status_code = 401


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ParkopsError)
    body: dict[str, object] = {"detail": str(exc)}
    if isinstance(exc, Invalid) and exc.field:
        body["field"] = exc.field
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def unique_violation(exc: IntegrityError) -> Conflict | None:
    """The Conflict a unique-key violation stands for (None for any other integrity error).

    Services check codes before writing; this catches what slips past them (two requests
    racing for one code), so the client gets 409 naming the key instead of a 500.
    """
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate == "23505":  # PostgreSQL: detail is "Key (org_id, code)=(1, U-101) already exists."
        detail = getattr(getattr(orig, "diag", None), "message_detail", None) or str(orig)
        found = re.search(r"\((?:org_id, )?([^)]*)\)=\((?:\d+, )?([^)]*)\)", detail)
        if found:
            return Conflict(f"{found.group(1)} {found.group(2)} already exists")
        return Conflict(detail)
    message = str(orig)
    if message.startswith("UNIQUE constraint failed"):  # SQLite names the columns only
        columns = message.split(":", 1)[1].strip()
        return Conflict(f"a row with the same {columns} already exists")
    return None


async def _handle_integrity(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IntegrityError)
    conflict = unique_violation(exc)
    if conflict is None:
        raise exc
    return await _handle(request, conflict)


def install_error_handlers(app: FastAPI) -> None:
    """Map `ParkopsError` and its subclasses to their HTTP status, once for the whole app, and
    a unique-key violation the services did not foresee to 409."""
    app.add_exception_handler(ParkopsError, _handle)
    app.add_exception_handler(IntegrityError, _handle_integrity)
