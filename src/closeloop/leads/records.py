"""Leads as records people work with: list, read, enter by hand, edit, and move through
the state machine — each for an actor, within what they may see, and audited.

The transitions (claim, accept, assign …) are in ``records_transitions.py``, tags in
``lead_tags.py``. The caller's
transaction must have begun with ``closeloop.db.locks.begin_writing`` for changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, or_, select
from sqlalchemy.orm import Session

from closeloop.access.actor import WRITE, Actor
from closeloop.access.audit import record_change, snapshot
from closeloop.access.policy import Area, require
from closeloop.access.visibility import OWN_ROWS, get_readable, readable
from closeloop.db.cursor import Page, paginate
from closeloop.db.types import UTCDateTime
from closeloop.errors import Conflict, Forbidden, Invalid
from closeloop.i18n import N_
from closeloop.leads.capture.normalize import (
    NormalizationError,
    clean_email,
    clean_name,
    clean_region,
    clean_text,
    company_key,
    parse_phone,
)
from closeloop.leads.qualify import qualify_lead
from closeloop.leads.routing import repository as routing_repo
from closeloop.leads.sla import clock as sla_clock
from closeloop.models import (
    Campaign,
    Channel,
    Content,
    Lead,
    LeadStatus,
    LeadStatusChange,
    Role,
    Tag,
    lead_tags,
)

# Fields a person may edit; capture owns the rest (source, scores, clocks, milestones).
EDITABLE = (
    "full_name",
    "email",
    "phone",
    "company",
    "title",
    "industry",
    "company_size",
    "region",
    "city",
    "notes",
)
AUDITED = (*EDITABLE, "company_key")
TRANSITION_FIELDS = ("status", "owner_id", "team_id")
# A missing SLA deadline sorts after every real one (keyset pages need a non-NULL sort value).
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)

SORTABLE: dict[str, Any] = {
    "score": Lead.score,
    "created_at": Lead.created_at,
    "id": Lead.id,
    "sla_due_at": func.coalesce(Lead.sla_due_at, literal(NO_DEADLINE, UTCDateTime())),
}
DEFAULT_SORT = "-created_at"


@dataclass(frozen=True)
class LeadFilters:
    statuses: tuple[str, ...] = ()
    owner_id: int | None = None
    team_id: int | None = None
    channel_id: int | None = None
    campaign_id: int | None = None
    content_id: int | None = None
    min_score: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    q: str | None = None
    tag: str | None = None


def inbox_filters(
    actor: Actor, status: str | None, q: str | None, min_score: int | None
) -> LeadFilters:
    """An inbox: a rep's or SDR's own open leads, a manager's team's, everyone's for the rest."""
    owner_id = team_id = None
    if actor.role in OWN_ROWS:
        owner_id = actor.user_id if actor.user_id is not None else -1
    elif actor.role == Role.SALES_MANAGER:
        team_id = actor.team_id if actor.team_id is not None else -1
    # Open leads someone works: the pool has its own page, nurture is marketing's again.
    statuses = (status,) if status else routing_repo.ASSIGNABLE
    return LeadFilters(
        statuses=tuple(statuses), owner_id=owner_id, team_id=team_id, min_score=min_score, q=q
    )


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def _search(q: str) -> ColumnElement[bool]:
    """Name, e-mail or company starting with ``q`` — prefix matches, which indexes can serve."""
    text = (clean_text(q) or "").lower()
    pattern = text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
    if "@" in text:
        return Lead.email.like(pattern, escape="\\")
    conditions = [
        func.lower(Lead.full_name).like(pattern, escape="\\"),
        Lead.email.like(pattern, escape="\\"),
    ]
    key = company_key(text)
    if key:
        key_pattern = key.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        conditions.append(Lead.company_key.like(key_pattern, escape="\\"))
    return or_(*conditions)


