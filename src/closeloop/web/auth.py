"""Who is calling: a bearer API token or a signed session cookie; CSRF for cookie sessions.

Sessions live in a signed cookie (Starlette's SessionMiddleware, itsdangerous) holding the user's
id and a CSRF token; the user row is read on every request, so deactivating a user ends their
sessions at once. A page without a session redirects to sign-in and back (``SignInRequired``).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from closeloop.access.actor import READ, WRITE, Actor
from closeloop.access.policy import Area, require
from closeloop.access.tokens import Unauthenticated, authenticate_token
from closeloop.access.users import active_user
from closeloop.db.engine import unit_of_work
from closeloop.errors import Forbidden
from closeloop.i18n import N_
from closeloop.models import User

SESSION_COOKIE = "closeloop_session"
SESSION_SECONDS = 8 * 3600  # a working day; every request renews it
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class SignInRequired(Exception):
    """A page needs a signed-in user: send the browser to sign-in, then back to ``next_url``."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def install_sessions(app: object, secret: str) -> None:
    """Signed session cookies (HttpOnly, SameSite=Lax) on ``app``."""
    app.add_middleware(  # type: ignore[attr-defined]
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_SECONDS,
        same_site="lax",
    )


def start_session(request: Request, user: User) -> None:
    """Sign ``user`` in: a fresh session (new CSRF token), so an old cookie cannot be fixated."""
    request.session.clear()
    request.session["uid"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(24)


def end_session(request: Request) -> None:
    request.session.clear()


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use, also before sign-in for the sign-in form)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return str(token)


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a state-changing request whose CSRF token is missing or not the session's."""
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(str(expected), submitted):
        raise Forbidden(N_("the form expired or came from another site: reload the page and retry"))


def session_actor(request: Request) -> Actor | None:
    """The signed-in user of this browser session, if any (and still active)."""
    user_id = request.session.get("uid")
    if not isinstance(user_id, int):
        return None
    with unit_of_work(request.app.state.engine) as session:
        user = active_user(session, user_id)
        if user is None:
            return None
        return Actor.for_user(user, via="web")


def api_actor(request: Request) -> Actor:
    """The API's caller: ``Authorization: Bearer <token>``, else the browser's session.

    A session-authenticated change must carry the session's CSRF token in ``X-CSRF-Token``."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        with unit_of_work(request.app.state.engine) as session:
            return authenticate_token(session, authorization[7:].strip())
    actor = session_actor(request)
    if actor is None:
        raise Unauthenticated(N_("sign in, or send an API token as Authorization: Bearer <token>"))
    if request.method not in SAFE_METHODS:
        check_csrf(request, request.headers.get(CSRF_HEADER))
    return actor


def page_actor(request: Request) -> Actor:
    """The signed-in user of a page; without one, a redirect to sign-in and back."""
    actor = session_actor(request)
    if actor is None:
        url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(url)
    return actor


def area_guard(area: Area) -> Any:
    """A router's dependency: the caller may read (GET) or change (other methods) ``area``.

    Answers 403 before the request body is even read, so a role without the area learns nothing
    from validation errors; the services check again (the CLI and pages call them directly)."""

    def check(request: Request, actor: Annotated[Actor, Depends(api_actor)]) -> None:
        require(actor, area, READ if request.method in SAFE_METHODS else WRITE)

    return Depends(check)


ApiActor = Annotated[Actor, Depends(api_actor)]
PageActor = Annotated[Actor, Depends(page_actor)]


def sign_in_redirect(request: Request, error: Exception) -> Response:
    """Handler of ``SignInRequired``: 303 to /signin?next=…; htmx gets HX-Redirect instead."""
    assert isinstance(error, SignInRequired)
    target = f"/signin?next={quote(error.next_url, safe='')}"
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
