"""Spend: money booked against a channel, campaign or content for a day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from closeloop.access.actor import READ, WRITE, Actor
from closeloop.access.audit import record_change, snapshot
from closeloop.access.policy import Area, require
from closeloop.db.cursor import Page
from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.marketing.service import (
    audit,
    clean_text,
    get_row,
    list_page,
    reference,
)
from closeloop.models import Campaign, Channel, Content, SpendEntry
from closeloop.money import exact_minor, from_minor

SPEND_FIELDS = (
    "spent_on",
    "amount_minor",
    "currency",
    "channel_id",
    "campaign_id",
    "content_id",
    "note",
)
SPEND_SORTS: Mapping[str, ColumnElement[Any]] = {
    "id": SpendEntry.id,  # type: ignore[dict-item]
    "spent_on": SpendEntry.spent_on,  # type: ignore[dict-item]
    "amount": SpendEntry.amount_minor,  # type: ignore[dict-item]
}


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
        raise Invalid(N_("must not be after to"), field="query.from")
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
    return list_page(session, statement, SpendEntry, sort, descending, limit, cursor)


def _place_spend(session: Session, entry: SpendEntry) -> None:
    """The channel, campaign and content must exist and nest (a content's campaign is implied)."""
    reference(session, Channel, entry.channel_id, "channel_id")
    if entry.content_id is not None:
        content = reference(session, Content, entry.content_id, "content_id")
        if entry.campaign_id is None:
            entry.campaign_id = content.campaign_id
        elif content.campaign_id != entry.campaign_id:
            raise Invalid(
                N_("content %(content)s is not of campaign %(campaign)s"),
                field="content_id",
                content=content.id,
                campaign=entry.campaign_id,
            )
    if entry.campaign_id is not None:
        campaign = reference(session, Campaign, entry.campaign_id, "campaign_id")
        if campaign.channel_id != entry.channel_id:
            raise Invalid(
                N_("campaign %(campaign)s is not of channel %(channel)s"),
                field="campaign_id",
                campaign=campaign.id,
                channel=entry.channel_id,
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
        note=clean_text(values.get("note")),
    )
    _place_spend(session, entry)
    session.add(entry)
    audit(session, actor, entry, SPEND_FIELDS, "create")
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
            setattr(entry, name, clean_text(changes[name]))
    if "amount" in changes or "currency" in changes:
        amount = changes.get("amount")
        if amount is None:
            if "amount" in changes:
                raise Invalid("cannot be empty", field="amount")
            amount = from_minor(before["amount_minor"], before["currency"])
        entry.amount_minor = exact_minor(amount, entry.currency, field="amount")
    _place_spend(session, entry)
    audit(session, actor, entry, SPEND_FIELDS, "update", before)
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
