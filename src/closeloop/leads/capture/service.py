"""Capture leads: the one path that files, forms and the API all take.

Clean → reject what cannot be a lead → lock → match against leads we have and within the batch
(decide.py) → create new leads, merge duplicates into the lead they match (with a touch for the
new source), store rejects. Everything of a batch happens in the caller's transaction, or
nothing does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.db.bulk import allocate_ids, insert_rows
from closeloop.db.types import utcnow
from closeloop.leads.capture.attribution import Attribution, Source
from closeloop.leads.capture.decide import Decided, decide_batch, lock_captures
from closeloop.leads.capture.dedup import FILLABLE, Decision
from closeloop.leads.capture.lookups import one_of_values
from closeloop.leads.capture.prepared import Prepared, lead_row, prepare_write, touch_kind
from closeloop.leads.capture.record import UTM_FIELDS, CapturedLead, Rejection
from closeloop.leads.qualify_on_insert import route_new_rows
from closeloop.leads.routing.service import AssignSummary
from closeloop.leads.scoring.service import ScoringRun
from closeloop.models import (
    Lead,
    LeadMerge,
    LeadReject,
    LeadStatus,
    LeadStatusChange,
    Touch,
)


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


@dataclass
class Outcome:
    """What became of one captured record."""

    kind: str  # created | merged | already | rejected
    lead_id: int | None = None  # the new lead, or the lead it merged into
    row_number: int | None = None
    field: str | None = None
    reason: str | None = None


@dataclass
class BatchResult:
    outcomes: list[Outcome] = field(default_factory=list)
    # With ``qualify``: how the new leads were scored and routed as they were written.
    qualified: tuple[ScoringRun, AssignSummary] | None = None

    def count(self, kind: str) -> int:
        return sum(1 for o in self.outcomes if o.kind == kind)


def capture_batch(
    session: Session,
    items: Sequence[CapturedLead | Rejection],
    *,
    source: Source,
    attribution: Attribution | None,
    settings: Settings,
    import_batch_id: int | None = None,
    dry_run: bool = False,
    locked: bool = False,
    qualify: bool = False,
) -> BatchResult:
    """Capture a batch; the caller's transaction must have begun with ``begin_writing``.

    ``locked``: the caller already holds the batch's ``capture_lock_keys``. ``qualify``: new
    leads are scored and routed before they are written (qualify_on_insert.py); the leads that
    merges added a touch to are the caller's to score again.
    """
    if not locked:
        lock_captures(session, items)
    decided = decide_batch(session, items, settings)
    return write_decided(
        session,
        decided,
        source=source,
        attribution=attribution,
        import_batch_id=import_batch_id,
        dry_run=dry_run,
        qualify=qualify,
    )


def write_decided(
    session: Session,
    decided: Decided,
    *,
    source: Source,
    attribution: Attribution | None,
    import_batch_id: int | None = None,
    dry_run: bool = False,
    qualify: bool = False,
) -> BatchResult:
    """Write a decided batch (see ``capture_batch``). A batch decided ahead is written once the
    batch written meanwhile is committed: the leads that batch created have their ids then."""
    if decided.ahead_of is not None:
        decided.ahead_of.settle()
    already: dict[str, int | None] = {**decided.already}
    already.update((key, d.target_id) for key, d in decided.already_ahead.items())
    result = BatchResult()
    if not dry_run:
        prepared = decided.prepared or prepare_write(
            session, decided, source=source, attribution=attribution, qualify=qualify
        )
        result.qualified = _write(session, decided.decisions, prepared)
        rejections = [i for i in decided.items if isinstance(i, Rejection)]
        _store_rejects(session, rejections, import_batch_id)

    by_key = {d.record.source_key: d for d in decided.decisions}
    for item in decided.items:
        if isinstance(item, Rejection):
            result.outcomes.append(
                Outcome("rejected", None, item.row_number, item.field, item.reason)
            )
        elif item.source_key in already:
            result.outcomes.append(Outcome("already", already[item.source_key], item.row_number))
        elif id(item) in decided.repeated:
            first = by_key[item.source_key]
            result.outcomes.append(Outcome("already", first.target_id, item.row_number))
        else:
            decision = by_key[item.source_key]
            kind = "created" if decision.survivor is None else "merged"
            result.outcomes.append(Outcome(kind, decision.target_id, item.row_number))
    return result


def _write(
    session: Session, decisions: list[Decision], prepared: Prepared
) -> tuple[ScoringRun, AssignSummary] | None:
    """Insert new and merged lead rows, fill survivors, add touches, history and merge records;
    new leads scored ahead go in routed too (what scoring and routing did is returned)."""
    if not decisions:
        return None
    now, sources, new_leads = prepared.now, prepared.sources, prepared.scored
    leads = _table(Lead)
    created = [i for i, d in enumerate(decisions) if d.survivor is None]
    merged = [i for i, d in enumerate(decisions) if d.survivor is not None]
    if created:
        rows = prepared.new_rows
        if new_leads is not None:  # the ids first: scoring's and routing's history names them
            ids = allocate_ids(session, leads, len(rows))
        else:
            ids = _insert_returning(session, leads, rows)
        _name_new_leads(decisions, created, ids)
    touch_rows = [_touch_row(d, s, now) for d, s in zip(decisions, sources, strict=True)]
    if new_leads is not None:
        route_new_rows(session, new_leads, ids, rows)
        insert_rows(session, leads, rows, ids)
    if merged:
        rows = [lead_row(decisions[i], sources[i], now) for i in merged]
        for i, lead_id in zip(merged, _insert_returning(session, leads, rows), strict=True):
            decisions[i].lead_id = lead_id
        _fill_survivors(session, [decisions[i] for i in merged], now)
    touch_ids = _insert_returning(session, _table(Touch), touch_rows)
    history = []
    for d in decisions:
        at = d.record.captured_at or now
        history.append(_change(d.lead_id, None, LeadStatus.NEW, at, None, now))
        if d.survivor is not None:
            reason = f"duplicate of lead {d.survivor.id} (same {d.matched_on}, score {d.score})"
            history.append(_change(d.lead_id, LeadStatus.NEW, LeadStatus.MERGED, at, reason, now))
    insert_rows(session, _table(LeadStatusChange), history)
    merges = [
        {
            "merged_lead_id": decisions[i].lead_id,
            "survivor_id": decisions[i].survivor.id,  # type: ignore[union-attr]
            "matched_on": decisions[i].matched_on,
            "score": decisions[i].score,
            "filled": decisions[i].filled,
            "conflicts": decisions[i].conflicts,
            "touch_ids": [touch_ids[i]],
            "created_at": now,
            "updated_at": now,
        }
        for i in merged
    ]
    if merges:
        insert_rows(session, _table(LeadMerge), merges)
    if new_leads is None:
        return None
    new_leads.write_after_insert(session)  # after the "new" history rows: same order as before
    return new_leads.qualifying.scored, new_leads.qualifying.routed


def _name_new_leads(decisions: list[Decision], created: list[int], ids: list[int]) -> None:
    for i, lead_id in zip(created, ids, strict=True):
        decisions[i].lead_id = lead_id
        decisions[i].new.id = lead_id  # type: ignore[union-attr]


# Below this many rows one INSERT … RETURNING beats allocating ids first (one round trip less).
_FEW_ROWS = 50


def _insert_returning(session: Session, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows (the bulk path with ids allocated first); return the ids in row order."""
    if len(rows) < _FEW_ROWS:
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.scalars(statement, rows))
    ids = allocate_ids(session, table, len(rows))
    insert_rows(session, table, rows, ids)
    return ids


