"""One rendering of errors for the API: FastAPI's shape, with field paths, for every 4xx."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from closeloop.errors import ClosedLoopError
from closeloop.web.auth import SignInRequired, sign_in_redirect


def _location(field: str | None) -> list[str]:
    if not field:
        return ["body"]
    parts = field.split(".")
    return parts if parts[0] in ("body", "header", "query", "path") else ["body", *parts]


async def closeloop_error(request: Request, error: Exception) -> JSONResponse:
    """A domain error: 422 with the field's path, like FastAPI's own validation errors."""
    assert isinstance(error, ClosedLoopError)
    headers = None
    if error.status == 401:
        scheme = (
            "X-API-Key"
            if request.url.path == "/api/v1/leads" and request.method == "POST"
            else "Bearer"
        )
        headers = {"WWW-Authenticate": scheme}
    if error.status == 422:
        body = {
            "detail": [{"loc": _location(error.field), "msg": error.message, "type": "value_error"}]
        }
    else:
        body = {"detail": error.message}
    return JSONResponse(body, status_code=error.status, headers=headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ClosedLoopError, closeloop_error)
    app.add_exception_handler(SignInRequired, sign_in_redirect)
