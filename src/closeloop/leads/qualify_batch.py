"""Scoring and routing many leads in one pass, each lead's row written once.

Scoring alone and routing alone each rewrite every row they touch, and on PostgreSQL a
rewritten row is a new row version with an entry in every index of ``leads``: that write is
most of the cost of a batch (a bare UPDATE of a million leads takes a minute with the indexes
and seven seconds without). So here every lead's new score, its MQL hand-off and its route are
decided in memory first — routing best score first, as ``assign_leads`` does — and one UPDATE
per chunk writes all of them. The history is the same as the two services write one after the
other: ``scored`` and ``assigned`` decisions, status changes, outbox events.

Lock order as in routing/repository.py: the reps' rows first, then lead rows (the UPDATE). A
lead changed by someone else between the read and the write is not overwritten (the UPDATE
checks its status and owner as read); it is scored and routed again by the two services.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
    Column,
    MetaData,
    SmallInteger,
    String,
    Table,
    bindparam,
    text,
)
from sqlalchemy.orm import Session

from closeloop.collector import fewer_collections
from closeloop.db.bulk import insert_rows
from closeloop.db.dialect import analyze_temporary
from closeloop.db.types import UTCDateTime
from closeloop.leads.routing import repository as routing_repo
from closeloop.leads.routing.history import write_history
from closeloop.leads.routing.plans import TeamPlan, compiled_rules, save_cursors, team_plans
from closeloop.leads.routing.rules import CompiledRules
from closeloop.leads.routing.rules import current_rules as current_routing
from closeloop.leads.routing.service import AssignSummary, assign_leads, count_outcomes
from closeloop.leads.scoring.compute import BatchScores
from closeloop.leads.scoring.model import active_model
from closeloop.leads.scoring.reading import LeadRows, open_lead_ids, read_leads
from closeloop.leads.scoring.service import (
    CHUNK,
    ScorePlan,
    ScoringRun,
    current_rules,
    plan_scores,
    score_leads,
    score_rows,
    scorer_for,
)
from closeloop.leads.scoring.writing import record_mql, record_scored, score_columns
from closeloop.leads.sla import clock as sla_clock
from closeloop.models import LeadStatus

S = LeadStatus

_updates = Table(
    "qualify_updates",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    # The lead as read: the write happens only if it is still so.
    Column("read_status", String(20)),
    Column("read_owner", BigInteger),
    # Scoring: NULL columns when the score columns stay as they are (rescored = 0).
    Column("rescored", SmallInteger),
    *score_columns(),
    # The hand-off and the route: NULL where nothing changes.
    Column("mql", SmallInteger),
    Column("new_status", String(20)),
    Column("owner_id", BigInteger),
    Column("team_id", BigInteger),
    Column("sla_due_at", UTCDateTime()),
    prefixes=["TEMPORARY"],
)

_WRITE = """
UPDATE leads SET
  score = COALESCE(u.score, leads.score),
  fit_score = COALESCE(u.fit_score, leads.fit_score),
  engagement_score = COALESCE(u.engagement_score, leads.engagement_score),
  score_version = COALESCE(u.score_version, leads.score_version),
  score_factors = COALESCE({factors}, leads.score_factors),
  predicted_conversion = CASE WHEN u.rescored = 1 THEN u.predicted_conversion
                         ELSE leads.predicted_conversion END,
  model_version = CASE WHEN u.rescored = 1 THEN u.model_version ELSE leads.model_version END,
  scored_at = CASE WHEN u.rescored = 1 THEN :at ELSE leads.scored_at END,
  status = COALESCE(u.new_status, leads.status),
  mql_at = CASE WHEN u.mql = 1 THEN COALESCE(leads.mql_at, :at) ELSE leads.mql_at END,
  pool_entered_at = CASE WHEN u.new_status = 'pool' THEN :at ELSE leads.pool_entered_at END,
  owner_id = COALESCE(u.owner_id, leads.owner_id),
  team_id = COALESCE(u.team_id, leads.team_id),
  assigned_at = CASE WHEN u.owner_id IS NOT NULL THEN COALESCE(leads.assigned_at, :at)
                ELSE leads.assigned_at END,
  sla_kind = CASE WHEN u.owner_id IS NOT NULL THEN 'first_contact' ELSE leads.sla_kind END,
  sla_due_at = CASE WHEN u.owner_id IS NOT NULL THEN u.sla_due_at ELSE leads.sla_due_at END,
  updated_at = :at
