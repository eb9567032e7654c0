"""The 360° timeline of an account or a lead: every touch, status change, decision, opportunity
and its stage changes, order, invoice and payment, on one list sorted by time.

Each part obeys the actor's rights: leads (and their touches and decisions) only for actors who
may see leads, and only the leads they may see; opportunities likewise; orders, invoices and
payments only for actors allowed the cash area (admin, finance). A few set-based queries per
timeline, whatever the number of leads or deals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.policy import Area, allowed
from closeloop.access.visibility import get_readable, lead_condition, opportunity_condition
from closeloop.leads.history import _in_words
from closeloop.models import (
    Account,
    Allocation,
    Campaign,
    Channel,
    Content,
    Invoice,
    Lead,
    LeadDecision,
    LeadStatusChange,
    Opportunity,
    OpportunityStageChange,
    Order,
    Payment,
    Stage,
    StageOutcome,
    Touch,
    User,
)
from closeloop.money import from_minor

# Order of entries at the same instant: the chain's own order (a lead before its status change…).
_RANK = {
    "touch": 0,
    "lead": 1,
    "status": 2,
    "opportunity": 4,
    "stage": 5,
    "won": 6,
    "lost": 6,
    "order": 7,
    "invoice": 8,
    "payment": 9,
}
_DECISION_RANK = 3


@dataclass(frozen=True)
class TimelineEntry:
    """One event: when, what kind, a title, the detail in words, and the row it is about.

    ``facts`` holds the values behind the English title and detail (name, number, amount_minor,
    currency, stage, due_on, source, status) so that a page can say them in the user's language
    and format money and dates with the locale's rules."""

    at: datetime
    kind: str
    title: str
    detail: str
    ref: str
    facts: dict[str, Any] = field(default_factory=dict, compare=False)


def _money(minor: int, currency: str) -> str:
    return f"{from_minor(minor, currency)} {currency}"


