"""Every SQL query of routing: reps and their loads, conversion, cursors, candidates, bulk writes.

Lock order (PostgreSQL), the same in every routing action so that none deadlocks another: the
reps' ``users`` rows first (``FOR UPDATE``, in id order), then the round-robin cursors, then
lead rows. Whatever adds to a rep's open load holds that rep's row, so two assigners or
claimers never both see room under the same cap. SQLite has one writer at a time (the caller
begins with ``closeloop.db.locks.begin_writing``), so the same statements are enough there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from closeloop.db.dialect import one_of
from closeloop.leads.routing.strategies import RepLoad
from closeloop.leads.states import is_open
from closeloop.models import Channel, Lead, LeadDecision, LeadStatus, RoutingCursor, Team, User

# Leads routing may give an owner, and the ones that count toward a rep's cap: open, and not
# parked in the pool or with marketing (nurture) — those have no owner by definition.
ASSIGNABLE = tuple(
    status.value
    for status in LeadStatus
    if is_open(status) and status not in (LeadStatus.POOL, LeadStatus.NURTURE)
)
CHUNK = 50_000


@dataclass(frozen=True)
class Rep:
    id: int
    team_id: int | None
    role: str
    email: str
    full_name: str
    max_open_leads: int | None
    is_active: bool = True


class Candidate(NamedTuple):
    """An unowned open lead as routing reads it."""

    id: int
    status: str
    region: str | None
    city: str | None
    industry: str | None
    company_size: int | None
    channel: str | None  # channel code


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def team_ids(session: Session, names: Iterable[str]) -> dict[str, int]:
    """Ids of the teams with these names (missing names are simply absent)."""
    wanted = sorted(set(names))
    rows = session.execute(select(Team.name, Team.id).where(Team.name.in_(wanted)))
    return {name: team_id for name, team_id in rows}


def lock_team_reps(
    session: Session, team_id_list: Iterable[int], *, lock: bool = True
) -> list[Rep]:
    """The active sales reps and SDRs of these teams, their rows locked, in id order
    (``lock=False``: only a look, for a decision that gives no rep a lead)."""
    ids = sorted(set(team_id_list))
    if not ids:
        return []
    statement = (
        select(User.id, User.team_id, User.role, User.email, User.full_name, User.max_open_leads)
        .where(User.team_id.in_(ids), User.is_active.is_(True))
        .where(User.role.in_(["sales_rep", "sdr"]))
        .order_by(User.id)
    )
    if lock:
        statement = statement.with_for_update()
    return [Rep(*row) for row in session.execute(statement)]


def team_and_reps(session: Session, name: str) -> tuple[int | None, list[Rep]]:
    """A team's id (None: no such team) and its active sales reps and SDRs in id order, in one
    statement and without locks: a look, for a decision that gives no rep a lead."""
    statement = (
        select(
            Team.id.label("team"),
            User.id,
            User.team_id,
            User.role,
            User.email,
            User.full_name,
            User.max_open_leads,
        )
        .select_from(Team)
        .outerjoin(
            User,
            (User.team_id == Team.id)
            & User.is_active.is_(True)
            & User.role.in_(["sales_rep", "sdr"]),
        )
        .where(Team.name == name)
        .order_by(User.id)
    )
    rows = session.execute(statement).all()
    if not rows:
        return None, []
    return rows[0].team, [Rep(*row[1:]) for row in rows if row.id is not None]


def lock_lead_state(session: Session, lead_id: int) -> Any:
    """A lead's owner, status and assignment time, its row locked (after the reps' rows: the
    lock order); None if there is no such lead."""
    statement = (
        select(Lead.owner_id, Lead.status, Lead.assigned_at)
        .where(Lead.id == lead_id)
        .with_for_update()
    )
    return session.execute(statement).first()


def lock_rep(session: Session, rep_id: int) -> Rep | None:
    """One user's row, locked (whoever claims for them waits here)."""
    statement = (
        select(
            User.id,
            User.team_id,
            User.role,
            User.email,
            User.full_name,
            User.max_open_leads,
            User.is_active,
        )
        .where(User.id == rep_id)
        .with_for_update()
    )
    row = session.execute(statement).first()
    return Rep(*row) if row else None


def open_loads(session: Session, rep_ids: Sequence[int]) -> dict[int, int]:
    """Open leads each rep owns — their private list (read after their rows are locked)."""
    if not rep_ids:
        return {}
    statement = (
        select(Lead.owner_id, func.count())
        .where(Lead.owner_id.in_(list(rep_ids)), Lead.status.in_(ASSIGNABLE))
        .group_by(Lead.owner_id)
    )
    return {owner: count for owner, count in session.execute(statement) if owner is not None}