def lead_list_query(actor: Actor, filters: LeadFilters) -> Select[tuple[Lead]]:
    """The leads the actor may see that match ``filters`` (unordered)."""
    statement = readable(actor, Lead)
    for name in ("q", "tag"):
        if "\x00" in (getattr(filters, name) or ""):
            raise Invalid(N_("contains a NUL character"), field=f"query.{name}")
    known = [s.value for s in LeadStatus]
    for status in filters.statuses:
        if status not in known:
            names = ", ".join(known)
            raise Invalid(
                N_("unknown status %(status)r (one of %(names)s)"),
                field="query.status",
                status=status,
                names=names,
            )
    if filters.statuses:
        statement = statement.where(Lead.status.in_(filters.statuses))
    for name in ("owner_id", "team_id", "channel_id", "campaign_id", "content_id"):
        value = getattr(filters, name)
        if value is not None:
            statement = statement.where(getattr(Lead, name) == value)
    if filters.min_score is not None:
        statement = statement.where(Lead.score >= filters.min_score)
    if filters.created_from and filters.created_to and filters.created_from > filters.created_to:
        raise Invalid(N_("must not be before created_from"), field="query.created_to")
    if filters.created_from:
        statement = statement.where(Lead.created_at >= day_start(filters.created_from))
    if filters.created_to:
        end = day_start(filters.created_to + timedelta(days=1))
        statement = statement.where(Lead.created_at < end)
    if filters.q and clean_text(filters.q):
        statement = statement.where(_search(filters.q))
    if filters.tag:
        tagged = (
            select(lead_tags.c.lead_id)
            .join(Tag, Tag.id == lead_tags.c.tag_id)
            .where(func.lower(Tag.name) == func.lower(filters.tag.strip()))
        )
        statement = statement.where(Lead.id.in_(tagged))
    return statement


def list_leads(
    session: Session,
    actor: Actor,
    filters: LeadFilters,
    *,
    sort: str | None,
    limit: int,
    cursor: str | None,
) -> Page[Lead]:
    """One page of the leads the actor may see, filtered and sorted (ties by id)."""
    from closeloop.web.listing import sort_order

    column, descending = sort_order(sort, SORTABLE, DEFAULT_SORT)
    statement = lead_list_query(actor, filters)
    return paginate(
        session,
        statement,
        sort=column,
        id_column=Lead.__table__.c.id,
        descending=descending,
        limit=limit,
        cursor=cursor,
    )


def get_lead(session: Session, actor: Actor, lead_id: int) -> Lead:
    """One lead the actor may see (404 otherwise)."""
    return get_readable(session, actor, Lead, lead_id)


def changeable_lead(session: Session, actor: Actor, lead_id: int) -> Lead:
    """A lead the actor may change: a rep or SDR only their own, a manager the team's."""
    require(actor, Area.LEADS, WRITE)
    lead = get_readable(session, actor, Lead, lead_id)
    if actor.role in OWN_ROWS and lead.owner_id != actor.user_id:
        raise Forbidden(N_("lead %(lead_id)s is not yours: claim it first"), lead_id=lead_id)
    return lead


# ---- entering and editing --------------------------------------------------------------------


def _cleaned(values: dict[str, Any], default_region: str | None) -> dict[str, Any]:
    """Values cleaned as capture cleans them; ``Invalid`` names the field (``body.…``)."""
    out: dict[str, Any] = {}
    cleaners: dict[str, Callable[[Any], Any]] = {
        "full_name": clean_name,
        "email": clean_email,
        "region": clean_region,
        "phone": lambda v: (parse_phone(v, default_region) or (None,))[0],
    }
    for name, value in values.items():
        try:
            if name in cleaners:
                out[name] = cleaners[name](value)
            elif name == "company_size":
                out[name] = value
            else:
                out[name] = clean_text(value)
        except NormalizationError as error:
            raise Invalid(error.template, field=f"body.{name}", **error.values) from None
    if "company" in out:
        out["company_key"] = company_key(out["company"])
    return out


def _check_reachable(values: dict[str, Any]) -> None:
    if not values.get("email") and not values.get("phone"):
        raise Invalid(
            N_("a lead needs an e-mail or a phone to reach the person"), field="body.email"
        )


_EXISTS = {
    "email": N_("a lead with this email exists already"),
    "phone": N_("a lead with this phone exists already"),
}


