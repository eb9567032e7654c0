"""Settings → spend: book money against a channel (and a campaign and content of it) for a day,
in the organization's currency, and the recent entries with filters. The amount is read as a
``Decimal`` by the API's schema and made exact by the spend service — never a float."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.policy import Area
from closeloop.db.engine import unit_of_work
from closeloop.errors import Invalid
from closeloop.marketing import spend
from closeloop.marketing.schemas import SpendIn
from closeloop.money import from_minor
from closeloop.web.auth import PageActor
from closeloop.web.settings.common import FormData, page_of, section_page, submit, validated
from closeloop.web.settings.marketing_pages import all_campaigns, all_channels, all_contents, as_id

router = APIRouter(include_in_schema=False)

SPEND_FORM = ("spent_on", "amount", "channel_id", "campaign_id", "content_id", "note")
RECENT = 50


def _date(text: str | None, name: str, errors: dict[str, str], fmt: Any) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = fmt.gettext("Enter a date as YYYY-MM-DD.")
        return None


def _spend_page(
    request: Request,
    actor: Actor,
    query: Mapping[str, str],
    *,
    form: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    fmt, _ = page_of(request, actor)
    filter_errors: dict[str, str] = {}
    filters = spend.SpendFilters(
        channel_id=as_id(query.get("channel")),
        campaign_id=as_id(query.get("campaign")),
        spent_from=_date(query.get("from"), "from", filter_errors, fmt),
        spent_to=_date(query.get("to"), "to", filter_errors, fmt),
    )
    with unit_of_work(request.app.state.engine) as session:
        channels = all_channels(session, actor)
        campaigns = all_campaigns(session, actor)
        contents = all_contents(session, actor, None)
        try:
            entries = list(_recent(session, actor, filters))
        except Invalid as error:  # from after to
            filter_errors["from"] = error.translated(fmt.gettext)
            entries = []
    channel_names = {c.id: c.name for c in channels}
    campaign_names = {c.id: c.name for c in campaigns}
    content_names = {c.id: c.name for c in contents}
    rows = [
        {
            "entry": entry,
            "amount": fmt.money(from_minor(entry.amount_minor, entry.currency), entry.currency),
            "channel": channel_names.get(entry.channel_id, f"#{entry.channel_id}"),
            "campaign": campaign_names.get(entry.campaign_id) if entry.campaign_id else "",
            "content": content_names.get(entry.content_id) if entry.content_id else "",
        }
        for entry in entries
    ]
    today = date.today().isoformat()
    return section_page(
        request, actor, "spend", "settings_spend.html",
        status_code=422 if errors else 200, rows=rows, form=form or {"spent_on": today},
        errors=errors or {}, query=query, filter_errors=filter_errors,
        currency=str(request.app.state.settings.currency),
        channels=[(c.id, c.name) for c in channels],
        campaigns=[(c.id, f"{channel_names.get(c.channel_id, '?')} › {c.name}") for c in campaigns],
        contents=[(c.id, f"{campaign_names.get(c.campaign_id, '?')} › {c.name}") for c in contents],
    )  # fmt: skip


def _recent(session: Session, actor: Actor, filters: spend.SpendFilters) -> Any:
    return spend.list_spend(
        session, actor, filters=filters, sort=spend.SPEND_SORTS["spent_on"], descending=True,
        limit=RECENT, cursor=None,
    ).items  # fmt: skip


@router.get("/settings/spend", response_class=HTMLResponse)
def spend_page(request: Request, actor: PageActor) -> Response:
    """The spend form and the most recent entries (by day, newest first), with filters."""
    query = {
        k: v.strip()
        for k, v in request.query_params.items()
        if k in ("channel", "campaign", "from", "to")
    }
    return _spend_page(request, actor, query)


@router.post("/settings/spend")
def create_spend(request: Request, actor: PageActor, form: FormData) -> Response:
    fmt, _ = page_of(request, actor)
    currency = str(request.app.state.settings.currency)

    def work(session: Session) -> str:
        values = {k: form.get(k, "") for k in SPEND_FORM}
        checked = validated(SpendIn, {**values, "currency": currency}, fmt)
        entry = spend.create_spend(session, actor, values=checked.model_dump())
        amount = fmt.money(from_minor(entry.amount_minor, entry.currency), entry.currency)
        return _(
            "Spend of %(amount)s on %(day)s booked.", amount=amount, day=fmt.date(entry.spent_on)
        )

    return submit(
        request, actor, form, Area.MARKETING, work, done="/settings/spend",
        again=lambda errors: _spend_page(request, actor, {}, form=form, errors=errors),
        fields=set(SPEND_FORM),
    )  # fmt: skip
