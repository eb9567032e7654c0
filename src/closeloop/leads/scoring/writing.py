"""Writing scores back set-based: changed leads, ``scored`` decisions, the MQL hand-off."""

from __future__ import annotations

import json
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
from closeloop.db.dialect import analyze_temporary, bulk_insert, one_of
from closeloop.db.types import UTCDateTime
from closeloop.jobs.outbox import emit_many
from closeloop.leads.decisions import DecisionKind
from closeloop.leads.scoring.compute import BatchScores
from closeloop.leads.scoring.model import ActiveModel
from closeloop.leads.scoring.reading import LeadRows
from closeloop.leads.scoring.rules import ScoringRules
from closeloop.models import Lead, LeadDecision, LeadStatus, LeadStatusChange
from closeloop.rules.store import ActiveRules

S = LeadStatus
# The statuses a score may promote to MQL (the brief's hand-off; ALLOWED permits each → mql).
PROMOTABLE = (S.NEW, S.WORKING, S.NURTURE)


def score_columns() -> list[Column[Any]]:
    """A lead's score columns as a temporary table of updates holds them (new objects per call:
    a column belongs to one table)."""
    return [
        Column("score", SmallInteger),
        Column("fit_score", SmallInteger),
        Column("engagement_score", SmallInteger),
        Column("score_version", Integer),
        Column("score_factors", Text),  # JSON text made by compute.py
        Column("predicted_conversion", Float),
        Column("model_version", Integer),
    ]


_updates = Table(
    "scoring_updates",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    *score_columns(),
    prefixes=["TEMPORARY"],
)


def record_scored(
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


def write_scores(
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
    analyze_temporary(session.connection(), "scoring_updates")
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


def promote(
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
    record_mql(session, [(row.id, row.status) for row in current], rules, scores, rows, at=at)
    return ids


def record_mql(
    session: Session,
    promoted: list[tuple[int, str]],
    rules: ActiveRules[ScoringRules],
    scores: BatchScores,
    rows: LeadRows,
    *,
    at: datetime,
) -> None:
    """The history row and the two events of each lead (id, status before) moved to MQL."""
    threshold = rules.rules.mql_threshold
    position = dict(zip(rows.ids.tolist(), range(len(rows)), strict=True))
    changes, events = [], []
    for lead_id, from_status in promoted:
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