def _check_unique(session: Session, values: dict[str, Any], lead_id: int | None) -> None:
    """No second lead for a person we already have (capture would merge; by hand we refuse)."""
    for name in ("email", "phone"):
        if not values.get(name):
            continue
        column = getattr(Lead, name)
        statement = select(Lead.id).where(column == values[name], Lead.merged_into_id.is_(None))
        if lead_id is not None:
            statement = statement.where(Lead.id != lead_id)
        if session.scalars(statement.limit(1)).first() is not None:
            raise Conflict(_EXISTS[name], field=f"body.{name}")


def _source(session: Session, values: dict[str, Any]) -> dict[str, int | None]:
    """Channel, campaign and content, completed upwards (a content implies its campaign…)."""
    channel_id, campaign_id, content_id = (
        values.get("channel_id"),
        values.get("campaign_id"),
        values.get("content_id"),
    )
    if content_id is not None:
        content = session.get(Content, content_id)
        if content is None:
            raise Invalid(N_("no content %(id)s"), field="body.content_id", id=content_id)
        if campaign_id is not None and campaign_id != content.campaign_id:
            raise Invalid(N_("the content belongs to another campaign"), field="body.campaign_id")
        campaign_id = content.campaign_id
    if campaign_id is not None:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise Invalid(N_("no campaign %(id)s"), field="body.campaign_id", id=campaign_id)
        if channel_id is not None and channel_id != campaign.channel_id:
            raise Invalid(N_("the campaign belongs to another channel"), field="body.channel_id")
        channel_id = campaign.channel_id
    if channel_id is not None and session.get(Channel, channel_id) is None:
        raise Invalid(N_("no channel %(id)s"), field="body.channel_id", id=channel_id)
    return {"channel_id": channel_id, "campaign_id": campaign_id, "content_id": content_id}


def create_lead(
    session: Session, actor: Actor, *, values: dict[str, Any], default_region: str | None, at: Any
) -> Lead:
    """A lead entered by hand: cleaned like a captured one, scored, and routed unless a rep
    entered it (then it is theirs, with the first-contact clock running)."""
    require(actor, Area.LEADS, WRITE)
    source = _source(session, values)
    person = _cleaned({k: v for k, v in values.items() if k in EDITABLE}, default_region)
    _check_reachable(person)
    _check_unique(session, person, None)
    lead = Lead(**person, **source, status=LeadStatus.NEW.value, created_at=at)
    if actor.role in OWN_ROWS and actor.user_id is not None:
        lead.owner_id, lead.team_id, lead.assigned_at = actor.user_id, actor.team_id, at
    session.add(lead)
    session.flush()
    session.add(
        LeadStatusChange(
            lead_id=lead.id,
            to_status=LeadStatus.NEW.value,
            changed_at=at,
            changed_by_id=actor.user_id,
            reason="entered by hand",
        )
    )
    if lead.owner_id is not None:
        sla_clock.on_assigned(session, lead_ids=[lead.id], at=at)
    qualify_lead(session, lead_id=lead.id, at=at)
    session.flush()
    session.refresh(lead)
    record_change(
        session,
        actor,
        entity="lead",
        entity_id=lead.id,
        action="create",
        after=snapshot(lead, (*AUDITED, *TRANSITION_FIELDS, "channel_id")),
    )
    return lead


def update_lead(
    session: Session,
    actor: Actor,
    *,
    lead_id: int,
    changes: dict[str, Any],
    default_region: str | None,
    fallback_region: str | None = None,
) -> Lead:
    """Change the editable fields sent, cleaned as at capture; audited with before and after."""
    lead = changeable_lead(session, actor, lead_id)
    before = snapshot(lead, AUDITED)
    # A national phone number means: the country sent with it, else the lead's, else ours.
    cleaned = _cleaned(changes, default_region or lead.region or fallback_region)
    if "email" in cleaned or "phone" in cleaned:
        _check_reachable({**before, **cleaned})
        _check_unique(session, cleaned, lead.id)
    for name, value in cleaned.items():
        setattr(lead, name, value)
    session.flush()
    record_change(
        session,
        actor,
        entity="lead",
        entity_id=lead.id,
        action="update",
        before=before,
        after=snapshot(lead, AUDITED),
    )
    return lead
