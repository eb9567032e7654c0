"""One rendering of errors for the API: FastAPI's shape, with field paths, for every 4xx."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from closeloop.errors import ClosedLoopError
from closeloop.web.auth import SignInRequired, sign_in_redirect


def _location(field: str | None) -> list[str]:
    if not field:
        return ["body"]
    parts = field.split(".")
    return parts if parts[0] in ("body", "header", "query", "path") else ["body", *parts]


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and request.url.path != "/healthz"


async def closeloop_error(request: Request, error: Exception) -> Response:
    """A domain error: 422 with the field's path, like FastAPI's own validation errors.

    Outside /api/ the browser gets a page in the user's language instead of JSON."""
    assert isinstance(error, ClosedLoopError)
    if _wants_page(request):
        return error_page(request, error)
    headers = None
    if error.status == 401:
        scheme = (
            "X-API-Key"
            if request.url.path == "/api/v1/leads" and request.method == "POST"
            else "Bearer"
        )
        headers = {"WWW-Authenticate": scheme}
    body: dict[str, Any]
    if error.status == 422:
        body = {
            "detail": [{"loc": _location(error.field), "msg": error.message, "type": "value_error"}]
        }
    else:
        body = {"detail": error.message}
    return JSONResponse(body, status_code=error.status, headers=headers)


TITLES = {403: "Not allowed", 404: "Not found", 409: "Not possible now", 422: "Check the input"}


def error_page(request: Request, error: ClosedLoopError) -> Response:
    from closeloop.web.auth import session_actor
    from closeloop.web.templating import formatter, render

    actor = session_actor(request)
    fmt = formatter(request, actor)
    title = fmt.gettext(TITLES.get(error.status, "Something went wrong"))
    return render(
        request,
        actor,
        "error.html",
        status_code=error.status,
        title=title,
        message=error.translated(fmt.gettext),
    )


async def http_error(request: Request, error: Exception) -> Response:
    """FastAPI's own errors (unknown path, wrong method): a page for browsers, JSON for the API."""
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400 and error.detail == UNREADABLE_BODY:
        # A body that is not UTF-8 (so not JSON either) is bad input like any other: a 422 with
        # the body as its location, as the OpenAPI document promises, not an undocumented 400.
        return JSONResponse(
            status_code=422,
            content={
                "detail": [
                    {"loc": ["body"], "msg": "the body is not valid JSON", "type": "json_invalid"}
                ]
            },
        )
    if _wants_page(request) and error.status_code in TITLES:
        page_error = ClosedLoopError(_PAGE_MESSAGES.get(error.status_code, str(error.detail)))
        page_error.status = error.status_code
        return error_page(request, page_error)
    return await http_exception_handler(request, error)


UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's words for it
_PAGE_MESSAGES = {404: "There is no page at this address."}


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(ClosedLoopError, closeloop_error)
    app.add_exception_handler(SignInRequired, sign_in_redirect)
