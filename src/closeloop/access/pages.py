"""Sign-in, sign-out and the language switch (HTML pages)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from closeloop.access.users import LockedOut, SignInFailed, set_locale, sign_in
from closeloop.db.engine import unit_of_work
from closeloop.errors import ClosedLoopError
from closeloop.web.auth import (
    CSRF_FIELD,
    check_csrf,
    end_session,
    session_actor,
    start_session,
)
from closeloop.web.i18n import LOCALES, Formatter
from closeloop.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)


def safe_next(url: str | None, default: str = "/") -> str:
    """Only a path on this site: never send a signed-in user to another host."""
    if not url:
        return default
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return default
    return url


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, next: str | None = None, expired: bool = False) -> Response:
    return render(
        request,
        None,
        "signin.html",
        next_url=safe_next(next),
        email="",
        errors={},
        expired=bool(next) or expired,
    )


@router.post("/signin", response_class=HTMLResponse)
def signin_submit(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
) -> Response:
    fmt = Formatter(request_locale(request, None))
    next_url = safe_next(next)
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = fmt.gettext("Enter your e-mail.")
    if not password:
        errors["password"] = fmt.gettext("Enter your password.")
    message = None
    try:
        check_csrf(request, csrf_token)
    except ClosedLoopError:
        message = fmt.gettext("The form expired. Please sign in again.")
    if not errors and message is None:
        try:
            with unit_of_work(request.app.state.engine) as session:
                try:
                    user = sign_in(session, email=email, password=password)
                except (SignInFailed, LockedOut) as failure:
                    session.commit()  # the failure counts towards the lock-out
                    raise failure
                start_session(request, user)
            return RedirectResponse(next_url, status_code=303)
        except LockedOut as locked:
            message = fmt.gettext(
                "Too many failed sign-ins. Try again after %(time)s.",
                time=fmt.datetime(locked.until, "short"),
            )
        except SignInFailed:
            message = fmt.gettext("Wrong e-mail or password.")
    return render(
        request,
        None,
        "signin.html",
        status_code=400 if errors else 401 if message else 200,
        next_url=next_url,
        email=email,
        errors=errors,
        error=message,
        expired=False,
    )


@router.post("/signout")
def signout(
    request: Request, csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None
) -> Response:
    check_csrf(request, csrf_token)
    end_session(request)
    return RedirectResponse("/signin", status_code=303)


@router.post("/locale")
def switch_locale(
    request: Request,
    locale: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
) -> Response:
    """Choose the language: kept on the user's profile when signed in, else in the session."""
    check_csrf(request, csrf_token)
    if locale in LOCALES:
        request.session["locale"] = locale
        actor = session_actor(request)
        if actor is not None and actor.user_id is not None:
            with unit_of_work(request.app.state.engine) as session:
                set_locale(session, actor, locale=locale)
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/")
def home(request: Request) -> Response:
    return RedirectResponse("/dashboard" if session_actor(request) else "/signin", status_code=303)
