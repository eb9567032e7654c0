"""Server-rendered pages: one Jinja2 environment, and ``render`` that gives every page its context.

Every template receives ``actor`` (None on the sign-in page), ``fmt`` (messages and formats in the
user's language), ``_`` (= fmt.gettext), ``csrf_token``, ``nav`` (the areas the actor may see) and
``request``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from closeloop import __version__
from closeloop.access.actor import Actor
from closeloop.access.policy import Area, allowed
from closeloop.web.auth import CSRF_FIELD, csrf_token
from closeloop.web.i18n import LANGUAGE_NAMES, Formatter, best_locale

TEMPLATES = Path(__file__).parent / "templates"

# The menu: (path, label, area the actor must be allowed to read; None = everyone). Labels are
# translated. Every role has a dashboard: its own figures.
NAVIGATION: tuple[tuple[str, str, Area | None], ...] = (
    ("/dashboard", "Dashboard", None),
    ("/leads", "Lead inbox", Area.LEADS),
    ("/pool", "Public pool", Area.LEADS),
    ("/accounts", "Accounts", Area.ACCOUNTS),
    ("/reports", "Reports", Area.REPORTS),
    ("/settings", "Settings", Area.SETTINGS),
)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    return env


def request_locale(request: Request, actor: Actor | None) -> str:
    chosen = (actor.locale if actor else None) or request.session.get("locale")
    return best_locale(chosen, request.headers.get("accept-language"))


def formatter(request: Request, actor: Actor | None) -> Formatter:
    return Formatter(request_locale(request, actor))


def navigation(actor: Actor | None) -> list[tuple[str, str]]:
    if actor is None:
        return []
    return [
        (path, label) for path, label, area in NAVIGATION if area is None or allowed(actor, area)
    ]


def render(
    request: Request,
    actor: Actor | None,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` in the actor's language with the shared page context."""
    fmt = formatter(request, actor)
    page = (
        environment()
        .get_template(template)
        .render(
            request=request,
            actor=actor,
            fmt=fmt,
            _=fmt.gettext,
            gettext=fmt.gettext,
            ngettext=fmt.ngettext,
            csrf_field=CSRF_FIELD,
            csrf_token=csrf_token(request),
            nav=navigation(actor),
            languages=LANGUAGE_NAMES,
            locale=fmt.locale,
            version=__version__,
            **context,
        )
    )
    return HTMLResponse(page, status_code=status_code)
