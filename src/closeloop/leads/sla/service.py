"""The SLA sweep: breached clocks notify the rep, then escalate to the manager, then recycle the
lead to the public pool (公海).

The sweep reads only the step rows whose time has come (``lead_sla_steps.step_at``, indexed),
with their leads. ``step_at`` always holds the time of the clock's NEXT step:

    level 0  at = the promise's deadline   → notify the rep, level 1,
                                             at = deadline + escalate_after_hours
    level 1  at = the escalation time      → tell the manager, level 2,
                                             at += recycle_after_hours − escalate_after_hours
    level 2  at = the recycle time         → back to the pool, clock cleared

(working hours, so ``at`` after escalation is exactly deadline + recycle_after_hours). The lead
row keeps the deadline (``sla_due_at``) and is written only when the lead is recycled or its
clock cleared: a notify or an escalate step rewrites the narrow step row alone. A lead that
missed several steps while no sweep ran takes them all in one sweep, each with its decision and
event, so that running the sweep again at the same ``now`` changes nothing.

Claims are batches in step order, the step rows and their leads locked with FOR UPDATE SKIP
LOCKED on PostgreSQL (two sweeps never take the same lead, and a lead a rep is changing waits
for the next sweep) and under the write lock on SQLite (BEGIN IMMEDIATE, taken by the caller:
see tasks.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from closeloop.db.bulk import insert_rows
from closeloop.db.dialect import one_of
from closeloop.db.types import utcnow
from closeloop.jobs.outbox import emit_many
from closeloop.leads.decisions import record_decisions
from closeloop.leads.sla.calendar import to_us, to_us_array
from closeloop.leads.sla.clock import stop_steps
from closeloop.leads.sla.compliance import SlaCompliance, sla_compliance
from closeloop.leads.sla.notices import Notices, rule_text
from closeloop.leads.sla.rules import active_sla_rules
from closeloop.leads.states import ALLOWED, is_open
from closeloop.models import Lead, LeadSlaStep, LeadStatus, LeadStatusChange, Team

__all__ = ["SlaCompliance", "SweepResult", "rule_text", "sla_compliance", "sweep", "sweep_batch"]

DEFAULT_BATCH = 5_000
_KINDS = ("first_contact", "accept", "follow_up")


@dataclass
class SweepResult:
    """What one sweep did: leads claimed and the steps taken."""

    claimed: int = 0
    notified: int = 0
    escalated: int = 0
    recycled: int = 0
    cleared: int = 0  # clocks on leads nobody owns any more, or no longer open: dropped quietly
    batches: int = 0

    def add(self, other: SweepResult) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def counts(self) -> dict[str, int]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


def sweep(session: Session, *, now: datetime, batch_size: int = DEFAULT_BATCH) -> SweepResult:
    """Take every due step up to ``now``, batch after batch, in the caller's transaction."""
    result = SweepResult()
    while True:
        batch = sweep_batch(session, now=now, batch_size=batch_size)
        if not batch.claimed:
            return result
        result.add(batch)


