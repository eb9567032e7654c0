"""Opportunities over HTTP: /api/v1/opportunities."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from closeloop.accounts.schemas import error_responses
from closeloop.models import Opportunity, StageOutcome
from closeloop.pipeline import service
from closeloop.pipeline.schemas import OpportunityIn, OpportunityOut, OpportunityPatch
from closeloop.web.auth import ApiActor
from closeloop.web.listing import ListParams, PageOut, list_params, sort_order
from closeloop.web.params import IdFilter, RowId, request_unit

router = APIRouter(prefix="/api/v1", tags=["pipeline"])


def opportunity_out(o: Opportunity) -> OpportunityOut:
    return OpportunityOut(
        id=o.id,
        name=o.name,
        account_id=o.account_id,
        lead_id=o.lead_id,
        pipeline_id=o.pipeline_id,
        stage_id=o.stage_id,
        owner_id=o.owner_id,
        amount=service.amount_of(o),
        currency=o.currency,
        probability=o.probability,
        expected_close=o.expected_close,
        status=o.status,
        closed_at=o.closed_at,
        lost_reason=o.lost_reason,
        competitor=o.competitor,
        created_at=o.created_at,
        updated_at=o.updated_at,
    )


@router.get(
    "/opportunities", response_model=PageOut[OpportunityOut], responses=error_responses(422)
)
def list_opportunities(
    request: Request,
    actor: ApiActor,
    params: Annotated[ListParams, Depends(list_params)],
    status: StageOutcome | None = None,
    stage_id: IdFilter = None,
    owner_id: IdFilter = None,
    account_id: IdFilter = None,
    close_from: Annotated[date | None, Query(description="Expected close on or after")] = None,
    close_to: Annotated[date | None, Query(description="Expected close on or before")] = None,
) -> PageOut[OpportunityOut]:
    """Opportunities the caller may see (a rep: own; a manager: the team's).

    Sortable by id, created_at, name, amount, expected_close (default -id)."""
    sort, descending = sort_order(params.sort, service.SORTS, "-id")
    filters = service.OpportunityFilters(
        status.value if status else None, stage_id, owner_id, account_id, close_from, close_to
    )
    with request_unit(request) as session:
        page = service.list_opportunities(
            session,
            actor,
            filters=filters,
            sort=sort,
            descending=descending,
            limit=params.limit,
            cursor=params.cursor,
        )
        items = [opportunity_out(o) for o in page.items]
    return PageOut[OpportunityOut](items=items, next_cursor=page.next_cursor)


@router.post(
    "/opportunities",
    status_code=201,
    response_model=OpportunityOut,
    responses=error_responses(422),
)
def open_opportunity(payload: OpportunityIn, request: Request, actor: ApiActor) -> OpportunityOut:
    """Open an opportunity with an account the caller may see."""
    with request_unit(request) as session:
        return opportunity_out(
            service.open_opportunity(session, actor, values=payload.model_dump())
        )


@router.get(
    "/opportunities/{opportunity_id}",
    response_model=OpportunityOut,
    responses=error_responses(404),
)
def get_opportunity(opportunity_id: RowId, request: Request, actor: ApiActor) -> OpportunityOut:
    with request_unit(request) as session:
        return opportunity_out(service.get_opportunity(session, actor, opportunity_id))


@router.patch(
    "/opportunities/{opportunity_id}",
    response_model=OpportunityOut,
    responses=error_responses(404, 409, 422),
)
def update_opportunity(
    opportunity_id: RowId, payload: OpportunityPatch, request: Request, actor: ApiActor
) -> OpportunityOut:
    """Change the fields sent; ``stage_id`` moves it (won/lost stages close it)."""
    changes = payload.model_dump(include=payload.model_fields_set)
    with request_unit(request) as session:
        return opportunity_out(
            service.update_opportunity(
                session, actor, opportunity_id=opportunity_id, changes=changes
            )
        )
