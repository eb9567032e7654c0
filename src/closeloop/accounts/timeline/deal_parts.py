"""The deal part of a timeline: opportunities and their stages, orders, invoices, payments."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.accounts.timeline.entry import TimelineEntry, day_start, money_text
from closeloop.models import (
    Invoice,
    Opportunity,
    OpportunityStageChange,
    Order,
    Payment,
    Stage,
    StageOutcome,
)


def opportunity_entries(session: Session, opportunities: list[Opportunity]) -> list[TimelineEntry]:
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
                f"{money_text(o.amount_minor, o.currency)}; stage {stages.get(o.stage_id, '?')}",
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
            detail = money_text(o.amount_minor, o.currency)
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


def cash_entries(
    orders: list[Order], invoices: list[Invoice], payments: list[Payment]
) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            o.signed_at,
            "order",
            f"Order {o.number} signed",
            money_text(o.amount_minor, o.currency),
            f"order:{o.id}",
            {"number": o.number, "amount_minor": o.amount_minor, "currency": o.currency},
        )
        for o in orders
    ]
    entries += [
        TimelineEntry(
            day_start(i.issued_on),
            "invoice",
            f"Invoice {i.number} issued",
            f"{money_text(i.amount_minor, i.currency)}; due {i.due_on.isoformat()}",
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
                part
                for part in (money_text(p.amount_minor, p.currency), p.method, p.reference)
                if part
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
