"""What the inbox and the pool pages share: the rows they show, flash messages, the actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from closeloop.access.actor import WRITE, Actor
from closeloop.access.pages import safe_next
from closeloop.access.policy import Area, require
from closeloop.db.cursor import Page
from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.types import MAX_ID
from closeloop.errors import ClosedLoopError, Invalid, NotFound
from closeloop.labels import LEAD_STATUS_LABELS, SLA_KIND_LABELS, label
from closeloop.leads import records
from closeloop.leads.routing import repository as routing_repo
from closeloop.leads.states import may_accept
from closeloop.models import Lead, LeadStatus
from closeloop.web.auth import CSRF_FIELD, check_csrf
from closeloop.web.i18n import Formatter
from closeloop.web.templating import formatter

PAGE_SIZE = 25
DUE_SOON_SECONDS = 2 * 3600  # a clock due within two hours is shown in amber
LeadId = Annotated[int, Path(ge=1, le=MAX_ID)]
CsrfField = Annotated[str | None, Form(alias=CSRF_FIELD)]
# The inbox's statuses: open leads someone works (the pool has its own page; nurture is
# marketing's again).
INBOX_STATUSES = routing_repo.ASSIGNABLE
# The statuses a lead list may be filtered by: the open ones and SQL.
STATUS_LABELS = {
    status: label
    for status, label in LEAD_STATUS_LABELS.items()
    if status not in (LeadStatus.DISQUALIFIED.value, LeadStatus.MERGED.value)
}


# ---- what the rows show ------------------------------------------------------------------------


def duration_text(fmt: Formatter, seconds: float) -> str:
    """A span in words: "2 d 4 h", "1 h 20 min", "3 h", "15 min" (at least a minute)."""
    minutes = max(int(seconds // 60), 1)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    _ = fmt.gettext
    if days:
        if hours:
            return _("%(days)s d %(hours)s h", days=days, hours=hours)
        return _("%(days)s d", days=days)
    if hours:
        if minutes:
            return _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
        return _("%(hours)s h", hours=hours)
    return _("%(minutes)s min", minutes=minutes)


@dataclass(frozen=True)
class Clock:
    text: str
    tone: str  # ok, warn, bad
    kind: str


def sla_clock(fmt: Formatter, lead: Lead, now: datetime) -> Clock | None:
    """The lead's running SLA clock as "due in 1 h 20 min" or "overdue by 3 h", with a colour."""
    if lead.sla_due_at is None:
        return None
    left = (lead.sla_due_at - now).total_seconds()
    kind = label(SLA_KIND_LABELS, lead.sla_kind, fmt.gettext) if lead.sla_kind else ""
    if left < 0:
        return Clock(
            fmt.gettext("overdue by %(time)s", time=duration_text(fmt, -left)), "bad", kind
        )
    tone = "warn" if left <= DUE_SOON_SECONDS else "ok"
    return Clock(fmt.gettext("due in %(time)s", time=duration_text(fmt, left)), tone, kind)


@dataclass(frozen=True)
class Row:
    lead: Lead
    factors: list[tuple[str, Any]]
    clock: Clock | None
    status: str
    mine: bool
    acceptable: bool  # an owner's accept would move it on (not SAL already)


def lead_rows(fmt: Formatter, actor: Actor, leads: list[Lead], now: datetime) -> list[Row]:
    rows = []
    for lead in leads:
        factors = [(str(f[0]), f[1]) for f in (lead.score_factors or [])[:3] if len(f) >= 2]
        rows.append(
            Row(
                lead=lead,
                factors=factors,
                clock=sla_clock(fmt, lead, now),
                status=fmt.gettext(STATUS_LABELS.get(lead.status, lead.status)),
                mine=lead.owner_id is not None and lead.owner_id == actor.user_id,
                acceptable=may_accept(lead.status),
            )
        )
    return rows


# ---- flash messages and forms ------------------------------------------------------------------


def flash(request: Request, kind: str, text: str) -> None:
    request.session["flash"] = [kind, text]


def pop_flash(request: Request) -> tuple[str | None, str | None]:
    kept = request.session.pop("flash", None)
    if not kept:
        return None, None
    return str(kept[1]), str(kept[0])


@contextmanager
def writing(request: Request) -> Iterator[Session]:
    with unit_of_work(request.app.state.engine) as session:
        begin_writing(session)
        yield session


def here_url(path: str, kept: dict[str, str], cursor: str | None) -> str:
    """This page's address, for the forms' way back."""
    params = {**kept, "cursor": cursor} if cursor else kept
    return path + ("?" + urlencode(params) if params else "")


def lead_name(lead_id: int, name: str | None) -> str:
    return name or f"#{lead_id}"


def act(
    request: Request,
    actor: Actor,
    csrf: str | None,
    next_url: str,
    default: str,
    work: Callable[[Session], str],
    area: Area = Area.LEADS,
) -> Response:
    """Check the form, run ``work`` in a writing transaction, then go back with a flash message.

    ``work`` returns the success message; a domain error becomes an error flash (a record the
    actor may not see stays a 404 page, a role without the ``area`` a 403 page)."""
    check_csrf(request, csrf)
    require(actor, area, WRITE)
    fmt = formatter(request, actor)
    try:
        with writing(request) as session:
            message = work(session)
        flash(request, "ok", message)
    except NotFound:
        raise
    except ClosedLoopError as error:
        flash(request, "error", error.translated(fmt.gettext))
    return RedirectResponse(safe_next(next_url, default), status_code=303)


def lead_page(
    session: Session,
    actor: Actor,
    filters: records.LeadFilters,
    cursor: str | None,
    errors: dict[str, str],
    fmt: Formatter,
) -> Page[Lead]:
    """One page by score; a bad search or page link is an error next to it, not an error page."""
    try:
        return records.list_leads(
            session, actor, filters, sort="-score", limit=PAGE_SIZE, cursor=cursor
        )
    except Invalid as error:
        name = (error.field or "").rsplit(".", 1)[-1]
        if name not in ("cursor", "q"):
            raise
        errors[name] = error.translated(fmt.gettext)
    retry = replace(filters, q=None) if name == "q" else filters
    return records.list_leads(
        session,
        actor,
        retry,
        sort="-score",
        limit=PAGE_SIZE,
        cursor=None if name == "cursor" else cursor,
    )
