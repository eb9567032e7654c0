"""The accounts list and the account 360° page, as HTML.

The pages read the accounts services (``service.list_accounts``, ``overview``, the timeline) and
change tags through ``service.set_account_tags``: who sees which account, and what the figures
mean, is decided there.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from closeloop.access.actor import WRITE
from closeloop.access.policy import Area, allowed, require
from closeloop.accounts import overview, service
from closeloop.accounts.timeline_view import shown
from closeloop.db.cursor import Page
from closeloop.db.engine import unit_of_work
from closeloop.errors import Invalid
from closeloop.labels import PAYMENT_METHOD_LABELS, label
from closeloop.leads.page_parts import CsrfField, act, here_url, pop_flash
from closeloop.models import Account
from closeloop.money import from_minor
from closeloop.web.auth import PageActor
from closeloop.web.templating import formatter, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
AccountId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(
    request: Request, actor: PageActor, q: str | None = None, cursor: str | None = None
) -> Response:
    """The accounts the actor may see, by name, with their deals, revenue and last activity."""
    require(actor, Area.ACCOUNTS)
    fmt = formatter(request, actor)
    errors: dict[str, str] = {}
    text = (q or "").strip()[:200]
    if "\x00" in text:
        errors["q"] = fmt.gettext("contains a NUL character")
        text = ""

    def page_of(session: object, after: str | None) -> Page[Account]:
        return service.list_accounts(
            session,  # type: ignore[arg-type]
            actor,
            filters=service.AccountFilters(q=text or None),
            sort=Account.name,  # type: ignore[arg-type]
            descending=False,
            limit=PAGE_SIZE,
            cursor=after,
        )

    with unit_of_work(request.app.state.engine) as session:
        try:
            page = page_of(session, cursor)
        except Invalid as error:
            errors["cursor"] = error.translated(fmt.gettext)
            page = page_of(session, None)
            cursor = None
        accounts = list(page.items)
        figures = overview.summaries(session, actor, accounts)
        tags = service.tags_of(session, [a.id for a in accounts])
    kept = {"q": text} if text else {}
    flash_text, flash_kind = pop_flash(request)
    return render(
        request,
        actor,
        "accounts_list.html",
        rows=[(a, figures[a.id], tags[a.id]) for a in accounts],
        query={"q": text},
        errors=errors,
        sees_deals=allowed(actor, Area.PIPELINE),
        revenue_from_orders=not allowed(actor, Area.PIPELINE) and allowed(actor, Area.CASH),
        next_link="/accounts?" + urlencode({**kept, "cursor": page.next_cursor})
        if page.next_cursor
        else None,
        first_link="/accounts?" + urlencode(kept) if cursor else None,
        here=here_url("/accounts", kept, cursor),
        flash=flash_text,
        flash_kind=flash_kind,
    )


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(account_id: AccountId, request: Request, actor: PageActor) -> Response:
    """One account: facts, contacts, deals, cash with what is owed, tags and the timeline."""
    require(actor, Area.ACCOUNTS)
    fmt = formatter(request, actor)
    with unit_of_work(request.app.state.engine) as session:
        found = overview.account_profile(session, actor, account_id)
        timeline = shown(fmt, found.timeline)
    flash_text, flash_kind = pop_flash(request)
    return render(
        request,
        actor,
        "account_page.html",
        p=found,
        timeline=timeline,
        money=lambda minor, currency: fmt.money(from_minor(minor, currency), currency),
        payment_method=lambda code: label(PAYMENT_METHOD_LABELS, code, fmt.gettext),
        can_tag=allowed(actor, Area.ACCOUNTS, WRITE),
        flash=flash_text,
        flash_kind=flash_kind,
    )


@router.post("/accounts/{account_id}/tags")
def change_account_tags(
    account_id: AccountId,
    request: Request,
    actor: PageActor,
    csrf_token: CsrfField = None,
    add: Annotated[str, Form(max_length=200)] = "",
    remove: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Add the tag ``add`` or remove the tag ``remove``; back to the account page."""
    fmt = formatter(request, actor)

    def work(session: Session) -> str:
        if remove:
            service.remove_account_tag(session, actor, account_id=account_id, name=remove)
            return fmt.gettext("Tag %(tag)s removed.", tag=remove)
        service.add_account_tag(session, actor, account_id=account_id, name=add)
        return fmt.gettext("Tag %(tag)s added.", tag=" ".join(add.split()))

    here = f"/accounts/{account_id}"
    return act(request, actor, csrf_token, here, here, work, area=Area.ACCOUNTS)