FROM qualify_updates AS u
WHERE leads.id = u.id AND leads.status = u.read_status
  AND (leads.owner_id = u.read_owner OR (leads.owner_id IS NULL AND u.read_owner IS NULL))
RETURNING leads.id
"""


@dataclass
class Part:
    """One chunk of leads: as read, scored, and where routing sends each (by position)."""

    rows: LeadRows
    scores: BatchScores
    plan: ScorePlan
    # position → (rule name, team plan, rep id or None for the pool)
    routes: dict[int, tuple[str, TeamPlan, int | None]] = field(default_factory=dict)


Written = tuple[int, str, TeamPlan, int | None]  # lead id, rule, team plan, rep id or None


class Qualifying:
    """One qualifying run: the rules and model in force, the teams' plans (their reps' rows
    locked), and what was done so far."""

    def __init__(self, session: Session) -> None:
        self.rules = current_rules(session)
        self.model = active_model(session)
        self.scorer = scorer_for(self.rules.rules)
        self.scored = ScoringRun(
            rules_version=self.rules.version,
            model_version=self.model.version if self.model else None,
        )
        self.routing = current_routing(session)
        self.routed = AssignSummary(rule_version=self.routing.version)
        self.plans: dict[str, TeamPlan] = {}
        self.owned: list[Written] = []
        self.pooled: list[Written] = []
        self.status_of: dict[int, str] = {}  # status before the pool, of leads sent there

    def score(self, rows: LeadRows) -> Part:
        scores, predicted = score_rows(rows, self.scorer, self.model)
        plan = plan_scores(rows, scores, predicted, self.rules, self.model)
        self.scored.considered += len(rows)
        return Part(rows, scores, plan)

    def route(self, session: Session, parts: list[Part], at: datetime) -> None:
        """Lock the routing teams' reps (the lock order's first step), then route in memory."""
        rules = self.routing.rules
        names = {rule.team for rule in rules.rules} | {rules.fallback_team}
        self.plans = team_plans(session, rules, names, at)
        _route_parts(parts, compiled_rules(rules), self.plans, self.routed)

    def record(self, session: Session, part: Part, written: Any, at: datetime) -> None:
        _record_part(session, part, written, self, at)

    def finish(self, session: Session, at: datetime) -> None:
        """The routing history of every lead recorded, the round-robin cursors, the counts."""
        save_cursors(session, self.plans)
        write_history(
            session, self.routing.version, self.owned, self.pooled, self.status_of, at, None
        )
        picked = {w[0]: (w[1], w[2], w[3]) for w in (*self.owned, *self.pooled)}
        owned, pooled = [w[0] for w in self.owned], [w[0] for w in self.pooled]
        count_outcomes(self.routed, owned, pooled, picked)


@fewer_collections()
def qualify_in_one_pass(
    session: Session,
    *,
    at: datetime,
    lead_ids: Sequence[int] | None = None,
    chunk: int = CHUNK,
) -> tuple[ScoringRun, AssignSummary]:
    """Score open leads (all, or ``lead_ids``) and route the unowned ones among them; the
    caller's transaction must have begun with ``closeloop.db.locks.begin_writing``."""
    started = time.perf_counter()
    qualifying = Qualifying(session)
    ids = (
        open_lead_ids(session)
        if lead_ids is None
        else np.unique(np.asarray(list(lead_ids), dtype=np.int64))
    )
    parts: list[Part] = []
    for start in range(0, len(ids), chunk):
        part_ids = ids[start : start + chunk]
        if lead_ids is None:
            rows = read_leads(session, at=at, id_range=(int(part_ids[0]), int(part_ids[-1])))
        else:
            rows = read_leads(session, at=at, ids=part_ids.tolist())
        parts.append(qualifying.score(rows))
        rows.drop_touches()  # kept until the write: only the lead columns are needed
    qualifying.route(session, parts, at)
    due = sla_clock.first_contact_due(session, at=at)
    skipped: list[int] = []
    _updates.create(session.connection())
    try:
        for part in parts:
            tried, written = _write(session, part, qualifying, due, at)
            skipped.extend(np.setdiff1d(tried, written).tolist())
            qualifying.record(session, part, written, at)
    finally:
        _updates.drop(session.connection())
    qualifying.finish(session, at)
    if skipped:
        _afresh(session, skipped, qualifying, at)
    summary = qualifying.routed
    summary.skipped = summary.considered - summary.assigned - summary.pooled - summary.unrouted
    qualifying.scored.seconds = summary.seconds = time.perf_counter() - started
    return qualifying.scored, summary


