"""The lead inbox (a rep's own open leads, a manager's team's) and the public pool, as HTML pages.

The pages only read and call the lead services (``records.list_leads``, ``records_transitions``):
ownership, caps, the state machine and the audit are theirs. A domain error from an action comes
back as a flash message in the user's language; an empty reason for a return, as an error next to
the field with the typed text kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from closeloop.access.actor import WRITE, Actor
from closeloop.access.pages import safe_next
from closeloop.access.policy import Area, allowed, require
from closeloop.access.visibility import OWN_ROWS
from closeloop.db.engine import unit_of_work
from closeloop.db.types import utcnow
from closeloop.errors import ClosedLoopError, Invalid, NotFound
from closeloop.leads import records
from closeloop.leads import records_transitions as transitions
from closeloop.leads.page_parts import (
    INBOX_STATUSES,
    STATUS_LABELS,
    CsrfField,
    LeadId,
    act,
    flash,
    here_url,
    lead_name,
    lead_page,
    lead_rows,
    pop_flash,
    writing,
)
from closeloop.leads.routing import repository as routing_repo
from closeloop.models import LeadStatus, Role, User
from closeloop.web.auth import PageActor, check_csrf
from closeloop.web.i18n import Formatter
from closeloop.web.templating import formatter, render

router = APIRouter(include_in_schema=False)


# ---- the inbox ---------------------------------------------------------------------------------


def _int_or_error(value: str | None, errors: dict[str, str], fmt: Formatter) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit() and 0 <= int(text) <= 100:
        return int(text)
    errors["min_score"] = fmt.gettext("Enter a whole number from 0 to 100.")
    return None


def _inbox(
    request: Request,
    actor: Actor,
    *,
    status: str | None,
    q: str | None,
    min_score: str | None,
    cursor: str | None,
    status_code: int = 200,
    form_error: dict[str, Any] | None = None,
) -> Response:
    require(actor, Area.LEADS)
    fmt = formatter(request, actor)
    errors: dict[str, str] = {}
    score = _int_or_error(min_score, errors, fmt)
    if status and status not in STATUS_LABELS:
        errors["status"] = fmt.gettext("Choose a status from the list.")
        status = None
    filters = records.inbox_filters(actor, status, q, score)
    now = utcnow()
    with unit_of_work(request.app.state.engine) as session:
        page = lead_page(session, actor, filters, cursor, errors, fmt)
        rows = lead_rows(fmt, actor, list(page.items), now)
    query = {"status": status or "", "q": q or "", "min_score": min_score or ""}
    kept = {k: v for k, v in query.items() if v}
    next_link = (
        "/leads?" + urlencode({**kept, "cursor": page.next_cursor}) if page.next_cursor else None
    )
    here = here_url("/leads", kept, cursor)
    flash, flash_kind = pop_flash(request)
    if form_error and form_error.get("flash"):
        flash, flash_kind = form_error["flash"], "error"
    _ = fmt.gettext
    return render(
        request,
        actor,
        "leads_inbox.html",
        status_code=status_code,
        rows=rows,
        query=query,
        errors=errors,
        statuses=[(s, _(STATUS_LABELS[s])) for s in INBOX_STATUSES],
        next_link=next_link,
        first_link="/leads?" + urlencode(kept) if cursor else None,
        here=here,
        can_act=allowed(actor, Area.LEADS, WRITE) and actor.user_id is not None,
        scope="own"
        if actor.role in OWN_ROWS
        else "team"
        if actor.role == Role.SALES_MANAGER
        else "all",
        form_error=form_error or {},
        flash=flash,
        flash_kind=flash_kind,
    )


@router.get("/leads", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    actor: PageActor,
    status: str | None = None,
    q: str | None = None,
    min_score: str | None = None,
    cursor: str | None = None,
) -> Response:
    """The rep's own open leads (a manager: the team's), highest score first."""
    return _inbox(request, actor, status=status, q=q, min_score=min_score, cursor=cursor)


@router.post("/leads/{lead_id}/accept")
def accept_lead(
    lead_id: LeadId,
    request: Request,
    actor: PageActor,
    csrf_token: CsrfField = None,
    next: Annotated[str, Form()] = "/leads",
) -> Response:
    fmt = formatter(request, actor)

    def work(session: Session) -> str:
        transitions.accept(session, actor, lead_id=lead_id, at=utcnow())
        lead = records.get_lead(session, actor, lead_id)
        return fmt.gettext("%(name)s accepted.", name=lead_name(lead.id, lead.full_name))

    return act(request, actor, csrf_token, next, "/leads", work)


@router.post("/leads/{lead_id}/contact")
def log_contact(
    lead_id: LeadId,
    request: Request,
    actor: PageActor,
    csrf_token: CsrfField = None,
    note: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form()] = "/leads",
) -> Response:
    fmt = formatter(request, actor)

    def work(session: Session) -> str:
        transitions.contact(
            session, actor, lead_id=lead_id, note=note or None, channel=None, at=utcnow()
        )
        lead = records.get_lead(session, actor, lead_id)
        return fmt.gettext("Contact with %(name)s logged.", name=lead_name(lead.id, lead.full_name))

    return act(request, actor, csrf_token, next, "/leads", work)


@router.post("/leads/{lead_id}/return")
def return_lead(
    lead_id: LeadId,
    request: Request,
    actor: PageActor,
    csrf_token: CsrfField = None,
    reason: Annotated[str, Form(max_length=500)] = "",
    next: Annotated[str, Form()] = "/leads",
) -> Response:
    """Return to marketing for nurture; an empty reason re-renders the inbox with the error."""
    check_csrf(request, csrf_token)
    require(actor, Area.LEADS, WRITE)
    fmt = formatter(request, actor)
    try:
        with writing(request) as session:
            transitions.return_to_marketing(
                session, actor, lead_id=lead_id, reason=reason, at=utcnow()
            )
    except Invalid as error:
        if not (error.field or "").endswith("reason"):
            raise
        back = safe_next(next, "/leads")
        params = dict(parse_qsl(back.split("?", 1)[1])) if "?" in back else {}
        return _inbox(
            request,
            actor,
            status=params.get("status") or None,
            q=params.get("q") or None,
            min_score=params.get("min_score") or None,
            cursor=params.get("cursor") or None,
            status_code=422,
            form_error={
                "lead_id": lead_id,
                "field": "reason",
                "value": reason,
                "message": error.translated(fmt.gettext),
            },
        )
    except NotFound:
        raise
    except ClosedLoopError as error:
        flash(request, "error", error.translated(fmt.gettext))
        return RedirectResponse(safe_next(next, "/leads"), status_code=303)
    flash(request, "ok", fmt.gettext("Lead #%(id)s returned to marketing.", id=lead_id))
    return RedirectResponse(safe_next(next, "/leads"), status_code=303)


# ---- the public pool ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    open: int
    cap: int | None

    @property
    def full(self) -> bool:
        return self.cap is not None and self.open >= self.cap


def _load(session: Session, actor: Actor) -> Load | None:
    """The actor's open leads (counted as routing counts them) against their cap."""
    if actor.user_id is None or actor.role not in OWN_ROWS:
        return None
    user = session.get(User, actor.user_id)
    if user is None:
        return None
    count = routing_repo.open_loads(session, [user.id]).get(user.id, 0)
    return Load(count, user.max_open_leads)


