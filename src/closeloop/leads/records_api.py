"""The leads API for people and integrations acting as a user (Bearer token or session):
list, read, enter by hand, edit, tag, transitions, touches and history. Routes only."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from closeloop.db.types import utcnow
from closeloop.leads import lead_tags, records, records_touches
from closeloop.leads import records_transitions as transitions
from closeloop.leads.records_schemas import (
    AssignIn,
    ContactIn,
    HistoryOut,
    LeadCreate,
    LeadDetail,
    LeadItem,
    LeadUpdate,
    ReleaseIn,
    ReturnIn,
    TagsIn,
    TouchOut,
    TransitionOut,
)
from closeloop.leads.routing.actions import ActionResult
from closeloop.models import Lead
from closeloop.web.auth import ApiActor
from closeloop.web.listing import ListParams, PageOut, list_params
from closeloop.web.params import IdFilter, RowId, request_unit

router = APIRouter(prefix="/api/v1", tags=["leads"])


class ErrorOut(BaseModel):
    """Every error but 422: one message."""

    detail: str


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    described = {
        401: "Not signed in, or the API token is invalid or revoked",
        403: "The role or the token's scope does not allow this (or a missing X-CSRF-Token)",
        404: "No such lead, or not one the caller may see",
        409: "The lead's state, owner or a cap does not allow this now",
    }
    return {code: {"model": ErrorOut, "description": described[code]} for code in codes}


READ_ERRORS = _errors(401, 403, 404)
WRITE_ERRORS = _errors(401, 403, 404, 409)
Params = Annotated[ListParams, Depends(list_params)]
LeadId = RowId


def _detail(session: Session, lead: Lead) -> LeadDetail:
    out = LeadDetail.model_validate(lead)
    out.tags = lead_tags.tags_of(session, lead.id)
    return out


def _transition(session: Session, result: ActionResult) -> TransitionOut:
    lead = session.get_one(Lead, result.lead_id, populate_existing=True)
    return TransitionOut(
        lead_id=result.lead_id,
        status=result.status,
        owner_id=result.owner_id,
        rule=result.rule,
        rule_version=result.rule_version,
        lead=_detail(session, lead),
    )


@router.get("/leads", response_model=PageOut[LeadItem], responses=_errors(401, 403))
def list_leads(
    request: Request,
    actor: ApiActor,
    params: Params,
    status: Annotated[list[str] | None, Query(description="Repeat for several.")] = None,
    owner_id: IdFilter = None,
    team_id: IdFilter = None,
    channel_id: IdFilter = None,
    campaign_id: IdFilter = None,
    content_id: IdFilter = None,
    min_score: Annotated[int | None, Query(ge=0, le=100)] = None,
    created_from: Annotated[date | None, Query(description="First day (UTC), inclusive.")] = None,
    created_to: Annotated[date | None, Query(description="Last day (UTC), inclusive.")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Start of the name, e-mail or company.")
    ] = None,
    tag: Annotated[str | None, Query(max_length=60)] = None,
) -> PageOut[LeadItem]:
    """The leads the caller may see: a rep their own and the pool, a manager the team's.

    Sortable by `score`, `created_at` (default `-created_at`), `sla_due_at` (leads without a
    running clock last) and `id`."""
    filters = records.LeadFilters(
        statuses=tuple(status or ()),
        owner_id=owner_id,
        team_id=team_id,
        channel_id=channel_id,
        campaign_id=campaign_id,
        content_id=content_id,
        min_score=min_score,
        created_from=created_from,
        created_to=created_to,
        q=q,
        tag=tag,
    )
    with request_unit(request) as session:
        page = records.list_leads(
            session, actor, filters, sort=params.sort, limit=params.limit, cursor=params.cursor
        )
        items = [LeadItem.model_validate(lead) for lead in page.items]
    return PageOut[LeadItem](items=items, next_cursor=page.next_cursor)


@router.post(
    "/leads/manual", status_code=201, response_model=LeadDetail, responses=_errors(401, 403, 409)
)
def create_lead(payload: LeadCreate, request: Request, actor: ApiActor) -> LeadDetail:
    """Enter a lead by hand (a signed-in user; integrations capture with `POST /api/v1/leads`).

    Cleaned like a captured lead, scored, and routed — unless a rep or SDR entered it: then it is
    theirs, with the first-contact clock running. 409 when a lead with the e-mail or phone
    exists."""
    region = (payload.default_region or request.app.state.settings.default_region or "").upper()
    with request_unit(request) as session:
        lead = records.create_lead(
            session,
            actor,
            values=payload.model_dump(exclude={"default_region"}, exclude_none=True),
            default_region=region or None,
            at=utcnow(),
        )
        return _detail(session, lead)


@router.get("/leads/{lead_id}", response_model=LeadDetail, responses=READ_ERRORS)
def get_lead(lead_id: LeadId, request: Request, actor: ApiActor) -> LeadDetail:
    """One lead (404 when it is not one the caller may see)."""
    with request_unit(request) as session:
        return _detail(session, records.get_lead(session, actor, lead_id))


@router.patch("/leads/{lead_id}", response_model=LeadDetail, responses=WRITE_ERRORS)
def update_lead(
    lead_id: LeadId, payload: LeadUpdate, request: Request, actor: ApiActor
) -> LeadDetail:
    """Change the fields sent (null clears one), cleaned as at capture; audited."""
    changes = payload.model_dump(exclude_unset=True, exclude={"default_region"})
    with request_unit(request) as session:
        lead = records.update_lead(
            session,
            actor,
            lead_id=lead_id,
            changes=changes,
            default_region=payload.default_region.upper() if payload.default_region else None,
            fallback_region=request.app.state.settings.default_region,
        )
        return _detail(session, lead)


@router.put("/leads/{lead_id}/tags", response_model=LeadDetail, responses=WRITE_ERRORS)
def set_tags(lead_id: LeadId, payload: TagsIn, request: Request, actor: ApiActor) -> LeadDetail:
    """Replace the lead's tags; tags not seen before are created."""
    with request_unit(request) as session:
        lead_tags.set_tags(session, actor, lead_id=lead_id, names=payload.tags)
        return _detail(session, records.get_lead(session, actor, lead_id))