def sweep_batch(session: Session, *, now: datetime, batch_size: int = DEFAULT_BATCH) -> SweepResult:
    """Claim up to ``batch_size`` leads whose next step is due and take their steps."""
    active = active_sla_rules(session)
    rules = active.rules
    calendar = rules.working_calendar
    postgresql = session.get_bind().dialect.name == "postgresql"
    table, step_table = cast(Table, Lead.__table__), cast(Table, LeadSlaStep.__table__)
    claim = (
        select(
            table.c.id,
            table.c.status,
            table.c.owner_id,
            table.c.team_id,
            table.c.sla_kind,
            table.c.sla_due_at,
            step_table.c.level,
            step_table.c.step_at,
            table.c.full_name,
            table.c.company,
        )
        .join(table, table.c.id == step_table.c.lead_id)
        .where(step_table.c.step_at <= now)
        .order_by(step_table.c.step_at)
        .limit(batch_size)
    )
    if postgresql:
        claim = claim.with_for_update(of=[step_table, table], skip_locked=True)
    rows = session.execute(claim).all()
    result = SweepResult(claimed=len(rows), batches=1 if rows else 0)
    if not rows:
        return result

    live, stale = [], []
    for row in rows:
        running = row.sla_kind in _KINDS and row.sla_due_at is not None
        if running and row.owner_id is not None and is_open(row.status):
            live.append(row)
        else:
            stale.append(row.id)
    teams = {t.id: t for t in session.execute(select(Team.id, Team.name, Team.manager_id))}
    notices = Notices(
        session,
        version=active.version,
        rules=rules,
        teams=teams,
        user_ids={r.owner_id for r in live} | {t.manager_id for t in teams.values()},
        now=now,
    )

    now_us = to_us(now)
    level_updates: list[tuple[int, int, int]] = []  # (lead id, level, next due µs)
    recycled: list[Any] = []
    by_team: dict[int | None, list[Any]] = defaultdict(list)
    for row in live:
        by_team[row.team_id].append(row)
    for team_id, group in by_team.items():
        team = teams.get(team_id) if team_id is not None else None
        sla = rules.for_team(team.name if team else None)
        level = np.array([min(r.level, 2) for r in group], dtype=np.int64)
        due = to_us_array([r.step_at for r in group])
        # Step 1: breached → notify; the next step is the escalation.
        notify = level == 0
        escalate_at = calendar.add_working_hours_us(due, sla.escalate_after_hours)
        due1 = np.where(notify, escalate_at, due)
        level1 = np.where(notify, 1, level)
        # Step 2: escalation time passed → escalate; the next step is the recycle.
        escalate = (level1 == 1) & (due1 <= now_us)
        gap = sla.recycle_after_hours - sla.escalate_after_hours
        recycle_at = calendar.add_working_hours_us(due1, gap)
        due2 = np.where(escalate, recycle_at, due1)
        level2 = np.where(escalate, 2, level1)
        # Step 3: recycle time passed → back to the pool.
        recycle = (level2 == 2) & (due2 <= now_us)
        when = {
            "deadline": to_us_array([r.sla_due_at for r in group]).tolist(),
            "escalate_at": due1.tolist(),
            "recycle_at": np.where(level1 == 2, due1, recycle_at).tolist(),
        }
        steps = zip(group, notify.tolist(), escalate.tolist(), recycle.tolist(), strict=True)
        for i, (row, notifying, escalating, recycling) in enumerate(steps):
            times = {name: moments[i] for name, moments in when.items()}
            if notifying:
                notices.notified(row, sla, times)
                result.notified += 1
            if escalating:
                notices.escalated(row, sla, times)
                result.escalated += 1
            if recycling and LeadStatus.POOL in ALLOWED.get(row.status, frozenset()):
                notices.recycled(row, sla, times)
                recycled.append(row)
            elif recycling:
                stale.append(row.id)
            else:
                level_updates.append((row.id, int(level2[i]), int(due2[i])))

    result.recycled = len(recycled)
    result.cleared = len(stale)
    _write_levels(session, level_updates, postgresql)
    _recycle(session, recycled, now=now, rule_of=notices.rule_of)
    _clear(session, stale)
    record_decisions(session, notices.decisions)
    emit_many(session, notices.events)
    return result


def _write_levels(session: Session, updates: list[tuple[int, int, int]], postgresql: bool) -> None:
    """Move each clock to its new level and next step time, in one statement."""
    if not updates:
        return
    ids = [u[0] for u in updates]
    levels = [u[1] for u in updates]
    dues = np.array([u[2] for u in updates], dtype=np.int64)
    # Naive UTC text: SQLite's storage format, and PostgreSQL reads it AT TIME ZONE 'UTC'.
    due_texts = np.char.replace(dues.astype("datetime64[us]").astype(str), "T", " ").tolist()
    if postgresql:
        session.execute(
            text(
                "UPDATE lead_sla_steps SET level = v.level, step_at = v.due AT TIME ZONE 'UTC' "
                "FROM (SELECT unnest(CAST(:ids AS bigint[])) AS id, "
                "unnest(CAST(:levels AS smallint[])) AS level, "
                "unnest(CAST(:dues AS timestamp[])) AS due) AS v "
                "WHERE lead_sla_steps.lead_id = v.id"
            ),
            {"ids": ids, "levels": levels, "dues": due_texts},
        )
        return
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.executemany(
        "UPDATE lead_sla_steps SET level = ?, step_at = ? WHERE lead_id = ?",
        list(zip(levels, due_texts, ids, strict=True)),
    )
    cursor.close()


def _recycle(session: Session, rows: list[Any], *, now: datetime, rule_of: Any) -> None:
    """Back to the public pool: no owner, status pool, clock cleared, history written."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    table = cast(Table, Lead.__table__)
    session.execute(
        table.update()
        .where(one_of(dialect, table.c.id, [r.id for r in rows]))
        .values(
            owner_id=None,
            status=LeadStatus.POOL.value,
            pool_entered_at=now,
            sla_kind=None,
            sla_due_at=None,
            updated_at=utcnow(),
        )
    )
    stop_steps(session, [r.id for r in rows])
    written = utcnow()
    insert_rows(
        session,
        LeadStatusChange.__table__,  # type: ignore[arg-type]
        [
            {
                "lead_id": r.id,
                "from_status": r.status,
                "to_status": LeadStatus.POOL.value,
                "changed_at": now,
                "changed_by_id": None,
                "reason": rule_of(r)[:500],
                "created_at": written,
                "updated_at": written,
            }
            for r in rows
        ],
    )


def _clear(session: Session, lead_ids: list[int]) -> None:
    if not lead_ids:
        return
    dialect = session.get_bind().dialect.name
    table = cast(Table, Lead.__table__)
    session.execute(
        table.update()
        .where(one_of(dialect, table.c.id, lead_ids))
        .values(sla_kind=None, sla_due_at=None, updated_at=utcnow())
    )
    stop_steps(session, lead_ids)