def loads_up_to_cap(session: Session, reps: Sequence[Rep]) -> dict[int, int]:
    """Open leads each rep owns, counted no further than their cap (one statement).

    Routing only needs to know that a rep at cap is at cap: counting the thousands of open
    leads of a rep far over their cap would cost milliseconds while the team's rows are locked.
    Reps without a cap are counted in full (load balancing compares their loads)."""
    if not reps:
        return {}
    counts = []
    for rep in reps:
        owned = select(Lead.owner_id).where(Lead.owner_id == rep.id, Lead.status.in_(ASSIGNABLE))
        if rep.max_open_leads is not None:
            owned = owned.limit(max(rep.max_open_leads, 0))
        counts.append(select(func.count()).select_from(owned.subquery()).scalar_subquery())
    row = session.execute(select(*counts)).one()
    return {rep.id: int(count) for rep, count in zip(reps, row, strict=True)}


def conversion_counts(
    session: Session, rep_ids: Sequence[int], *, since: datetime, until: datetime
) -> dict[int, tuple[int, int]]:
    """Per rep: leads they own that were assigned in the window, and how many reached SQL
    (won deals passed SQL) — the leaderboard's recent conversion."""
    if not rep_ids:
        return {}
    statement = (
        select(Lead.owner_id, func.count(), func.count(Lead.sql_at))
        .where(Lead.owner_id.in_(list(rep_ids)))
        .where(Lead.assigned_at >= since, Lead.assigned_at <= until)
        .group_by(Lead.owner_id)
    )
    return {
        owner: (assigned, converted)
        for owner, assigned, converted in session.execute(statement)
        if owner is not None
    }


def rep_loads(
    session: Session, reps: Sequence[Rep], *, window: tuple[datetime, datetime] | None
) -> list[RepLoad]:
    """The reps as choosers see them (open loads counted up to each rep's cap: the choosers
    never look further); conversion counts only when ``window`` is given."""
    ids = [rep.id for rep in reps]
    loads = loads_up_to_cap(session, reps)
    counts = conversion_counts(session, ids, since=window[0], until=window[1]) if window else {}
    return [
        RepLoad(rep.id, loads.get(rep.id, 0), rep.max_open_leads, *counts.get(rep.id, (0, 0)))
        for rep in reps
    ]


def read_cursors(session: Session, team_id_list: Iterable[int]) -> dict[int, int]:
    """Round-robin positions (the rep served last) of these teams, rows locked."""
    ids = sorted(set(team_id_list))
    if not ids:
        return {}
    statement = (
        select(RoutingCursor.team_id, RoutingCursor.position)
        .where(RoutingCursor.team_id.in_(ids))
        .order_by(RoutingCursor.team_id)
        .with_for_update()
    )
    return {team_id: position for team_id, position in session.execute(statement)}


def write_cursors(session: Session, positions: dict[int, int], existing: dict[int, int]) -> None:
    """Store round-robin positions (callers hold the teams' rep locks, so no one races here)."""
    for team_id, position in sorted(positions.items()):
        if team_id in existing:
            if existing[team_id] != position:
                session.execute(
                    update(RoutingCursor)
                    .where(RoutingCursor.team_id == team_id)
                    .values(position=position)
                )
        else:
            session.execute(insert(RoutingCursor).values(team_id=team_id, position=position))


def channel_codes(session: Session) -> dict[int, str]:
    return {
        channel_id: code for channel_id, code in session.execute(select(Channel.id, Channel.code))
    }


def candidates(
    session: Session, *, lead_ids: Sequence[int] | None, limit: int | None
) -> list[Candidate]:
    """Open unowned leads routing may assign, best score first."""
    codes = channel_codes(session)
    statement = (
        select(
            Lead.id,
            Lead.status,
            Lead.region,
            Lead.city,
            Lead.industry,
            Lead.company_size,
            Lead.channel_id,
        )
        .where(Lead.owner_id.is_(None), Lead.status.in_(ASSIGNABLE))
        .order_by(Lead.score.desc(), Lead.id)
    )
    if lead_ids is not None:
        statement = statement.where(
            one_of(session.get_bind().dialect.name, Lead.__table__.c.id, lead_ids)
        )
    if limit is not None:
        statement = statement.limit(limit)
    return [
        Candidate(lead_id, status, region, city, industry, size, codes.get(channel_id))  # type: ignore[arg-type]
        for lead_id, status, region, city, industry, size, channel_id in session.execute(statement)
    ]