def _afresh(session: Session, lead_ids: list[int], qualifying: Qualifying, at: datetime) -> None:
    """Leads changed by someone else after the read: the two services look at them again."""
    again = score_leads(session, at=at, lead_ids=lead_ids)
    qualifying.scored.changed += again.changed
    qualifying.scored.decisions += again.decisions
    qualifying.scored.mql += again.mql
    qualifying.scored.mql_lead_ids.extend(again.mql_lead_ids)
    routed = assign_leads(session, at=at, lead_ids=lead_ids)
    summary = qualifying.routed
    summary.assigned += routed.assigned
    summary.pooled += routed.pooled
    for team, counts in routed.by_team.items():
        mine = summary.by_team.setdefault(team, {"assigned": 0, "pooled": 0})
        mine["assigned"] += counts["assigned"]
        mine["pooled"] += counts["pooled"]
    for email, count in routed.by_rep.items():
        summary.by_rep[email] = summary.by_rep.get(email, 0) + count


def _route_parts(
    parts: list[Part], compiled: CompiledRules, plans: dict[str, TeamPlan], summary: AssignSummary
) -> None:
    """Choose a team and a rep (or the pool) for every open unowned lead, best score first."""
    candidates: list[tuple[int, int, int, int]] = []  # (-score, id, part, position)
    for number, part in enumerate(parts):
        c = part.rows.columns
        ids, total = part.rows.ids.tolist(), part.scores.total.tolist()
        crossing = part.plan.crossing.tolist()
        for i, (owner, status) in enumerate(zip(c["owner_id"], c["status"], strict=True)):
            after = S.MQL.value if crossing[i] else status
            if owner is None and after in routing_repo.ASSIGNABLE:
                candidates.append((-total[i], ids[i], number, i))
    candidates.sort()
    summary.considered = len(candidates)
    for _, _, number, i in candidates:
        part = parts[number]
        c = part.rows.columns
        choice = compiled.team_for_values(
            c["region"][i],
            c["city"][i],
            c["industry"][i],
            c["company_size"][i],
            part.rows.channel[i],
        )
        plan = plans[choice.team]
        if plan.team_id is None:  # no such team: left as it is (see assign_lead)
            summary.unrouted += 1
            continue
        rep = plan.chooser.choose() if plan.chooser else None
        part.routes[i] = (choice.rule, plan, rep.id if rep else None)


