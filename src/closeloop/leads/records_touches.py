"""A lead's touches and history, as the actor may see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.policy import Area, require
from closeloop.access.visibility import get_readable, lead_condition
from closeloop.db.cursor import Page, paginate
from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.leads.history import HistoryEntry, lead_history
from closeloop.leads.records import day_start
from closeloop.models import Lead, Touch

TOUCH_SORTABLE: dict[str, Any] = {"id": Touch.id, "occurred_at": Touch.occurred_at}


@dataclass(frozen=True)
class TouchFilters:
    lead_id: int | None = None
    channel_id: int | None = None
    campaign_id: int | None = None
    content_id: int | None = None
    kind: str | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None


def list_touches(
    session: Session,
    actor: Actor,
    filters: TouchFilters,
    *,
    sort: str | None,
    limit: int,
    cursor: str | None,
) -> Page[Touch]:
    """Touches of the leads the actor may see, filtered; newest first by default."""
    from closeloop.web.listing import sort_order

    require(actor, Area.LEADS)
    if filters.lead_id is not None:
        get_readable(session, actor, Lead, filters.lead_id)
    column, descending = sort_order(sort, TOUCH_SORTABLE, "-occurred_at")
    if "\x00" in (filters.kind or ""):
        raise Invalid(N_("contains a NUL character"), field="query.kind")
    statement = select(Touch)
    condition = lead_condition(actor)
    if not _is_true(condition):
        statement = statement.where(
            exists().where(Lead.id == Touch.lead_id, condition).correlate(Touch)
        )
    for name in ("lead_id", "channel_id", "campaign_id", "content_id", "kind"):
        value = getattr(filters, name)
        if value is not None:
            statement = statement.where(getattr(Touch, name) == value)
    start, end_day = filters.occurred_from, filters.occurred_to
    if start and end_day and start > end_day:
        raise Invalid(N_("must not be before from"), field="query.to")
    if filters.occurred_from:
        statement = statement.where(Touch.occurred_at >= day_start(filters.occurred_from))
    if filters.occurred_to:
        end = day_start(filters.occurred_to + timedelta(days=1))
        statement = statement.where(Touch.occurred_at < end)
    return paginate(
        session,
        statement,
        sort=column,
        id_column=Touch.__table__.c.id,
        descending=descending,
        limit=limit,
        cursor=cursor,
    )


def _is_true(condition: ColumnElement[bool]) -> bool:
    from sqlalchemy.sql.elements import True_

    return isinstance(condition, True_)


def history(session: Session, actor: Actor, *, lead_id: int) -> list[HistoryEntry]:
    """The lead's status changes and decisions, oldest first (404 if not readable)."""
    get_readable(session, actor, Lead, lead_id)
    return lead_history(session, lead_id=lead_id)
