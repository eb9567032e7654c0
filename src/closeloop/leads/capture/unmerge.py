"""Undoing a merge: the merged lead stands on its own again, the survivor gets back what it had."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from closeloop.db.types import utcnow
from closeloop.errors import InvalidTransition, NotFound
from closeloop.i18n import N_
from closeloop.models import Lead, LeadMerge, LeadStatus, LeadStatusChange, Touch


@dataclass
class UnmergeResult:
    lead_id: int
    survivor_id: int
    restored_status: str
    cleared: list[str]  # fields the merge had filled on the survivor, emptied again
    kept: list[str]  # fields it had filled that someone changed since: left as they are
    touches_moved: int


def unmerge_lead(session: Session, *, lead_id: int, actor_id: int | None = None) -> UnmergeResult:
    """Undo the merge of lead ``lead_id`` into another lead."""
    lead = session.get(Lead, lead_id, with_for_update=True)
    if lead is None:
        raise NotFound(N_("no lead %(lead_id)s"), field="id", lead_id=lead_id)
    if lead.status != LeadStatus.MERGED:
        raise InvalidTransition(
            N_("lead %(lead_id)s is %(status)s, not merged"),
            field="id",
            lead_id=lead_id,
            status=lead.status,
        )
    merge = session.scalars(
        select(LeadMerge)
        .where(LeadMerge.merged_lead_id == lead_id, LeadMerge.undone_at.is_(None))
        .order_by(LeadMerge.id.desc())
        .limit(1)
    ).first()
    if merge is None:
        raise InvalidTransition(
            N_("lead %(lead_id)s has no merge that can be undone"), field="id", lead_id=lead_id
        )
    survivor = session.get_one(Lead, merge.survivor_id, with_for_update=True)
    now = utcnow()

    cleared, kept = [], []
    for name, value in merge.filled.items():
        if getattr(survivor, name) == value:
            setattr(survivor, name, None)
            cleared.append(name)
        else:
            kept.append(name)
    survivor.updated_at = now
    moved = cast(
        CursorResult[Any],
        session.execute(
            update(Touch)
            .where(Touch.id.in_(merge.touch_ids))
            .values(lead_id=lead_id, updated_at=now)
        ),
    ).rowcount

    before = session.scalars(
        select(LeadStatusChange.from_status)
        .where(
            LeadStatusChange.lead_id == lead_id,
            LeadStatusChange.to_status == LeadStatus.MERGED,
        )
        .order_by(LeadStatusChange.changed_at.desc(), LeadStatusChange.id.desc())
        .limit(1)
    ).first()
    restored = before or LeadStatus.NEW
    lead.status = restored
    lead.merged_into_id = None
    lead.updated_at = now
    session.add(
        LeadStatusChange(
            lead_id=lead_id,
            from_status=LeadStatus.MERGED,
            to_status=restored,
            changed_at=now,
            changed_by_id=actor_id,
            reason=f"unmerged from lead {survivor.id}",
        )
    )
    merge.undone_at = now
    session.flush()
    return UnmergeResult(lead_id, survivor.id, restored, cleared, kept, int(moved or 0))