def _write(
    session: Session,
    part: Part,
    qualifying: Qualifying,
    due: sla_clock.FirstContactDue,
    at: datetime,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """One UPDATE for the chunk's leads that change: the ids it meant to write, and those it
    wrote (the rest changed meanwhile)."""
    rows, scores, plan = part.rows, part.scores, part.plan
    version, model_version = qualifying.rules.version, qualifying.scored.model_version
    c = rows.columns
    ids, total = rows.ids.tolist(), scores.total.tolist()
    fit, engagement = scores.fit.tolist(), scores.engagement.tolist()
    changed, crossing = plan.changed.tolist(), plan.crossing.tolist()
    data = []
    for i in np.flatnonzero(plan.changed | plan.crossing).tolist() + [
        i for i in part.routes if not (changed[i] or crossing[i])
    ]:
        route = part.routes.get(i)
        rescored = changed[i]
        rep_id = route[2] if route else None
        team_id = route[1].team_id if route else None
        data.append(
            {
                "id": ids[i],
                "read_status": c["status"][i],
                "read_owner": c["owner_id"][i],
                "rescored": int(rescored),
                "score": total[i] if rescored else None,
                "fit_score": fit[i] if rescored else None,
                "engagement_score": engagement[i] if rescored else None,
                "score_version": version if rescored else None,
                "score_factors": scores.factors_json[i] if rescored else None,
                "predicted_conversion": plan.probability[i] if rescored else None,
                "model_version": model_version if rescored else None,
                "mql": int(crossing[i]),
                "new_status": S.POOL.value
                if route and rep_id is None
                else (S.MQL.value if crossing[i] else None),
                "owner_id": rep_id,
                "team_id": team_id,
                "sla_due_at": due.for_team(team_id) if rep_id is not None else None,
            }
        )
    tried = np.array([row["id"] for row in data], dtype=np.int64)
    if not data:
        return tried, tried
    session.execute(_updates.delete())
    insert_rows(session, _updates, data)
    dialect = session.get_bind().dialect.name
    analyze_temporary(session.connection(), "qualify_updates")
    factors = "CAST(u.score_factors AS json)" if dialect == "postgresql" else "u.score_factors"
    statement = text(_WRITE.format(factors=factors)).bindparams(
        bindparam("at", type_=UTCDateTime())
    )
    written = np.array(session.scalars(statement, {"at": at}).all(), dtype=np.int64)
    owned = [row["id"] for row in data if row["owner_id"] is not None]
    sla_clock.start_steps(session, np.intersect1d(owned, written).tolist())
    return tried, written


def _record_part(
    session: Session,
    part: Part,
    written: np.ndarray[Any, Any],
    qualifying: Qualifying,
    at: datetime,
) -> None:
    """The chunk's scoring history now; its routing history is gathered for one write."""
    rows, plan, rules, scored = part.rows, part.plan, qualifying.rules, qualifying.scored
    done = np.isin(rows.ids, written)
    mql = np.flatnonzero(plan.crossing & done)
    ids, statuses = rows.ids.tolist(), rows.columns["status"]
    scored.changed += int(np.count_nonzero(plan.changed & done))
    promoted = [(ids[i], statuses[i]) for i in mql.tolist()]
    record_mql(session, promoted, rules, part.scores, rows, at=at)
    mql_ids = [lead_id for lead_id, _ in promoted]
    scored.mql += len(mql_ids)
    scored.mql_lead_ids.extend(mql_ids)
    decided = np.flatnonzero((plan.score_changed | plan.crossing) & done)
    record_scored(
        session,
        rows,
        part.scores,
        decided,
        plan.old_score,
        plan.unscored,
        set(mql_ids),
        rules.version,
        at,
    )
    scored.decisions += len(decided)
    crossing = plan.crossing.tolist()
    done_list = done.tolist()
    for i, (rule, team_plan, rep_id) in part.routes.items():
        if not done_list[i]:
            continue
        qualifying.status_of[ids[i]] = S.MQL.value if crossing[i] else statuses[i]
        (qualifying.owned if rep_id is not None else qualifying.pooled).append(
            (ids[i], rule, team_plan, rep_id)
        )
