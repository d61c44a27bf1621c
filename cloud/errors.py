"""The one error tree of the cloud, and its single mapping to HTTP."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


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


def install_error_handlers(app: FastAPI) -> None:
    """Map `ParkopsError` and its subclasses to their HTTP status, once for the whole app."""
    app.add_exception_handler(ParkopsError, _handle)
