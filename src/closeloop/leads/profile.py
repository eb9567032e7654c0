"""One lead with what its 360° page shows next to its fields: source names, owner, team, tags,
its account and its timeline — each read within what the actor may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.policy import Area, allowed
from closeloop.access.visibility import account_condition
from closeloop.accounts.timeline import TimelineEntry, lead_timeline
from closeloop.leads import records
from closeloop.leads.lead_tags import tags_of
from closeloop.models import Account, Campaign, Channel, Content, Lead, Team, User


@dataclass(frozen=True)
class LeadProfile:
    lead: Lead
    channel: str | None
    campaign: str | None
    content: str | None
    owner: str | None
    team: str | None
    tags: list[str]
    account: Account | None  # only when the actor may see it
    timeline: list[TimelineEntry]  # oldest first


def _name(session: Session, column: object, key: object, row_id: int | None) -> str | None:
    if row_id is None:
        return None
    return session.scalar(select(column).where(key == row_id))  # type: ignore[call-overload]


def lead_profile(session: Session, actor: Actor, lead_id: int) -> LeadProfile:
    """The lead (404 unless the actor may see it), its source, people, tags and timeline."""
    lead = records.get_lead(session, actor, lead_id)
    account = None
    if lead.account_id is not None and allowed(actor, Area.ACCOUNTS):
        account = session.scalars(
            select(Account).where(Account.id == lead.account_id, account_condition(actor))
        ).first()
    return LeadProfile(
        lead=lead,
        channel=_name(session, Channel.name, Channel.id, lead.channel_id),
        campaign=_name(session, Campaign.name, Campaign.id, lead.campaign_id),
        content=_name(session, Content.name, Content.id, lead.content_id),
        owner=_name(session, User.full_name, User.id, lead.owner_id),
        team=_name(session, Team.name, Team.id, lead.team_id),
        tags=tags_of(session, lead.id),
        account=account,
        timeline=lead_timeline(session, actor, lead.id),
    )
