"""Scoring leads: one at capture, or all open ones set-based; the sales-ready (MQL) hand-off.

Only what changed is written: a lead's columns when its score, parts, rules or model changed;
a ``scored`` decision when its score changed; an MQL transition when it crosses the threshold.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from closeloop.db.bulk import insert_rows
from closeloop.db.dialect import bulk_insert, one_of
from closeloop.db.types import UTCDateTime
from closeloop.errors import NotFound
from closeloop.jobs.outbox import emit_many
from closeloop.leads.decisions import DecisionKind
from closeloop.leads.scoring.compute import BatchScores, Scorer
from closeloop.leads.scoring.model import ActiveModel, active_model
from closeloop.leads.scoring.reading import LeadRows, open_lead_ids, read_leads
from closeloop.leads.scoring.rules import DEFAULT, KIND, ScoringRules
from closeloop.models import Lead, LeadDecision, LeadStatus, LeadStatusChange
from closeloop.rules.store import ActiveRules, active_rules

S = LeadStatus
# The statuses a score may promote to MQL (the brief's hand-off; ALLOWED permits each → mql).
PROMOTABLE = (S.NEW, S.WORKING, S.NURTURE)
CHUNK = 100_000
PROBABILITY_STEP = 5e-4  # a prediction that moved less than this is not rewritten

_updates = Table(
    "scoring_updates",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    Column("score", SmallInteger),
    Column("fit_score", SmallInteger),
    Column("engagement_score", SmallInteger),
    Column("score_version", Integer),
    Column("score_factors", Text),  # JSON text made by compute.py
    Column("predicted_conversion", Float),
    Column("model_version", Integer),
    prefixes=["TEMPORARY"],
)


@dataclass
class ScoringRun:
    """What a batch did."""

    considered: int = 0
    changed: int = 0
    decisions: int = 0
    mql: int = 0
    seconds: float = 0.0
    rules_version: int = 0
    model_version: int | None = None
    mql_lead_ids: list[int] = field(default_factory=list)

    @property
    def leads_per_second(self) -> float:
        return self.considered / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "considered": self.considered,
            "changed": self.changed,
            "decisions": self.decisions,
            "mql": self.mql,
            "seconds": round(self.seconds, 3),
            "leads_per_second": round(self.leads_per_second),
            "rules_version": self.rules_version,
            "model_version": self.model_version,
        }


@dataclass(frozen=True)
class LeadScore:
    lead_id: int
    score: int
    fit: int
    engagement: int
    factors: list[list[Any]]
    changed: bool
    became_mql: bool
    predicted_conversion: float | None
    model_version: int | None


def current_rules(session: Session) -> ActiveRules[ScoringRules]:
    """The scoring rules in force (version 0 is the built-in default)."""
    return active_rules(session, KIND, ScoringRules, DEFAULT)


def score_lead(session: Session, *, lead_id: int, at: datetime) -> LeadScore:
    """Score one lead now (at capture): the same computation and writes as the batch."""
    run = ScoringRun()
    rules = current_rules(session)
    model = active_model(session)
    rows = read_leads(session, at=at, ids=[lead_id], open_only=False)
    if not len(rows):
        raise NotFound(f"lead {lead_id} does not exist", field="lead_id")
    scores, predicted = _score_rows(rows, Scorer(rules.rules), model)
    changed = _apply(session, rows, scores, predicted, rules, model, at=at, run=run)
    return LeadScore(
        lead_id=lead_id,
        score=int(scores.total[0]),
        fit=int(scores.fit[0]),
        engagement=int(scores.engagement[0]),
        factors=scores.factors[0],
        changed=bool(changed),
        became_mql=run.mql > 0,
        predicted_conversion=None if predicted is None else float(predicted[0]),
        model_version=model.version if model else None,
    )


def score_leads(
    session: Session,
    *,
    at: datetime,
    lead_ids: Sequence[int] | None = None,
    chunk: int = CHUNK,
) -> ScoringRun:
    """Score many leads set-based (all open leads when ``lead_ids`` is None)."""
    started = time.perf_counter()
    rules = current_rules(session)
    model = active_model(session)
    run = ScoringRun(rules_version=rules.version, model_version=model.version if model else None)
    scorer = Scorer(rules.rules)
    ids = (
        open_lead_ids(session)
        if lead_ids is None
        else np.unique(np.asarray(list(lead_ids), dtype=np.int64))
    )
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        if lead_ids is None:
            rows = read_leads(session, at=at, id_range=(int(part[0]), int(part[-1])))
        else:
            rows = read_leads(session, at=at, ids=part.tolist())
        run.considered += len(rows)
        scores, predicted = _score_rows(rows, scorer, model)
        _apply(session, rows, scores, predicted, rules, model, at=at, run=run)
    run.seconds = time.perf_counter() - started
    return run


def _score_rows(
    rows: LeadRows, scorer: Scorer, model: ActiveModel | None
) -> tuple[BatchScores, np.ndarray[Any, Any] | None]:
    c = rows.columns
    scores = scorer.score_batch(
        industry=c["industry"],
        company_size=c["company_size"],
        region=c["region"],
        title=c["title"],
        touch_lead=rows.touch_lead,
        touch_kind=scorer.kind_codes(rows.touch_kind),
        touch_age_days=rows.touch_age_days,
    )
    predicted = model.predict(rows) if model is not None and len(rows) else None
    return scores, predicted


def _apply(
    session: Session,
    rows: LeadRows,
    scores: BatchScores,
    predicted: np.ndarray[Any, Any] | None,
    rules: ActiveRules[ScoringRules],
    model: ActiveModel | None,
    *,
    at: datetime,
    run: ScoringRun,
) -> np.ndarray[Any, Any]:
    """Write what changed; return the mask of leads whose columns were rewritten."""
    c = rows.columns
    n = len(rows)
    version = rules.version
    old_score = np.array(c["score"], dtype=np.int64)
    old_version = np.array([-1 if v is None else v for v in c["score_version"]], dtype=np.int64)
    unscored = np.array([v is None for v in c["score_version"]], dtype=bool)
    score_changed = (scores.total != old_score) | unscored
    changed = (
        score_changed
        | (scores.fit != np.array(c["fit_score"], dtype=np.int64))
        | (scores.engagement != np.array(c["engagement_score"], dtype=np.int64))
        | (old_version != version)
    )
    probability: list[float | None] = [None] * n
    if predicted is not None and model is not None:
        old_p = np.array([np.nan if p is None else p for p in c["predicted_conversion"]])
        old_model = np.array([-1 if v is None else v for v in c["model_version"]])
        changed |= (old_model != model.version) | ~(np.abs(predicted - old_p) < PROBABILITY_STEP)
        probability = np.round(predicted, 4).tolist()
    threshold = rules.rules.mql_threshold
    status = np.array(c["status"], dtype=object)
    crossing = (
        np.isin(status, [s.value for s in PROMOTABLE])
        & (scores.total >= threshold)
        & (unscored | (old_score < threshold) | (old_version != version))
    )
    index = np.flatnonzero(changed)
    run.changed += len(index)
    if len(index):
        _write_scores(session, rows, scores, probability, index, version, model, at)
    mql_ids = _promote(session, rows.ids[crossing], rules, scores, rows, at=at)
    run.mql += len(mql_ids)
    run.mql_lead_ids.extend(mql_ids)
    decided = np.flatnonzero(score_changed | np.isin(rows.ids, mql_ids))
    _record_scored(session, rows, scores, decided, old_score, unscored, set(mql_ids), version, at)
    run.decisions += len(decided)
    return changed


def _record_scored(
    session: Session,
    rows: LeadRows,
    scores: BatchScores,
    decided: np.ndarray[Any, Any],
    old_score: np.ndarray[Any, Any],
    unscored: np.ndarray[Any, Any],
    mql: set[int],
    version: int,
    at: datetime,
) -> None:
    """The ``scored`` decisions, bulk: the detail JSON is formatted here, not per row by
    json.dumps (the same keys as ``record_decision``)."""
    if not len(decided):
        return
    connection = session.connection()
    stamp = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if connection.dialect.name == "postgresql":
        stamp += "+00"
    rule = f"scoring v{version}"
    ids, total = rows.ids.tolist(), scores.total.tolist()
    fit, engagement = scores.fit.tolist(), scores.engagement.tolist()
    old, none = old_score.tolist(), unscored.tolist()
    kind = DecisionKind.SCORED.value
    data = []
    for i in decided.tolist():
        previous = "null" if none[i] else old[i]
        extra = ', "mql": true' if ids[i] in mql else ""
        detail = (
            f'{{"score": {total[i]}, "previous": {previous}, "fit": {fit[i]}, '
            f'"engagement": {engagement[i]}{extra}}}'
        )
        data.append((ids[i], kind, stamp, None, rule, version, detail))
    columns = ["lead_id", "kind", "decided_at", "actor_id", "rule", "rule_version", "detail"]
    bulk_insert(connection, LeadDecision.__table__, columns, data)  # type: ignore[arg-type]


def _write_scores(
    session: Session,
    rows: LeadRows,
    scores: BatchScores,
    probability: list[float | None],
    index: np.ndarray[Any, Any],
    version: int,
    model: ActiveModel | None,
    at: datetime,
) -> None:
    model_version = model.version if model is not None else None
    ids, total = rows.ids.tolist(), scores.total.tolist()
    fit, engagement = scores.fit.tolist(), scores.engagement.tolist()
    if len(index) <= 50:  # one lead over HTTP: a plain UPDATE beats a temporary table
        statement = (
            update(Lead.__table__)  # type: ignore[arg-type]
            .where(Lead.__table__.c.id == bindparam("lead_id"))
            .values(
                score=bindparam("score"),
                fit_score=bindparam("fit_score"),
                engagement_score=bindparam("engagement_score"),
                score_version=bindparam("score_version"),
                score_factors=bindparam("score_factors"),
                predicted_conversion=bindparam("predicted_conversion"),
                model_version=bindparam("model_version"),
                scored_at=bindparam("at"),
                updated_at=bindparam("at"),
            )
        )
        session.execute(
            statement,
            [
                {
                    "lead_id": ids[i],
                    "score": total[i],
                    "fit_score": fit[i],
                    "engagement_score": engagement[i],
                    "score_version": version,
                    "score_factors": json.loads(scores.factors_json[i]),
                    "predicted_conversion": probability[i],
                    "model_version": model_version,
                    "at": at,
                }
                for i in index.tolist()
            ],
        )
        return
    connection = session.connection()
    dialect = connection.dialect.name
    _updates.create(connection)
    insert_rows(
        session,
        _updates,
        [
            {
                "id": ids[i],
                "score": total[i],
                "fit_score": fit[i],
                "engagement_score": engagement[i],
                "score_version": version,
                "score_factors": scores.factors_json[i],
                "predicted_conversion": probability[i],
                "model_version": model_version,
            }
            for i in index.tolist()
        ],
    )
    if dialect == "postgresql":  # a temporary table has no statistics until analyzed
        session.execute(text("ANALYZE scoring_updates"))
    factors = "CAST(u.score_factors AS json)" if dialect == "postgresql" else "u.score_factors"
    session.execute(
        text(
            "UPDATE leads SET score = u.score, fit_score = u.fit_score, "
            "engagement_score = u.engagement_score, score_version = u.score_version, "
            f"score_factors = {factors}, predicted_conversion = u.predicted_conversion, "
            "model_version = u.model_version, scored_at = :at, updated_at = :at "
            "FROM scoring_updates AS u WHERE leads.id = u.id"
        ).bindparams(bindparam("at", type_=UTCDateTime())),
        {"at": at},
    )
    _updates.drop(connection)


def _promote(
    session: Session,
    candidates: np.ndarray[Any, Any],
    rules: ActiveRules[ScoringRules],
    scores: BatchScores,
    rows: LeadRows,
    *,
    at: datetime,
) -> list[int]:
    """Move leads that crossed the threshold to MQL: history, milestone, events (set-based)."""
    if not len(candidates):
        return []
    dialect = session.get_bind().dialect.name
    leads = Lead.__table__
    promotable = [s.value for s in PROMOTABLE]
    # Re-read under a row lock: a rep may have moved the lead since it was read.
    statement = select(leads.c.id, leads.c.status).where(
        one_of(dialect, leads.c.id, candidates.tolist()), leads.c.status.in_(promotable)
    )
    if dialect == "postgresql":
        statement = statement.order_by(leads.c.id).with_for_update()
    current = session.execute(statement).all()
    if not current:
        return []
    ids = [row.id for row in current]
    at_value = bindparam("at", at, type_=UTCDateTime())
    session.execute(
        update(leads)  # type: ignore[arg-type]
        .where(one_of(dialect, leads.c.id, ids))
        .values(
            status=S.MQL.value, mql_at=func.coalesce(leads.c.mql_at, at_value), updated_at=at_value
        )
    )
    threshold = rules.rules.mql_threshold
    position = dict(zip(rows.ids.tolist(), range(len(rows)), strict=True))
    changes, events = [], []
    for lead_id, from_status in current:
        score = int(scores.total[position[lead_id]])
        reason = f"score {score} reached the MQL threshold {threshold} (scoring v{rules.version})"
        changes.append(
            {
                "lead_id": lead_id,
                "from_status": from_status,
                "to_status": S.MQL.value,
                "changed_at": at,
                "changed_by_id": None,
                "reason": reason,
                "created_at": at,
                "updated_at": at,
            }
        )
        payload = {"lead_id": lead_id, "from": from_status, "to": S.MQL.value, "reason": reason}
        events.append(
            {
                "topic": "lead.status_changed",
                "lead_id": lead_id,
                "payload": payload,
                "created_at": at,
            }
        )
        events.append(
            {
                "topic": "lead.mql",
                "lead_id": lead_id,
                "payload": {
                    "lead_id": lead_id,
                    "score": score,
                    "threshold": threshold,
                    "rule_version": rules.version,
                },
                "created_at": at,
            }
        )
    insert_rows(session, LeadStatusChange.__table__, changes)  # type: ignore[arg-type]
    emit_many(session, events)
    return ids
