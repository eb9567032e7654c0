"""The lead part of a timeline: its creation, touches, status changes and decisions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.visibility import lead_condition
from closeloop.accounts.timeline.entry import TimelineEntry
from closeloop.leads.history import _in_words
from closeloop.models import (
    Campaign,
    Channel,
    Content,
    Lead,
    LeadDecision,
    LeadStatusChange,
    Touch,
    User,
)


def names_of(
    session: Session, model: type[Channel] | type[Campaign] | type[Content], ids: set[int]
) -> dict[int | None, str]:
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def lead_entries(session: Session, actor: Actor, lead_ids: set[int]) -> list[TimelineEntry]:
    if not lead_ids:
        return []
    leads = list(session.scalars(select(Lead).where(Lead.id.in_(lead_ids), lead_condition(actor))))
    ids = [lead.id for lead in leads]
    if not ids:
        return []
    touches = list(session.scalars(select(Touch).where(Touch.lead_id.in_(ids))))
    changes = list(
        session.scalars(select(LeadStatusChange).where(LeadStatusChange.lead_id.in_(ids)))
    )
    decisions = list(session.scalars(select(LeadDecision).where(LeadDecision.lead_id.in_(ids))))
    channels = names_of(
        session,
        Channel,
        {t.channel_id for t in touches if t.channel_id}
        | {lead.channel_id for lead in leads if lead.channel_id},
    )
    campaigns = names_of(session, Campaign, {t.campaign_id for t in touches if t.campaign_id})
    contents = names_of(session, Content, {t.content_id for t in touches if t.content_id})
    people = {c.changed_by_id for c in changes} | {d.actor_id for d in decisions}
    for decision in decisions:
        for key, value in (decision.detail or {}).items():
            if (key.endswith("owner_id") or key == "manager_id") and isinstance(value, int):
                people.add(value)
    emails: dict[int | None, str] = dict(
        session.execute(
            select(User.id, User.email).where(User.id.in_({p for p in people if p is not None}))
        ).all()
    )

    entries = []
    for lead in leads:
        source = channels.get(lead.channel_id, "no channel") if lead.channel_id else "no channel"
        entries.append(
            TimelineEntry(
                lead.created_at,
                "lead",
                f"Lead {lead.full_name or lead.email or lead.id} created",
                f"source: {source}; now {lead.status}",
                f"lead:{lead.id}",
                {
                    "name": lead.full_name or lead.email or f"#{lead.id}",
                    "source": source,
                    "status": lead.status,
                },
            )
        )
    for touch in touches:
        where = [
            name
            for name in (
                channels.get(touch.channel_id),
                campaigns.get(touch.campaign_id),
                contents.get(touch.content_id),
            )
            if name
        ]
        detail = " / ".join(where) or "unattributed"
        if touch.form_name:
            detail += f"; form {touch.form_name}"
        entries.append(
            TimelineEntry(
                touch.occurred_at,
                "touch",
                touch.kind.replace("_", " "),
                detail,
                f"touch:{touch.id}",
                {"touch_kind": touch.kind, "where": " / ".join(where), "form": touch.form_name},
            )
        )
    for change in changes:
        by = emails.get(change.changed_by_id)
        detail = "; ".join(p for p in (change.reason, f"by {by}" if by else None) if p)
        entries.append(
            TimelineEntry(
                change.changed_at,
                "status",
                f"{change.from_status or '—'} → {change.to_status}",
                detail,
                f"lead:{change.lead_id}",
                {
                    "from": change.from_status,
                    "to": change.to_status,
                    "reason": change.reason,
                    "by": by,
                },
            )
        )
    for decision in decisions:
        detail = _in_words(decision.detail or {}, emails)
        if decision.rule:
            detail = f"{detail}; rule {decision.rule}" if detail else f"rule {decision.rule}"
        entries.append(
            TimelineEntry(
                decision.decided_at,
                decision.kind,
                decision.kind.replace("_", " "),
                detail,
                f"lead:{decision.lead_id}",
                {"rule": decision.rule, "rule_version": decision.rule_version},
            )
        )
    return entries
