"""Lead capture over HTTP: POST /api/v1/leads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response

from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.leads.apikeys import authenticate
from closeloop.leads.capture.single import capture_one
from closeloop.leads.schemas import LeadIn, LeadOut

router = APIRouter(prefix="/api/v1", tags=["capture"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid X-API-Key"},
    409: {"description": "Idempotency-Key reused with a different body"},
    413: {"description": "Request body too large"},
    422: {"description": "Invalid lead (the field's path is in detail[].loc)"},
}


@router.post(
    "/leads",
    status_code=201,
    response_model=LeadOut,
    responses={200: {"model": LeadOut, "description": "Merged into an existing lead"}, **ERRORS},
)
def capture_lead(
    payload: LeadIn,
    request: Request,
    response: Response,
    x_api_key: Annotated[
        str | None, Header(description="Key issued by `closeloop apikey create`")
    ] = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> LeadOut:
    """Capture a lead from a form or an ad platform: 201 if new, 200 if it merged.

    The lead is scored and routed in the same transaction: the answer carries its score, status
    (``mql`` when it is sales-ready), team and owner."""
    state = request.app.state
    with unit_of_work(state.engine) as session:
        begin_writing(session)
        holder = authenticate(session, x_api_key)
        captured = capture_one(
            session,
            payload=payload,
            holder=holder,
            settings=state.settings,
            idempotency_key=idempotency_key,
        )
        lead = captured.lead
        out = LeadOut(
            id=lead.id,
            status=lead.status,
            full_name=lead.full_name,
            email=lead.email,
            phone=lead.phone,
            company=lead.company,
            channel_id=lead.channel_id,
            campaign_id=lead.campaign_id,
            content_id=lead.content_id,
            created_at=lead.created_at,
            merged=not captured.created,
            score=lead.score,
            owner_id=lead.owner_id,
            team_id=lead.team_id,
        )
    response.status_code = 201 if captured.created else 200
    return out
