"""Scoring leads: one at capture, or all open ones set-based; the sales-ready (MQL) hand-off.

Only what changed is written: a lead's columns when its score, parts, rules or model changed;
a ``scored`` decision when its score changed; an MQL transition when it crosses the threshold.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from closeloop.errors import NotFound
from closeloop.i18n import N_
from closeloop.leads.scoring.compute import BatchScores, Scorer
from closeloop.leads.scoring.model import ActiveModel, active_model
from closeloop.leads.scoring.reading import LeadRows, open_lead_ids, read_leads
from closeloop.leads.scoring.rules import DEFAULT, KIND, ScoringRules
from closeloop.leads.scoring.writing import PROMOTABLE, promote, record_scored, write_scores
from closeloop.models import LeadStatus
from closeloop.rules.store import ActiveRules, active_rules

S = LeadStatus
CHUNK = 100_000
PROBABILITY_STEP = 5e-4  # a prediction that moved less than this is not rewritten


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
    channel_code: str | None = None  # read with the lead: routing needs it next


def current_rules(session: Session) -> ActiveRules[ScoringRules]:
    """The scoring rules in force (version 0 is the built-in default)."""
    return active_rules(session, KIND, ScoringRules, DEFAULT)


_scorers: dict[int, tuple[ScoringRules, Scorer]] = {}


def scorer_for(rules: ScoringRules) -> Scorer:
    """The compiled scorer of ``rules`` (the rules in force are one shared object per version,
    so compiling their keyword matchers happens once, not once per captured lead)."""
    found = _scorers.get(id(rules))
    if found is None or found[0] is not rules:
        _scorers.clear()
        found = _scorers[id(rules)] = (rules, Scorer(rules))
    return found[1]


def score_lead(session: Session, *, lead_id: int, at: datetime) -> LeadScore:
    """Score one lead now (at capture): the same computation and writes as the batch."""
    run = ScoringRun()
    rules = current_rules(session)
    model = active_model(session)
    rows = read_leads(session, at=at, ids=[lead_id], open_only=False)
    if not len(rows):
        raise NotFound(N_("lead %(lead_id)s does not exist"), field="lead_id", lead_id=lead_id)
    scores, predicted = score_rows(rows, scorer_for(rules.rules), model)
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
        channel_code=rows.channel[0],
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
    scorer = scorer_for(rules.rules)
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
        scores, predicted = score_rows(rows, scorer, model)
        _apply(session, rows, scores, predicted, rules, model, at=at, run=run)
    run.seconds = time.perf_counter() - started
    return run


def score_rows(
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


@dataclass
class ScorePlan:
    """What scoring a set of leads changes, decided before anything is written."""

    changed: np.ndarray[Any, Any]  # mask: the lead's score columns are rewritten
    crossing: np.ndarray[Any, Any]  # mask: crosses the MQL threshold (if still promotable)
    score_changed: np.ndarray[Any, Any]  # mask: its score moved (a ``scored`` decision)
    probability: list[float | None]
    old_score: np.ndarray[Any, Any]
    unscored: np.ndarray[Any, Any]


def plan_scores(
    rows: LeadRows,
    scores: BatchScores,
    predicted: np.ndarray[Any, Any] | None,
    rules: ActiveRules[ScoringRules],
    model: ActiveModel | None,
) -> ScorePlan:
    """Compare new scores with the stored ones: what to rewrite, who crosses the threshold."""
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
    return ScorePlan(changed, crossing, score_changed, probability, old_score, unscored)


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
    plan = plan_scores(rows, scores, predicted, rules, model)
    version = rules.version
    index = np.flatnonzero(plan.changed)
    run.changed += len(index)
    if len(index):
        write_scores(session, rows, scores, plan.probability, index, version, model, at)
    mql_ids = promote(session, rows.ids[plan.crossing], rules, scores, rows, at=at)
    run.mql += len(mql_ids)
    run.mql_lead_ids.extend(mql_ids)
    decided = np.flatnonzero(plan.score_changed | np.isin(rows.ids, mql_ids))
    record_scored(
        session, rows, scores, decided, plan.old_score, plan.unscored, set(mql_ids), version, at
    )
    run.decisions += len(decided)
    return plan.changed