def set_owners(
    session: Session, rows: Sequence[tuple[int, int, int, datetime]], *, at: datetime
) -> list[int]:
    """Give leads (id, owner, team, first-contact due) their owner if they still have none, and
    set their first-contact SLA clock in the same write; the ids updated (the caller starts the
    clocks' steps)."""
    if not rows:
        return []
    if is_postgresql(session):
        return _postgres_chunks(
            session,
            "UPDATE leads SET owner_id = v.owner_id, team_id = v.team_id, "
            "assigned_at = COALESCE(leads.assigned_at, :at), updated_at = :at, "
            "sla_kind = 'first_contact', sla_due_at = v.due "
            "FROM unnest(CAST(:ids AS bigint[]), CAST(:owners AS bigint[]), "
            "CAST(:teams AS bigint[]), CAST(:dues AS timestamptz[])) "
            "AS v(id, owner_id, team_id, due) "
            "WHERE leads.id = v.id AND leads.owner_id IS NULL "
            "AND leads.status = ANY(CAST(:statuses AS varchar[])) RETURNING leads.id",
            {
                "ids": [r[0] for r in rows],
                "owners": [r[1] for r in rows],
                "teams": [r[2] for r in rows],
                "dues": [r[3] for r in rows],
            },
            statuses=list(ASSIGNABLE),
            at=at,
        )
    stamp = _sqlite_time(at)
    statuses = ", ".join(f"'{s}'" for s in ASSIGNABLE)
    _sqlite_many(
        session,
        "UPDATE leads SET owner_id = ?, team_id = ?, assigned_at = COALESCE(assigned_at, ?), "
        "updated_at = ?, sla_kind = 'first_contact', sla_due_at = ? "
        f"WHERE id = ? AND owner_id IS NULL AND status IN ({statuses})",
        [
            (owner, team, stamp, stamp, _sqlite_time(due), lead_id)
            for lead_id, owner, team, due in rows
        ],
    )
    return [r[0] for r in rows]


def send_to_pool(
    session: Session, rows: Sequence[tuple[int, str, int | None]], *, at: datetime
) -> list[int]:
    """Move unowned leads (id, their status, team) into the public pool; the ids moved."""
    if not rows:
        return []
    if is_postgresql(session):
        return _postgres_chunks(
            session,
            "UPDATE leads SET status = 'pool', pool_entered_at = :at, "
            "team_id = v.team_id, updated_at = :at "
            "FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS varchar[]), "
            "CAST(:teams AS bigint[])) AS v(id, status, team_id) "
            "WHERE leads.id = v.id AND leads.owner_id IS NULL "
            "AND leads.status = v.status RETURNING leads.id",
            {
                "ids": [r[0] for r in rows],
                "statuses": [r[1] for r in rows],
                "teams": [r[2] for r in rows],
            },
            at=at,
        )
    stamp = _sqlite_time(at)
    _sqlite_many(
        session,
        "UPDATE leads SET status = 'pool', pool_entered_at = ?, team_id = ?, updated_at = ? "
        "WHERE id = ? AND owner_id IS NULL AND status = ?",
        [(stamp, team, stamp, lead_id, status) for lead_id, status, team in rows],
    )
    return [r[0] for r in rows]


def _postgres_chunks(
    session: Session, sql: str, arrays: dict[str, list[Any]], **params: Any
) -> list[int]:
    """Run an ``UPDATE … FROM unnest(:arrays) … RETURNING id`` over the arrays, CHUNK rows at a
    time (bounded parameter size); the ids it returned."""
    done: list[int] = []
    total = len(next(iter(arrays.values())))
    for start in range(0, total, CHUNK):
        part = {name: values[start : start + CHUNK] for name, values in arrays.items()}
        done.extend(session.scalars(text(sql), {**part, **params}))
    return done


def _sqlite_many(session: Session, sql: str, params: list[tuple[Any, ...]]) -> None:
    """One prepared executemany; SQLite's writer lock means every row is still as read."""
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, params)
        if cursor.rowcount != len(params):
            raise RuntimeError(
                f"routing updated {cursor.rowcount} of {len(params)} leads: the transaction "
                "must begin with begin_writing"
            )
    finally:
        cursor.close()


def _sqlite_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def claims_since(session: Session, rep_id: int, since: datetime) -> int:
    """Leads the rep claimed from the pool since ``since``."""
    statement = (
        select(func.count())
        .select_from(LeadDecision)
        .where(LeadDecision.actor_id == rep_id, LeadDecision.kind == "claimed")
        .where(LeadDecision.decided_at >= since)
    )
    return int(session.scalar(statement) or 0)
