"""The lead 360° page: the lead's fields, score, SLA clock and tags, the actions open to the
viewer, and one timeline of everything that happened with it, newest first.

The page reads ``leads.profile`` (which reads ``accounts.timeline``); the actions post to the
inbox's handlers (``leads.pages``) with this page as the way back, and the tag and release forms
here call the lead services. Rules stay in the services.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from closeloop.access.actor import WRITE
from closeloop.access.policy import Area, allowed, require
from closeloop.access.visibility import OWN_ROWS
from closeloop.accounts.timeline_view import shown
from closeloop.db.engine import unit_of_work
from closeloop.db.types import utcnow
from closeloop.leads import lead_tags, records
from closeloop.leads import profile as lead_profiles
from closeloop.leads import records_transitions as transitions
from closeloop.leads.page_parts import (
    CsrfField,
    LeadId,
    act,
    lead_name,
    lead_rows,
    pop_flash,
)
from closeloop.models import LeadStatus
from closeloop.web.auth import PageActor
from closeloop.web.templating import formatter, render

router = APIRouter(include_in_schema=False)
# Statuses in which the owner still works the lead (accept, log contact, return, release).
WORKED = {s.value for s in (LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.MQL, LeadStatus.SAL)}


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
def lead_page(lead_id: LeadId, request: Request, actor: PageActor) -> Response:
    """One lead: its fields, tags, actions and timeline (404 unless the actor may see it)."""
    require(actor, Area.LEADS)
    fmt = formatter(request, actor)
    with unit_of_work(request.app.state.engine) as session:
        found = lead_profiles.lead_profile(session, actor, lead_id)
        row = lead_rows(fmt, actor, [found.lead], utcnow())[0]
        timeline = shown(fmt, found.timeline)
    lead = found.lead
    writes = allowed(actor, Area.LEADS, WRITE) and actor.user_id is not None
    flash, flash_kind = pop_flash(request)
    return render(
        request,
        actor,
        "lead_page.html",
        p=found,
        row=row,
        timeline=timeline,
        here=f"/leads/{lead.id}",
        can_tag=writes,
        can_work=writes and row.mine and lead.status in WORKED,
        can_claim=writes and actor.role in OWN_ROWS and lead.status == LeadStatus.POOL.value,
        flash=flash,
        flash_kind=flash_kind,
    )


@router.post("/leads/{lead_id}/tags")
def change_tags(
    lead_id: LeadId,
    request: Request,
    actor: PageActor,
    csrf_token: CsrfField = None,
    add: Annotated[str, Form(max_length=200)] = "",
    remove: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Add the tag ``add`` or remove the tag ``remove``; back to the lead page."""
    fmt = formatter(request, actor)

    def work(session: Session) -> str:
        if remove:
            lead_tags.remove_tag(session, actor, lead_id=lead_id, name=remove)
            return fmt.gettext("Tag %(tag)s removed.", tag=remove)
        lead_tags.add_tag(session, actor, lead_id=lead_id, name=add)
        return fmt.gettext("Tag %(tag)s added.", tag=" ".join(add.split()))

    here = f"/leads/{lead_id}"
    return act(request, actor, csrf_token, here, here, work)


@router.post("/leads/{lead_id}/release")
def release_lead(
    lead_id: LeadId,
    request: Request,
    actor: PageActor,
    csrf_token: CsrfField = None,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The owner gives the lead up to the public pool; back to the lead page."""
    fmt = formatter(request, actor)

    def work(session: Session) -> str:
        transitions.release(
            session, actor, lead_id=lead_id, reason=reason.strip() or None, at=utcnow()
        )
        lead = records.get_lead(session, actor, lead_id)
        return fmt.gettext(
            "%(name)s released to the public pool.", name=lead_name(lead.id, lead.full_name)
        )

    here = f"/leads/{lead_id}"
    return act(request, actor, csrf_token, here, here, work)
