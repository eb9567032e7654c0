"""Channels, campaigns, contents and spend: the marketing side's reference data and costs.

Capture resolves sources against these rows (``leads/capture/attribution.py``, cached up to 30 s);
the reports read spend. Every change is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from closeloop.access.actor import READ, WRITE, Actor
from closeloop.access.audit import record_row_change, snapshot
from closeloop.access.policy import Area, require
from closeloop.db.cursor import Page, paginate
from closeloop.errors import Conflict, Invalid, NotFound
from closeloop.i18n import N_
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

_ENTITY = {Channel: "channel", Campaign: "campaign", Content: "content", SpendEntry: "spend"}
_NOT_FOUND = {
    Channel: N_("channel %(id)s not found"),
    Campaign: N_("campaign %(id)s not found"),
    Content: N_("content %(id)s not found"),
    SpendEntry: N_("spend %(id)s not found"),
}
_NO_SUCH = {
    Channel: N_("no channel %(id)s"),
    Campaign: N_("no campaign %(id)s"),
    Content: N_("no content %(id)s"),
    SpendEntry: N_("no spend %(id)s"),
}


def clean_text(value: Any) -> Any:
    return (value.strip() or None) if isinstance(value, str) else value


def list_page(
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
        raise NotFound(_NOT_FOUND[model], id=row_id)
    return row


def reference(session: Session, model: type[Row], row_id: int, field: str) -> Row:
    """The row ``row_id`` refers to, or ``Invalid`` at ``field``."""
    # No autoflush: the row pointing at it may already hold the id, and flushing it first would
    # fail on the foreign key before this check could answer 422.
    with session.no_autoflush:
        row = session.get(model, row_id)
    if row is None:
        raise Invalid(_NO_SUCH[model], field=field, id=row_id)
    return row


def audit(
    session: Session,
    actor: Actor,
    row: Any,
    fields: tuple[str, ...],
    action: str,
    before: dict[str, Any] | None = None,
) -> None:
    record_row_change(
        session, actor, row, entity=_ENTITY[type(row)], fields=fields, action=action, before=before
    )


def ensure_unique(
    session: Session, statement: Select[Any], message: str, field: str, **values: Any
) -> None:
    """``Conflict(message, field=field, **values)`` if ``statement`` finds a row."""
    # No autoflush: the row being checked may already carry the new value, and flushing it
    # first would hit the unique index (a database error) before this check could answer 409.
    with session.no_autoflush:
        taken = session.scalar(select(func.count()).select_from(statement.subquery()))
    if taken:
        raise Conflict(message, field=field, **values)


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
    return list_page(session, statement, Channel, sort, descending, limit, cursor)


def _required(row: Any, fields: tuple[str, ...]) -> None:
    """Text that cleaning emptied (only spaces, say) is as missing as no text at all."""
    for name in fields:
        if not getattr(row, name):
            raise Invalid(N_("cannot be empty"), field=name)


def _check_channel(session: Session, channel: Channel) -> None:
    _required(channel, ("code", "name", "kind"))
    others = select(Channel.id).where(Channel.id != (channel.id or 0))
    ensure_unique(
        session,
        others.where(func.lower(Channel.code) == func.lower(channel.code)),
        N_("a channel with code %(code)r exists"),
        "code",
        code=channel.code,
    )
    ensure_unique(
        session,
        others.where(func.lower(Channel.name) == func.lower(channel.name)),
        N_("a channel named %(name)r exists"),
        "name",
        name=channel.name,
    )


def create_channel(session: Session, actor: Actor, *, values: Mapping[str, Any]) -> Channel:
    """A new channel; code and name are unique (any case)."""
    require(actor, Area.MARKETING, WRITE)
    channel = Channel(**{name: clean_text(values.get(name)) for name in CHANNEL_FIELDS})
    _check_channel(session, channel)
    session.add(channel)
    audit(session, actor, channel, CHANNEL_FIELDS, "create")
    return channel


def update_channel(
    session: Session, actor: Actor, *, channel_id: int, changes: Mapping[str, Any]
) -> Channel:
    channel = get_row(session, actor, Channel, channel_id)
    require(actor, Area.MARKETING, WRITE)
    before = snapshot(channel, CHANNEL_FIELDS)
    for name, value in changes.items():
        if value is None and name in ("code", "name", "kind"):
            raise Invalid(N_("cannot be empty"), field=name)
        setattr(channel, name, clean_text(value))
    _check_channel(session, channel)
    audit(session, actor, channel, CHANNEL_FIELDS, "update", before)
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
    return list_page(session, statement, Campaign, sort, descending, limit, cursor)


def _check_campaign(session: Session, campaign: Campaign) -> None:
    _required(campaign, ("code", "name"))
    if campaign.starts_on and campaign.ends_on and campaign.starts_on > campaign.ends_on:
        raise Invalid(N_("ends before it starts"), field="ends_on")
    ensure_unique(
        session,
        select(Campaign.id).where(
            Campaign.id != (campaign.id or 0),
            Campaign.channel_id == campaign.channel_id,
            func.lower(Campaign.code) == func.lower(campaign.code),
        ),
        N_("the channel has a campaign with code %(code)r"),
        "code",
        code=campaign.code,
    )


def create_campaign(session: Session, actor: Actor, *, values: Mapping[str, Any]) -> Campaign:
    """A new campaign of a channel; its code is unique within the channel."""
    require(actor, Area.MARKETING, WRITE)
    reference(session, Channel, values["channel_id"], "channel_id")
    currency = values["currency"]
    budget = values.get("budget")
    campaign = Campaign(
        channel_id=values["channel_id"],
        code=clean_text(values["code"]),
        name=clean_text(values["name"]),
        utm_campaign=clean_text(values.get("utm_campaign")),
        starts_on=values.get("starts_on"),
        ends_on=values.get("ends_on"),
        budget_minor=None if budget is None else exact_minor(budget, currency, field="budget"),
        currency=currency,
    )
    _check_campaign(session, campaign)
    session.add(campaign)
    audit(session, actor, campaign, CAMPAIGN_FIELDS, "create")
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
            raise Invalid(N_("cannot be empty"), field=name)
        setattr(campaign, name, clean_text(value))
    if "currency" in changes:
        if changes["currency"] is None:
            raise Invalid(N_("cannot be empty"), field="currency")
        campaign.currency = changes["currency"]
    budget = changes["budget"] if "budget" in changes else campaign_budget(campaign)
    campaign.budget_minor = (
        None if budget is None else exact_minor(budget, campaign.currency, field="budget")
    )
    _check_campaign(session, campaign)
    audit(session, actor, campaign, CAMPAIGN_FIELDS, "update", before)
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
    return list_page(session, statement, Content, sort, descending, limit, cursor)


def _check_content(session: Session, content: Content) -> None:
    _required(content, ("code", "name", "kind"))
    ensure_unique(
        session,
        select(Content.id).where(
            Content.id != (content.id or 0),
            Content.campaign_id == content.campaign_id,
            func.lower(Content.code) == func.lower(content.code),
        ),
        N_("the campaign has a content with code %(code)r"),
        "code",
        code=content.code,
    )


def create_content(session: Session, actor: Actor, *, values: Mapping[str, Any]) -> Content:
    """A new content of a campaign; its code is unique within the campaign."""
    require(actor, Area.MARKETING, WRITE)
    reference(session, Campaign, values["campaign_id"], "campaign_id")
    content = Content(**{name: clean_text(values.get(name)) for name in CONTENT_FIELDS})
    _check_content(session, content)
    session.add(content)
    audit(session, actor, content, CONTENT_FIELDS, "create")
    return content


def update_content(
    session: Session, actor: Actor, *, content_id: int, changes: Mapping[str, Any]
) -> Content:
    content = get_row(session, actor, Content, content_id)
    require(actor, Area.MARKETING, WRITE)
    before = snapshot(content, CONTENT_FIELDS)
    for name, value in changes.items():
        if value is None and name in ("code", "name", "kind"):
            raise Invalid(N_("cannot be empty"), field=name)
        setattr(content, name, clean_text(value))
    _check_content(session, content)
    audit(session, actor, content, CONTENT_FIELDS, "update", before)
    return content