@router.get("/pool", response_class=HTMLResponse)
def pool_page(
    request: Request,
    actor: PageActor,
    q: str | None = None,
    min_score: str | None = None,
    cursor: str | None = None,
) -> Response:
    """Leads in the public pool, highest score first, with a Claim button and the cap."""
    require(actor, Area.LEADS)
    fmt = formatter(request, actor)
    errors: dict[str, str] = {}
    score = _int_or_error(min_score, errors, fmt)
    filters = records.LeadFilters(statuses=(LeadStatus.POOL.value,), min_score=score, q=q)
    now = utcnow()
    with unit_of_work(request.app.state.engine) as session:
        page = lead_page(session, actor, filters, cursor, errors, fmt)
        rows = lead_rows(fmt, actor, list(page.items), now)
        load = _load(session, actor)
    query = {"q": q or "", "min_score": min_score or ""}
    kept = {k: v for k, v in query.items() if v}
    next_link = (
        "/pool?" + urlencode({**kept, "cursor": page.next_cursor}) if page.next_cursor else None
    )
    here = here_url("/pool", kept, cursor)
    flash, flash_kind = pop_flash(request)
    return render(
        request,
        actor,
        "leads_pool.html",
        rows=rows,
        query=query,
        errors=errors,
        load=load,
        next_link=next_link,
        first_link="/pool?" + urlencode(kept) if cursor else None,
        here=here,
        can_claim=load is not None and allowed(actor, Area.LEADS, WRITE),
        flash=flash,
        flash_kind=flash_kind,
    )


@router.post("/pool/{lead_id}/claim")
def claim_lead(
    lead_id: LeadId,
    request: Request,
    actor: PageActor,
    csrf_token: CsrfField = None,
    next: Annotated[str, Form()] = "/pool",
) -> Response:
    fmt = formatter(request, actor)

    def work(session: Session) -> str:
        transitions.claim(session, actor, lead_id=lead_id, at=utcnow())
        lead = records.get_lead(session, actor, lead_id)
        return fmt.gettext(
            "%(name)s is yours now: it is in your inbox.", name=lead_name(lead.id, lead.full_name)
        )

    return act(request, actor, csrf_token, next, "/pool", work)