@router.post("/leads/{lead_id}/claim", response_model=TransitionOut, responses=WRITE_ERRORS)
def claim(lead_id: LeadId, request: Request, actor: ApiActor) -> TransitionOut:
    """Take a lead from the public pool (409 beyond the open-lead cap or the daily limit)."""
    with request_unit(request) as session:
        result = transitions.claim(session, actor, lead_id=lead_id, at=utcnow())
        return _transition(session, result)


@router.post("/leads/{lead_id}/release", response_model=TransitionOut, responses=WRITE_ERRORS)
def release(
    lead_id: LeadId, request: Request, actor: ApiActor, payload: ReleaseIn | None = None
) -> TransitionOut:
    """Give an own lead up to the public pool."""
    reason = payload.reason if payload else None
    with request_unit(request) as session:
        result = transitions.release(session, actor, lead_id=lead_id, reason=reason, at=utcnow())
        return _transition(session, result)


@router.post("/leads/{lead_id}/return", response_model=TransitionOut, responses=WRITE_ERRORS)
def return_lead(
    lead_id: LeadId, payload: ReturnIn, request: Request, actor: ApiActor
) -> TransitionOut:
    """Return an own lead to marketing for nurture; the reason is required."""
    with request_unit(request) as session:
        result = transitions.return_to_marketing(
            session, actor, lead_id=lead_id, reason=payload.reason, at=utcnow()
        )
        return _transition(session, result)


@router.post("/leads/{lead_id}/accept", response_model=TransitionOut, responses=WRITE_ERRORS)
def accept(lead_id: LeadId, request: Request, actor: ApiActor) -> TransitionOut:
    """Accept an own lead: it becomes sales-accepted (SAL)."""
    with request_unit(request) as session:
        result = transitions.accept(session, actor, lead_id=lead_id, at=utcnow())
        return _transition(session, result)


@router.post("/leads/{lead_id}/contact", response_model=TransitionOut, responses=WRITE_ERRORS)
def contact(
    lead_id: LeadId, request: Request, actor: ApiActor, payload: ContactIn | None = None
) -> TransitionOut:
    """Log a contact with an own lead (stops the first-contact clock)."""
    body = payload or ContactIn()
    with request_unit(request) as session:
        result = transitions.contact(
            session, actor, lead_id=lead_id, note=body.note, channel=body.channel, at=utcnow()
        )
        return _transition(session, result)


@router.post("/leads/{lead_id}/assign", response_model=TransitionOut, responses=WRITE_ERRORS)
def assign(lead_id: LeadId, payload: AssignIn, request: Request, actor: ApiActor) -> TransitionOut:
    """Give an open lead to a rep: managers (reps of their team) and admins only."""
    with request_unit(request) as session:
        result = transitions.assign(
            session, actor, lead_id=lead_id, owner_id=payload.owner_id, at=utcnow()
        )
        return _transition(session, result)


@router.get("/leads/{lead_id}/history", response_model=list[HistoryOut], responses=READ_ERRORS)
def history(lead_id: LeadId, request: Request, actor: ApiActor) -> list[HistoryOut]:
    """Status changes and decisions (with their rule and version), oldest first."""
    with request_unit(request) as session:
        entries = records_touches.history(session, actor, lead_id=lead_id)
        return [HistoryOut.model_validate(entry) for entry in entries]


@router.get("/leads/{lead_id}/touches", response_model=PageOut[TouchOut], responses=READ_ERRORS)
def lead_touches(
    lead_id: LeadId, request: Request, actor: ApiActor, params: Params
) -> PageOut[TouchOut]:
    """The lead's touches, newest first unless `sort` says otherwise (`occurred_at`, `id`)."""
    return _touches(request, actor, params, records_touches.TouchFilters(lead_id=lead_id))


@router.get("/touches", response_model=PageOut[TouchOut], tags=["touches"], responses=READ_ERRORS)
def list_touches(
    request: Request,
    actor: ApiActor,
    params: Params,
    lead_id: IdFilter = None,
    channel_id: IdFilter = None,
    campaign_id: IdFilter = None,
    content_id: IdFilter = None,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    from_: Annotated[
        date | None, Query(alias="from", description="First day (UTC) of occurred_at.")
    ] = None,
    to: Annotated[date | None, Query(description="Last day (UTC) of occurred_at.")] = None,
) -> PageOut[TouchOut]:
    """Touches of the leads the caller may see; sortable by `occurred_at` (default, newest first)
    and `id`."""
    filters = records_touches.TouchFilters(
        lead_id=lead_id,
        channel_id=channel_id,
        campaign_id=campaign_id,
        content_id=content_id,
        kind=kind,
        occurred_from=from_,
        occurred_to=to,
    )
    return _touches(request, actor, params, filters)


def _touches(
    request: Request, actor: Any, params: ListParams, filters: records_touches.TouchFilters
) -> PageOut[TouchOut]:
    with request_unit(request) as session:
        page = records_touches.list_touches(
            session, actor, filters, sort=params.sort, limit=params.limit, cursor=params.cursor
        )
        items = [TouchOut.model_validate(touch) for touch in page.items]
    return PageOut[TouchOut](items=items, next_cursor=page.next_cursor)
