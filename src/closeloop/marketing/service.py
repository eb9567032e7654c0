"""Channels, campaigns, contents and spend: the marketing side's reference data and costs.

Capture resolves sources against these rows (``leads/capture/attribution.py``, cached up to 30 s);
the reports read spend. Every change is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from closeloop.access.actor import READ, WRITE, Actor
from closeloop.access.audit import record_change, snapshot
from closeloop.access.policy import Area, require
from closeloop.db.cursor import Page, paginate
from closeloop.errors import Conflict, Invalid, NotFound
from closeloop.models import Campaign, Channel, Content, SpendEntry
from closeloop.money import exact_minor, from_minor

Row = TypeVar("Row", Channel, Campaign, Content, SpendEntry)

CHANNEL_FIELDS = ("code", "name", "kind", "utm_source", "utm_medium")
CAMPAIGN_FIELDS = (
    "channel_id",
    "code",
    "name",
    "utm_campaign",
    "starts_on",
    "ends_on",
    "budget_minor",
    "currency",
)
CONTENT_FIELDS = ("campaign_id", "code", "name", "kind", "utm_content")
SPEND_FIELDS = (
    "spent_on",
    "amount_minor",
    "currency",
    "channel_id",
    "campaign_id",
    "content_id",
    "note",
)

CHANNEL_SORTS: Mapping[str, ColumnElement[Any]] = {
    "id": Channel.id,  # type: ignore[dict-item]
    "code": Channel.code,  # type: ignore[dict-item]
    "name": Channel.name,  # type: ignore[dict-item]
}
CAMPAIGN_SORTS: Mapping[str, ColumnElement[Any]] = {
    "id": Campaign.id,  # type: ignore[dict-item]
    "code": Campaign.code,  # type: ignore[dict-item]
    "name": Campaign.name,  # type: ignore[dict-item]
}
CONTENT_SORTS: Mapping[str, ColumnElement[Any]] = {
    "id": Content.id,  # type: ignore[dict-item]
    "code": Content.code,  # type: ignore[dict-item]
    "name": Content.name,  # type: ignore[dict-item]
}
SPEND_SORTS: Mapping[str, ColumnElement[Any]] = {
    "id": SpendEntry.id,  # type: ignore[dict-item]
    "spent_on": SpendEntry.spent_on,  # type: ignore[dict-item]
    "amount": SpendEntry.amount_minor,  # type: ignore[dict-item]
}

_ENTITY = {Channel: "channel", Campaign: "campaign", Content: "content", SpendEntry: "spend"}


def _text(value: Any) -> Any:
    return (value.strip() or None) if isinstance(value, str) else value


def _page(
    session: Session,
    statement: Select[Any],
    model: type[Row],
    sort: ColumnElement[Any],
    descending: bool,
    limit: int,
    cursor: str | None,
) -> Page[Row]:
    return paginate(
        session,
        statement,
        sort=sort,
        id_column=model.id,  # type: ignore[arg-type]
        descending=descending,
        limit=limit,
        cursor=cursor,
    )


def get_row(session: Session, actor: Actor, model: type[Row], row_id: int) -> Row:
    """One channel, campaign, content or spend entry (404 if there is none)."""
    require(actor, Area.MARKETING, READ)
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{_ENTITY[model]} {row_id} not found")
    return row


def _reference(session: Session, model: type[Row], row_id: int, field: str) -> Row:
    row = session.get(model, row_id)
    if row is None:
        raise Invalid(f"no {_ENTITY[model]} {row_id}", field=field)
    return row


def _audit(
    session: Session,
    actor: Actor,
    row: Any,
    fields: tuple[str, ...],
    action: str,
    before: dict[str, Any] | None = None,
) -> None:
    session.flush()
    record_change(
        session,
        actor,
        entity=_ENTITY[type(row)],
        entity_id=row.id,
        action=action,
        before=before,
        after=snapshot(row, fields) if action != "delete" else None,
    )


def _unique(session: Session, statement: Select[Any], message: str, field: str) -> None:
    if session.scalar(select(func.count()).select_from(statement.subquery())):
        raise Conflict(message, field=field)


# ---- channels ----------------------------------------------------------------------------------


def list_channels(
    session: Session,
    actor: Actor,
    *,
    kind: str | None,
    sort: ColumnElement[Any],
    descending: bool,
    limit: int,
    cursor: str | None,
) -> Page[Channel]:
    require(actor, Area.MARKETING, READ)
    statement = select(Channel)
    if kind:
        statement = statement.where(Channel.kind == kind)
    return _page(session, statement, Channel, sort, descending, limit, cursor)


def _check_channel(session: Session, channel: Channel) -> None:
    others = select(Channel.id).where(Channel.id != (channel.id or 0))
    _unique(
        session,
        others.where(func.lower(Channel.code) == channel.code.lower()),
        f"a channel with code {channel.code!r} exists",
        "code",
    )
    _unique(
        session,
        others.where(func.lower(Channel.name) == channel.name.lower()),
        f"a channel named {channel.name!r} exists",
        "name",
    )


def create_channel(session: Session, actor: Actor, *, values: Mapping[str, Any]) -> Channel:
    """A new channel; code and name are unique (any case)."""
    require(actor, Area.MARKETING, WRITE)
    channel = Channel(**{name: _text(values.get(name)) for name in CHANNEL_FIELDS})
    _check_channel(session, channel)
    session.add(channel)
    _audit(session, actor, channel, CHANNEL_FIELDS, "create")
    return channel


def update_channel(
    session: Session, actor: Actor, *, channel_id: int, changes: Mapping[str, Any]
) -> Channel:
    channel = get_row(session, actor, Channel, channel_id)
    require(actor, Area.MARKETING, WRITE)
    before = snapshot(channel, CHANNEL_FIELDS)
    for name, value in changes.items():
        if value is None and name in ("code", "name", "kind"):
            raise Invalid("cannot be empty", field=name)
        setattr(channel, name, _text(value))
    _check_channel(session, channel)
    _audit(session, actor, channel, CHANNEL_FIELDS, "update", before)
    return channel


# ---- campaigns ---------------------------------------------------------------------------------


def list_campaigns(
    session: Session,
    actor: Actor,
    *,
    channel_id: int | None,
    sort: ColumnElement[Any],
    descending: bool,
    limit: int,
    cursor: str | None,
) -> Page[Campaign]:
    require(actor, Area.MARKETING, READ)
    statement = select(Campaign)
    if channel_id is not None:
        statement = statement.where(Campaign.channel_id == channel_id)
    return _page(session, statement, Campaign, sort, descending, limit, cursor)


def _check_campaign(session: Session, campaign: Campaign) -> None:
    if campaign.starts_on and campaign.ends_on and campaign.starts_on > campaign.ends_on:
        raise Invalid("ends before it starts", field="ends_on")
    _unique(
        session,
        select(Campaign.id).where(
            Campaign.id != (campaign.id or 0),
            Campaign.channel_id == campaign.channel_id,
            func.lower(Campaign.code) == campaign.code.lower(),
        ),
        f"the channel has a campaign with code {campaign.code!r}",
        "code",
    )


def create_campaign(session: Session, actor: Actor, *, values: Mapping[str, Any]) -> Campaign:
    """A new campaign of a channel; its code is unique within the channel."""
    require(actor, Area.MARKETING, WRITE)
    _reference(session, Channel, values["channel_id"], "channel_id")
    currency = values["currency"]
    budget = values.get("budget")
    campaign = Campaign(
        channel_id=values["channel_id"],
        code=_text(values["code"]),
        name=_text(values["name"]),
        utm_campaign=_text(values.get("utm_campaign")),
        starts_on=values.get("starts_on"),
        ends_on=values.get("ends_on"),
        budget_minor=None if budget is None else exact_minor(budget, currency, field="budget"),
        currency=currency,
    )
    _check_campaign(session, campaign)
    session.add(campaign)
    _audit(session, actor, campaign, CAMPAIGN_FIELDS, "create")
    return campaign


def update_campaign(
    session: Session, actor: Actor, *, campaign_id: int, changes: Mapping[str, Any]
) -> Campaign:
    campaign = get_row(session, actor, Campaign, campaign_id)
    require(actor, Area.MARKETING, WRITE)
    before = snapshot(campaign, CAMPAIGN_FIELDS)
    for name, value in changes.items():
        if name in ("budget", "currency"):
            continue
        if value is None and name in ("code", "name"):
            raise Invalid("cannot be empty", field=name)
        setattr(campaign, name, _text(value))
    if "currency" in changes:
        if changes["currency"] is None:
            raise Invalid("cannot be empty", field="currency")
        campaign.currency = changes["currency"]
    budget = changes["budget"] if "budget" in changes else campaign_budget(campaign)
    campaign.budget_minor = (
        None if budget is None else exact_minor(budget, campaign.currency, field="budget")
    )
    _check_campaign(session, campaign)
    _audit(session, actor, campaign, CAMPAIGN_FIELDS, "update", before)
    return campaign


def campaign_budget(campaign: Campaign) -> Any:
    """The planned spend as a Decimal, or None."""
    if campaign.budget_minor is None:
        return None
    return from_minor(campaign.budget_minor, campaign.currency)


# ---- contents ----------------------------------------------------------------------------------


def list_contents(
    session: Session,
    actor: Actor,
    *,
    campaign_id: int | None,
    sort: ColumnElement[Any],
    descending: bool,
    limit: int,
    cursor: str | None,
) -> Page[Content]:
    require(actor, Area.MARKETING, READ)
    statement = select(Content)
    if campaign_id is not None:
        statement = statement.where(Content.campaign_id == campaign_id)
    return _page(session, statement, Content, sort, descending, limit, cursor)


def _check_content(session: Session, content: Content) -> None:
    _unique(
        session,
        select(Content.id).where(
            Content.id != (content.id or 0),
            Content.campaign_id == content.campaign_id,
            func.lower(Content.code) == content.code.lower(),
        ),
        f"the campaign has a content with code {content.code!r}",
        "code",
    )


def create_content(session: Session, actor: Actor, *, values: Mapping[str, Any]) -> Content:
    """A new content of a campaign; its code is unique within the campaign."""
    require(actor, Area.MARKETING, WRITE)
    _reference(session, Campaign, values["campaign_id"], "campaign_id")
    content = Content(**{name: _text(values.get(name)) for name in CONTENT_FIELDS})
    _check_content(session, content)
    session.add(content)
    _audit(session, actor, content, CONTENT_FIELDS, "create")
    return content


def update_content(
    session: Session, actor: Actor, *, content_id: int, changes: Mapping[str, Any]
) -> Content:
    content = get_row(session, actor, Content, content_id)
    require(actor, Area.MARKETING, WRITE)
    before = snapshot(content, CONTENT_FIELDS)
    for name, value in changes.items():
        if value is None and name in ("code", "name", "kind"):
            raise Invalid("cannot be empty", field=name)
        setattr(content, name, _text(value))
    _check_content(session, content)
    _audit(session, actor, content, CONTENT_FIELDS, "update", before)
    return content


# ---- spend -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendFilters:
    channel_id: int | None = None
    campaign_id: int | None = None
    content_id: int | None = None
    spent_from: date | None = None
    spent_to: date | None = None


def list_spend(
    session: Session,
    actor: Actor,
    *,
    filters: SpendFilters,
    sort: ColumnElement[Any],
    descending: bool,
    limit: int,
    cursor: str | None,
) -> Page[SpendEntry]:
    require(actor, Area.MARKETING, READ)
    if filters.spent_from and filters.spent_to and filters.spent_from > filters.spent_to:
        raise Invalid("must not be after to", field="query.from")
    statement = select(SpendEntry)
    for column, value in (
        (SpendEntry.channel_id, filters.channel_id),
        (SpendEntry.campaign_id, filters.campaign_id),
        (SpendEntry.content_id, filters.content_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if filters.spent_from:
        statement = statement.where(SpendEntry.spent_on >= filters.spent_from)
    if filters.spent_to:
        statement = statement.where(SpendEntry.spent_on <= filters.spent_to)
    return _page(session, statement, SpendEntry, sort, descending, limit, cursor)


def _place_spend(session: Session, entry: SpendEntry) -> None:
    """The channel, campaign and content must exist and nest (a content's campaign is implied)."""
    _reference(session, Channel, entry.channel_id, "channel_id")
    if entry.content_id is not None:
        content = _reference(session, Content, entry.content_id, "content_id")
        if entry.campaign_id is None:
            entry.campaign_id = content.campaign_id
        elif content.campaign_id != entry.campaign_id:
            raise Invalid(
                f"content {content.id} is not of campaign {entry.campaign_id}", field="content_id"
            )
    if entry.campaign_id is not None:
        campaign = _reference(session, Campaign, entry.campaign_id, "campaign_id")
        if campaign.channel_id != entry.channel_id:
            raise Invalid(
                f"campaign {campaign.id} is not of channel {entry.channel_id}",
                field="campaign_id",
            )


def create_spend(session: Session, actor: Actor, *, values: Mapping[str, Any]) -> SpendEntry:
    """Book spend for a day against a channel (and a campaign and content of it)."""
    require(actor, Area.MARKETING, WRITE)
    currency = values["currency"]
    entry = SpendEntry(
        spent_on=values["spent_on"],
        amount_minor=exact_minor(values["amount"], currency, field="amount"),
        currency=currency,
        channel_id=values["channel_id"],
        campaign_id=values.get("campaign_id"),
        content_id=values.get("content_id"),
        note=_text(values.get("note")),
    )
    _place_spend(session, entry)
    session.add(entry)
    _audit(session, actor, entry, SPEND_FIELDS, "create")
    return entry


def update_spend(
    session: Session, actor: Actor, *, spend_id: int, changes: Mapping[str, Any]
) -> SpendEntry:
    entry = get_row(session, actor, SpendEntry, spend_id)
    require(actor, Area.MARKETING, WRITE)
    before = snapshot(entry, SPEND_FIELDS)
    for name in ("spent_on", "channel_id", "currency"):
        if name in changes:
            if changes[name] is None:
                raise Invalid("cannot be empty", field=name)
            setattr(entry, name, changes[name])
    for name in ("campaign_id", "content_id", "note"):
        if name in changes:
            setattr(entry, name, _text(changes[name]))
    if "amount" in changes or "currency" in changes:
        amount = changes.get("amount")
        if amount is None:
            if "amount" in changes:
                raise Invalid("cannot be empty", field="amount")
            amount = from_minor(before["amount_minor"], before["currency"])
        entry.amount_minor = exact_minor(amount, entry.currency, field="amount")
    _place_spend(session, entry)
    _audit(session, actor, entry, SPEND_FIELDS, "update", before)
    return entry


def delete_spend(session: Session, actor: Actor, *, spend_id: int) -> None:
    """Remove a spend entry (a mistake); the audit log keeps what it was."""
    entry = get_row(session, actor, SpendEntry, spend_id)
    require(actor, Area.MARKETING, WRITE)
    before = snapshot(entry, SPEND_FIELDS)
    session.delete(entry)
    session.flush()
    record_change(
        session, actor, entity="spend", entity_id=spend_id, action="delete", before=before
    )
