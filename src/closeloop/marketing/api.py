"""Marketing over HTTP: /api/v1/channels, /campaigns, /contents, /spend (marketing and admins)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from closeloop.accounts.schemas import error_responses
from closeloop.marketing import service, spend
from closeloop.marketing.schemas import (
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    ContentIn,
    ContentOut,
    ContentPatch,
    SpendIn,
    SpendOut,
    SpendPatch,
)
from closeloop.models import Campaign, Channel, Content, SpendEntry
from closeloop.money import from_minor
from closeloop.web.auth import ApiActor
from closeloop.web.listing import ListParams, PageOut, list_params, sort_order
from closeloop.web.params import IdFilter, RowId, request_unit

router = APIRouter(prefix="/api/v1", tags=["marketing"])
Params = Annotated[ListParams, Depends(list_params)]
LIST_ERRORS = error_responses(422)
WRITE_ERRORS = error_responses(409, 422)
CHANGE_ERRORS = error_responses(404, 409, 422)
GET_ERRORS = error_responses(404)


def campaign_out(c: Campaign) -> CampaignOut:
    return CampaignOut(
        id=c.id,
        channel_id=c.channel_id,
        code=c.code,
        name=c.name,
        utm_campaign=c.utm_campaign,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        budget=service.campaign_budget(c),
        currency=c.currency,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def spend_out(s: SpendEntry) -> SpendOut:
    return SpendOut(
        id=s.id,
        spent_on=s.spent_on,
        amount=from_minor(s.amount_minor, s.currency),
        currency=s.currency,
        channel_id=s.channel_id,
        campaign_id=s.campaign_id,
        content_id=s.content_id,
        note=s.note,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


# ---- channels ----------------------------------------------------------------------------------


@router.get("/channels", response_model=PageOut[ChannelOut], responses=LIST_ERRORS)
def list_channels(
    request: Request,
    actor: ApiActor,
    params: Params,
    kind: Annotated[str | None, Query(max_length=30)] = None,
) -> PageOut[ChannelOut]:
    """Channels; sortable by id, code, name (default name)."""
    sort, descending = sort_order(params.sort, service.CHANNEL_SORTS, "name")
    with request_unit(request) as session:
        page = service.list_channels(
            session,
            actor,
            kind=kind,
            sort=sort,
            descending=descending,
            limit=params.limit,
            cursor=params.cursor,
        )
        items = [ChannelOut.model_validate(c) for c in page.items]
    return PageOut[ChannelOut](items=items, next_cursor=page.next_cursor)


@router.post("/channels", status_code=201, response_model=ChannelOut, responses=WRITE_ERRORS)
def create_channel(payload: ChannelIn, request: Request, actor: ApiActor) -> ChannelOut:
    with request_unit(request) as session:
        return ChannelOut.model_validate(
            service.create_channel(session, actor, values=payload.model_dump())
        )


@router.get("/channels/{channel_id}", response_model=ChannelOut, responses=GET_ERRORS)
def get_channel(channel_id: RowId, request: Request, actor: ApiActor) -> ChannelOut:
    with request_unit(request) as session:
        return ChannelOut.model_validate(service.get_row(session, actor, Channel, channel_id))


@router.patch("/channels/{channel_id}", response_model=ChannelOut, responses=CHANGE_ERRORS)
def update_channel(
    channel_id: RowId, payload: ChannelPatch, request: Request, actor: ApiActor
) -> ChannelOut:
    changes = payload.model_dump(include=payload.model_fields_set)
    with request_unit(request) as session:
        return ChannelOut.model_validate(
            service.update_channel(session, actor, channel_id=channel_id, changes=changes)
        )


# ---- campaigns ---------------------------------------------------------------------------------


@router.get("/campaigns", response_model=PageOut[CampaignOut], responses=LIST_ERRORS)
def list_campaigns(
    request: Request, actor: ApiActor, params: Params, channel_id: IdFilter = None
) -> PageOut[CampaignOut]:
    """Campaigns; sortable by id, code, name (default name)."""
    sort, descending = sort_order(params.sort, service.CAMPAIGN_SORTS, "name")
    with request_unit(request) as session:
        page = service.list_campaigns(
            session,
            actor,
            channel_id=channel_id,
            sort=sort,
            descending=descending,
            limit=params.limit,
            cursor=params.cursor,
        )
        items = [campaign_out(c) for c in page.items]
    return PageOut[CampaignOut](items=items, next_cursor=page.next_cursor)


@router.post("/campaigns", status_code=201, response_model=CampaignOut, responses=WRITE_ERRORS)
def create_campaign(payload: CampaignIn, request: Request, actor: ApiActor) -> CampaignOut:
    with request_unit(request) as session:
        return campaign_out(service.create_campaign(session, actor, values=payload.model_dump()))


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut, responses=GET_ERRORS)
def get_campaign(campaign_id: RowId, request: Request, actor: ApiActor) -> CampaignOut:
    with request_unit(request) as session:
        return campaign_out(service.get_row(session, actor, Campaign, campaign_id))


@router.patch("/campaigns/{campaign_id}", response_model=CampaignOut, responses=CHANGE_ERRORS)
def update_campaign(
    campaign_id: RowId, payload: CampaignPatch, request: Request, actor: ApiActor
) -> CampaignOut:
    changes = payload.model_dump(include=payload.model_fields_set)
    with request_unit(request) as session:
        return campaign_out(
            service.update_campaign(session, actor, campaign_id=campaign_id, changes=changes)
        )


# ---- contents ----------------------------------------------------------------------------------


@router.get("/contents", response_model=PageOut[ContentOut], responses=LIST_ERRORS)
def list_contents(
    request: Request, actor: ApiActor, params: Params, campaign_id: IdFilter = None
) -> PageOut[ContentOut]:
    """Contents; sortable by id, code, name (default name)."""
    sort, descending = sort_order(params.sort, service.CONTENT_SORTS, "name")
    with request_unit(request) as session:
        page = service.list_contents(
            session,
            actor,
            campaign_id=campaign_id,
            sort=sort,
            descending=descending,
            limit=params.limit,
            cursor=params.cursor,
        )
        items = [ContentOut.model_validate(c) for c in page.items]
    return PageOut[ContentOut](items=items, next_cursor=page.next_cursor)


@router.post("/contents", status_code=201, response_model=ContentOut, responses=WRITE_ERRORS)
def create_content(payload: ContentIn, request: Request, actor: ApiActor) -> ContentOut:
    with request_unit(request) as session:
        return ContentOut.model_validate(
            service.create_content(session, actor, values=payload.model_dump())
        )


@router.get("/contents/{content_id}", response_model=ContentOut, responses=GET_ERRORS)
def get_content(content_id: RowId, request: Request, actor: ApiActor) -> ContentOut:
    with request_unit(request) as session:
        return ContentOut.model_validate(service.get_row(session, actor, Content, content_id))


@router.patch("/contents/{content_id}", response_model=ContentOut, responses=CHANGE_ERRORS)
def update_content(
    content_id: RowId, payload: ContentPatch, request: Request, actor: ApiActor
) -> ContentOut:
    changes = payload.model_dump(include=payload.model_fields_set)
    with request_unit(request) as session:
        return ContentOut.model_validate(
            service.update_content(session, actor, content_id=content_id, changes=changes)
        )


# ---- spend -------------------------------------------------------------------------------------


@router.get("/spend", response_model=PageOut[SpendOut], responses=LIST_ERRORS)
def list_spend(
    request: Request,
    actor: ApiActor,
    params: Params,
    channel_id: IdFilter = None,
    campaign_id: IdFilter = None,
    content_id: IdFilter = None,
    spent_from: Annotated[date | None, Query(alias="from", description="On or after")] = None,
    spent_to: Annotated[date | None, Query(alias="to", description="On or before")] = None,
) -> PageOut[SpendOut]:
    """Spend entries; sortable by id, spent_on, amount (default -spent_on)."""
    sort, descending = sort_order(params.sort, spend.SPEND_SORTS, "-spent_on")
    filters = spend.SpendFilters(channel_id, campaign_id, content_id, spent_from, spent_to)
    with request_unit(request) as session:
        page = spend.list_spend(
            session,
            actor,
            filters=filters,
            sort=sort,
            descending=descending,
            limit=params.limit,
            cursor=params.cursor,
        )
        items = [spend_out(s) for s in page.items]
    return PageOut[SpendOut](items=items, next_cursor=page.next_cursor)


@router.post("/spend", status_code=201, response_model=SpendOut, responses=error_responses(422))
def create_spend(payload: SpendIn, request: Request, actor: ApiActor) -> SpendOut:
    """Book spend for a day against a channel (and a campaign and a content of it)."""
    with request_unit(request) as session:
        return spend_out(spend.create_spend(session, actor, values=payload.model_dump()))


@router.get("/spend/{spend_id}", response_model=SpendOut, responses=GET_ERRORS)
def get_spend(spend_id: RowId, request: Request, actor: ApiActor) -> SpendOut:
    with request_unit(request) as session:
        return spend_out(service.get_row(session, actor, SpendEntry, spend_id))


@router.patch("/spend/{spend_id}", response_model=SpendOut, responses=error_responses(404, 422))
def update_spend(
    spend_id: RowId, payload: SpendPatch, request: Request, actor: ApiActor
) -> SpendOut:
    changes = payload.model_dump(include=payload.model_fields_set)
    with request_unit(request) as session:
        return spend_out(spend.update_spend(session, actor, spend_id=spend_id, changes=changes))


@router.delete(
    "/spend/{spend_id}",
    status_code=204,
    response_class=Response,
    responses=error_responses(404),
)
def delete_spend(spend_id: RowId, request: Request, actor: ApiActor) -> Response:
    """Remove a spend entry; the audit log keeps what it was."""
    with request_unit(request) as session:
        spend.delete_spend(session, actor, spend_id=spend_id)
    return Response(status_code=204)