def _day(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def _sorted(entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    def key(entry: TimelineEntry) -> tuple[datetime, int, str, int]:
        entity, _, row_id = entry.ref.partition(":")
        rank = _RANK.get(entry.kind, _DECISION_RANK)
        return entry.at, rank, entity, int(row_id) if row_id.isdigit() else 0

    return sorted(entries, key=key)


def account_timeline(session: Session, actor: Actor, account_id: int) -> list[TimelineEntry]:
    """Everything that happened with an account the actor may see (404 otherwise), oldest first."""
    get_readable(session, actor, Account, account_id)
    entries: list[TimelineEntry] = []
    lead_ids: set[int] = set()
    if allowed(actor, Area.PIPELINE):
        opportunities = list(
            session.scalars(
                select(Opportunity).where(
                    Opportunity.account_id == account_id, opportunity_condition(actor)
                )
            )
        )
        entries += _opportunity_entries(session, opportunities)
        lead_ids |= {o.lead_id for o in opportunities if o.lead_id is not None}
    if allowed(actor, Area.LEADS):
        lead_ids |= set(session.scalars(select(Lead.id).where(Lead.account_id == account_id)))
        entries += _lead_entries(session, actor, lead_ids)
    if allowed(actor, Area.CASH):
        orders = list(session.scalars(select(Order).where(Order.account_id == account_id)))
        invoices = list(
            session.scalars(
                select(Invoice)
                .join(Order, Order.id == Invoice.order_id)
                .where(Order.account_id == account_id)
            )
        )
        payments = list(session.scalars(select(Payment).where(Payment.account_id == account_id)))
        entries += _cash_entries(orders, invoices, payments)
    return _sorted(entries)


def lead_timeline(session: Session, actor: Actor, lead_id: int) -> list[TimelineEntry]:
    """Everything that happened with a lead the actor may see, and, once converted, with its
    opportunities and their orders, invoices and payments; oldest first."""
    get_readable(session, actor, Lead, lead_id)
    entries = _lead_entries(session, actor, {lead_id})
    opportunity_ids: list[int] = []
    if allowed(actor, Area.PIPELINE):
        opportunities = list(
            session.scalars(
                select(Opportunity).where(
                    Opportunity.lead_id == lead_id, opportunity_condition(actor)
                )
            )
        )
        entries += _opportunity_entries(session, opportunities)
        opportunity_ids = [o.id for o in opportunities]
    elif allowed(actor, Area.CASH):
        opportunity_ids = list(
            session.scalars(select(Opportunity.id).where(Opportunity.lead_id == lead_id))
        )
    if allowed(actor, Area.CASH) and opportunity_ids:
        orders = list(
            session.scalars(select(Order).where(Order.opportunity_id.in_(opportunity_ids)))
        )
        order_ids = [o.id for o in orders]
        invoices = (
            list(session.scalars(select(Invoice).where(Invoice.order_id.in_(order_ids))))
            if order_ids
            else []
        )
        invoice_ids = [i.id for i in invoices]
        payments = (
            list(
                session.scalars(
                    select(Payment).where(
                        Payment.id.in_(
                            select(Allocation.payment_id).where(
                                Allocation.invoice_id.in_(invoice_ids)
                            )
                        )
                    )
                )
            )
            if invoice_ids
            else []
        )
        entries += _cash_entries(orders, invoices, payments)
    return _sorted(entries)


# ---- the parts ---------------------------------------------------------------------------------


def _names(
    session: Session, model: type[Channel] | type[Campaign] | type[Content], ids: set[int]
) -> dict[int | None, str]:
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def _lead_entries(session: Session, actor: Actor, lead_ids: set[int]) -> list[TimelineEntry]:
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
    channels = _names(
        session,
        Channel,
        {t.channel_id for t in touches if t.channel_id}
        | {lead.channel_id for lead in leads if lead.channel_id},
    )
    campaigns = _names(session, Campaign, {t.campaign_id for t in touches if t.campaign_id})
    contents = _names(session, Content, {t.content_id for t in touches if t.content_id})
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


def _opportunity_entries(session: Session, opportunities: list[Opportunity]) -> list[TimelineEntry]:
    if not opportunities:
        return []
    ids = [o.id for o in opportunities]
    changes = list(
        session.scalars(
            select(OpportunityStageChange).where(OpportunityStageChange.opportunity_id.in_(ids))
        )
    )
    stage_ids = {o.stage_id for o in opportunities} | {c.to_stage_id for c in changes}
    stage_ids |= {c.from_stage_id for c in changes if c.from_stage_id is not None}
    stages = dict(
        session.execute(select(Stage.id, Stage.name).where(Stage.id.in_(stage_ids))).all()
    )
    names = {o.id: o.name for o in opportunities}
    entries = []
    for o in opportunities:
        entries.append(
            TimelineEntry(
                o.created_at,
                "opportunity",
                f"Opportunity {o.name} opened",
                f"{_money(o.amount_minor, o.currency)}; stage {stages.get(o.stage_id, '?')}",
                f"opportunity:{o.id}",
                {
                    "name": o.name,
                    "amount_minor": o.amount_minor,
                    "currency": o.currency,
                    "stage": stages.get(o.stage_id, "?"),
                },
            )
        )
        if o.closed_at is not None and o.status in (StageOutcome.WON, StageOutcome.LOST):
            detail = _money(o.amount_minor, o.currency)
            if o.status == StageOutcome.LOST:
                detail = "; ".join(
                    p for p in (o.lost_reason, f"to {o.competitor}" if o.competitor else None) if p
                )
            entries.append(
                TimelineEntry(
                    o.closed_at,
                    str(o.status),
                    f"Opportunity {o.name} {o.status}",
                    detail,
                    f"opportunity:{o.id}",
                    {
                        "name": o.name,
                        "amount_minor": o.amount_minor,
                        "currency": o.currency,
                        "reason": o.lost_reason,
                        "competitor": o.competitor,
                    },
                )
            )
    for change in changes:
        if change.from_stage_id is None:
            continue  # the opening stage: already on the "opened" entry
        entries.append(
            TimelineEntry(
                change.changed_at,
                "stage",
                f"{stages.get(change.from_stage_id, '?')} → {stages.get(change.to_stage_id, '?')}",
                f"{names[change.opportunity_id]}" + (f"; {change.reason}" if change.reason else ""),
                f"opportunity:{change.opportunity_id}",
            )
        )
    return entries


def _cash_entries(
    orders: list[Order], invoices: list[Invoice], payments: list[Payment]
) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            o.signed_at,
            "order",
            f"Order {o.number} signed",
            _money(o.amount_minor, o.currency),
            f"order:{o.id}",
            {"number": o.number, "amount_minor": o.amount_minor, "currency": o.currency},
        )
        for o in orders
    ]
    entries += [
        TimelineEntry(
            _day(i.issued_on),
            "invoice",
            f"Invoice {i.number} issued",
            f"{_money(i.amount_minor, i.currency)}; due {i.due_on.isoformat()}",
            f"invoice:{i.id}",
            {
                "number": i.number,
                "amount_minor": i.amount_minor,
                "currency": i.currency,
                "due_on": i.due_on,
            },
        )
        for i in invoices
    ]
    entries += [
        TimelineEntry(
            p.received_at,
            "payment",
            "Payment received",
            "; ".join(
                part for part in (_money(p.amount_minor, p.currency), p.method, p.reference) if part
            ),
            f"payment:{p.id}",
            {
                "amount_minor": p.amount_minor,
                "currency": p.currency,
                "method": p.method,
                "reference": p.reference,
            },
        )
        for p in payments
    ]
    return entries
