"""Accounts and contacts over HTTP: /api/v1/accounts, /api/v1/contacts, the account timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from closeloop.accounts import service
from closeloop.accounts.schemas import (
    AccountIn,
    AccountOut,
    AccountPatch,
    ContactIn,
    ContactOut,
    ContactPatch,
    TagsIn,
    TimelineEntryOut,
    error_responses,
)
from closeloop.accounts.timeline import account_timeline
from closeloop.models import Account
from closeloop.web.auth import ApiActor
from closeloop.web.listing import ListParams, PageOut, list_params, sort_order
from closeloop.web.params import IdFilter, RowId, request_unit

router = APIRouter(prefix="/api/v1", tags=["accounts"])
Params = Annotated[ListParams, Depends(list_params)]


def _account_out(account: Account, tags: list[str]) -> AccountOut:
    return AccountOut(
        id=account.id,
        name=account.name,
        industry=account.industry,
        employees=account.employees,
        region=account.region,
        city=account.city,
        owner_id=account.owner_id,
        tags=tags,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


@router.get(
    "/accounts",
    response_model=PageOut[AccountOut],
    responses=error_responses(422),
)
def list_accounts(
    request: Request,
    actor: ApiActor,
    params: Params,
    owner_id: Annotated[int | None, Query(description="Owned by this user")] = None,
    industry: Annotated[str | None, Query(max_length=60)] = None,
    region: Annotated[str | None, Query(max_length=2)] = None,
    tag: Annotated[str | None, Query(max_length=60, description="Has this tag")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name")] = None,
) -> PageOut[AccountOut]:
    """Accounts the caller may see. Sortable by id, name, created_at (default -id)."""
    sort, descending = sort_order(params.sort, service.ACCOUNT_SORTS, "-id")
    filters = service.AccountFilters(owner_id, industry, region, tag, q)
    with request_unit(request) as session:
        page = service.list_accounts(
            session,
            actor,
            filters=filters,
            sort=sort,
            descending=descending,
            limit=params.limit,
            cursor=params.cursor,
        )
        tags = service.tags_of(session, [a.id for a in page.items])
        items = [_account_out(a, tags[a.id]) for a in page.items]
    return PageOut[AccountOut](items=items, next_cursor=page.next_cursor)


@router.post(
    "/accounts", status_code=201, response_model=AccountOut, responses=error_responses(422)
)
def create_account(payload: AccountIn, request: Request, actor: ApiActor) -> AccountOut:
    """Create an account; a seller who names no owner owns it."""
    with request_unit(request) as session:
        account = service.create_account(session, actor, values=payload.model_dump())
        return _account_out(account, [])


@router.get("/accounts/{account_id}", response_model=AccountOut, responses=error_responses(404))
def get_account(account_id: RowId, request: Request, actor: ApiActor) -> AccountOut:
    """One account (404 if it does not exist or the caller may not see it)."""
    with request_unit(request) as session:
        account = service.get_account(session, actor, account_id)
        return _account_out(account, service.tags_of(session, [account.id])[account.id])


@router.patch(
    "/accounts/{account_id}", response_model=AccountOut, responses=error_responses(404, 422)
)
def update_account(
    account_id: RowId, payload: AccountPatch, request: Request, actor: ApiActor
) -> AccountOut:
    """Change the fields sent (only those)."""
    changes = payload.model_dump(include=payload.model_fields_set)
    with request_unit(request) as session:
        account = service.update_account(session, actor, account_id=account_id, changes=changes)
        return _account_out(account, service.tags_of(session, [account.id])[account.id])


@router.put(
    "/accounts/{account_id}/tags", response_model=AccountOut, responses=error_responses(404, 422)
)
def set_tags(account_id: RowId, payload: TagsIn, request: Request, actor: ApiActor) -> AccountOut:
    """Replace the account's tags with the list sent (new names become tags)."""
    with request_unit(request) as session:
        tags = service.set_account_tags(session, actor, account_id=account_id, tags=payload.tags)
        return _account_out(service.get_account(session, actor, account_id), tags)


@router.get(
    "/accounts/{account_id}/timeline",
    response_model=list[TimelineEntryOut],
    responses=error_responses(404),
)
def get_timeline(account_id: RowId, request: Request, actor: ApiActor) -> list[TimelineEntryOut]:
    """The account's 360°: touches, lead status changes and decisions, opportunities and their
    stages, and — for finance and admins — orders, invoices and payments; oldest first."""
    with request_unit(request) as session:
        entries = account_timeline(session, actor, account_id)
    return [TimelineEntryOut.model_validate(entry) for entry in entries]


# ---- contacts ----------------------------------------------------------------------------------


@router.get("/contacts", response_model=PageOut[ContactOut], responses=error_responses(422))
def list_contacts(
    request: Request,
    actor: ApiActor,
    params: Params,
    account_id: IdFilter = None,
    email: Annotated[str | None, Query(max_length=254)] = None,
) -> PageOut[ContactOut]:
    """Contacts the caller may see. Sortable by id, full_name, created_at (default -id)."""
    sort, descending = sort_order(params.sort, service.CONTACT_SORTS, "-id")
    with request_unit(request) as session:
        page = service.list_contacts(
            session,
            actor,
            account_id=account_id,
            email=email,
            sort=sort,
            descending=descending,
            limit=params.limit,
            cursor=params.cursor,
        )
        items = [ContactOut.model_validate(c) for c in page.items]
    return PageOut[ContactOut](items=items, next_cursor=page.next_cursor)


@router.post(
    "/contacts", status_code=201, response_model=ContactOut, responses=error_responses(422)
)
def create_contact(payload: ContactIn, request: Request, actor: ApiActor) -> ContactOut:
    """Create a contact, of an account the caller may see (or of none)."""
    with request_unit(request) as session:
        contact = service.create_contact(session, actor, values=payload.model_dump())
        return ContactOut.model_validate(contact)


@router.get("/contacts/{contact_id}", response_model=ContactOut, responses=error_responses(404))
def get_contact(contact_id: RowId, request: Request, actor: ApiActor) -> ContactOut:
    with request_unit(request) as session:
        return ContactOut.model_validate(service.get_contact(session, actor, contact_id))


@router.patch(
    "/contacts/{contact_id}", response_model=ContactOut, responses=error_responses(404, 422)
)
def update_contact(
    contact_id: RowId, payload: ContactPatch, request: Request, actor: ApiActor
) -> ContactOut:
    """Change the fields sent (only those)."""
    changes = payload.model_dump(include=payload.model_fields_set)
    with request_unit(request) as session:
        contact = service.update_contact(session, actor, contact_id=contact_id, changes=changes)
        return ContactOut.model_validate(contact)