def _fill_survivors(session: Session, merged: list[Decision], now: datetime) -> None:
    """Give leads we had the values they lacked (COALESCE: a value set meanwhile is kept)."""
    filled: dict[int, dict[str, Any]] = {}
    for d in merged:
        if d.survivor is not None and d.survivor.batch_index is None and d.filled:
            filled.setdefault(d.survivor.id, {}).update(d.filled)  # type: ignore[arg-type]
    if not filled:
        return
    table = _table(Lead)
    statement = (
        update(table)
        .where(table.c.id == bindparam("target_id"))
        .values(
            updated_at=bindparam("touched_at"),
            **{f: func.coalesce(table.c[f], bindparam(f"new_{f}")) for f in FILLABLE},
        )
    )
    rows = [
        {"target_id": lead_id, "touched_at": now, **{f"new_{f}": v.get(f) for f in FILLABLE}}
        for lead_id, v in filled.items()
    ]
    session.execute(statement, rows)


def _touch_row(decision: Decision, source: Source, now: datetime) -> dict[str, Any]:
    record = decision.record
    at = record.captured_at or now
    return {
        "lead_id": decision.lead_id if decision.survivor is None else decision.survivor.id,
        "channel_id": source.channel_id,
        "campaign_id": source.campaign_id,
        "content_id": source.content_id,
        "kind": touch_kind(record),
        "occurred_at": at,
        **{name: record.utm.get(name) for name in UTM_FIELDS},
        "landing_url": record.landing_url,
        "form_name": record.form_name,
        "created_at": now,
        "updated_at": now,
    }


def _change(
    lead_id: int | None,
    before: str | None,
    after: str,
    at: datetime,
    reason: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "from_status": before,
        "to_status": after,
        "changed_at": at,
        "reason": reason,
        "created_at": now,
        "updated_at": now,
    }


def _store_rejects(session: Session, rejections: list[Rejection], batch_id: int | None) -> None:
    """Keep every rejected record with its reason; one seen before is not stored twice."""
    if not rejections:
        return
    keys = sorted({r.source_key for r in rejections})
    seen = set(
        session.scalars(
            select(LeadReject.source_key).where(one_of_values(session, LeadReject.source_key, keys))
        )
    )
    now = utcnow()
    rows = []
    for r in rejections:
        if r.source_key in seen:
            continue
        seen.add(r.source_key)
        rows.append(
            {
                "import_batch_id": batch_id,
                "source_key": r.source_key,
                "row_number": r.row_number,
                "field": r.field,
                "reason": r.reason,
                "raw": {str(k): None if v is None else str(v) for k, v in r.raw.items()},
                "created_at": now,
                "updated_at": now,
            }
        )
    if rows:
        insert_rows(session, _table(LeadReject), rows)
