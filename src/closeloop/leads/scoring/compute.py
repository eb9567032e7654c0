"""Pure scoring: rules + what a lead is and did → fit, engagement, total and the top factors.

One code path for one lead and for a million: ``score_one`` is ``score_batch`` of one row, so the
HTTP capture and the bulk job can never disagree.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from closeloop.leads.scoring.rules import ScoringRules, Seniority

MAX_FACTORS = 5
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]


@dataclass(frozen=True)
class LeadFacts:
    """What scoring reads about one lead: firmographics and its touches (kind, age in days)."""

    industry: str | None = None
    company_size: int | None = None
    region: str | None = None
    title: str | None = None
    touches: Sequence[tuple[str, float]] = ()


@dataclass(frozen=True)
class Score:
    fit: int
    engagement: int
    total: int
    factors: list[list[Any]]  # [[factor, points], …], largest |points| first


@dataclass(frozen=True)
class BatchScores:
    fit: IntArray
    engagement: IntArray
    total: IntArray
    factors_json: list[str]  # each lead's factors, as stored in ``leads.score_factors``

    @property
    def factors(self) -> list[list[list[Any]]]:
        return [json.loads(text) for text in self.factors_json]


class SeniorityMatcher:
    """Recognizes a title's seniority level: the longest keyword found in it decides.

    Latin keywords match whole words only (``cto`` is not in "director"); Chinese ones anywhere.
    """

    def __init__(self, levels: Sequence[Seniority]) -> None:
        pairs = [(keyword, level) for level in levels for keyword in level.keywords]
        pairs.sort(key=lambda pair: -len(pair[0]))  # stable: ties keep the configured order
        self._patterns = [
            (
                re.compile(rf"(?<![a-z0-9]){re.escape(keyword)}(?![a-z0-9])")
                if keyword.isascii()
                else re.compile(re.escape(keyword)),
                level,
            )
            for keyword, level in pairs
        ]
        self._cache: dict[str | None, Seniority | None] = {None: None}

    def __call__(self, title: str | None) -> Seniority | None:
        try:
            return self._cache[title]
        except KeyError:
            pass
        text = title.lower()  # type: ignore[union-attr]
        found = next((level for pattern, level in self._patterns if pattern.search(text)), None)
        if len(self._cache) < 100_000:
            self._cache[title] = found
        return found


class Scorer:
    """The rules compiled once for many leads."""

    def __init__(self, rules: ScoringRules) -> None:
        self.rules = rules
        self.seniority = SeniorityMatcher(rules.seniority)
        self.kinds = list(rules.engagement)
        self._kind_index = {kind: i for i, kind in enumerate(self.kinds)}
        self._kind_points = np.array([rules.engagement[k] for k in self.kinds], dtype=np.float64)
        bands = rules.company_size
        self._band_low = np.array([b.min_employees for b in bands], dtype=np.float64)
        self._band_high = np.array(
            [math.inf if b.max_employees is None else b.max_employees for b in bands],
            dtype=np.float64,
        )
        self._band_points = np.array([b.points for b in bands], dtype=np.int64)
        self._band_labels = [f"size: {b.label}" for b in bands]

    def kind_codes(self, kinds: Sequence[str | None]) -> IntArray:
        """Each touch kind's column, or -1 for kinds the rules give no points."""
        index = self._kind_index
        return np.fromiter(
            (index.get((k or "").lower(), -1) for k in kinds), dtype=np.int64, count=len(kinds)
        )

    def score_batch(
        self,
        *,
        industry: Sequence[str | None],
        company_size: Sequence[float | None],
        region: Sequence[str | None],
        title: Sequence[str | None],
        touch_lead: IntArray,
        touch_kind: IntArray,
        touch_age_days: FloatArray,
    ) -> BatchScores:
        """Score ``n`` leads; touches are given by lead position, kind column and age in days."""
        n = len(industry)
        rules = self.rules
        industry_keys = [(i or "").strip().lower() for i in industry]
        industry_pts = np.fromiter(
            (rules.industry.get(k, 0) for k in industry_keys), dtype=np.int64, count=n
        )
        region_pts = np.fromiter((rules.region.get(r or "", 0) for r in region), np.int64, n)
        levels = [self.seniority(t) for t in title]
        seniority_pts = np.fromiter((lv.points if lv else 0 for lv in levels), np.int64, n)
        size = np.array([np.nan if s is None else s for s in company_size], dtype=np.float64)
        band = self._band_of(size)
        points = np.append(self._band_points, 0)  # band -1 (none) reads the appended 0
        size_pts = points[band]
        fit = industry_pts + size_pts + seniority_pts + region_pts

        per_kind = np.zeros((n, len(self.kinds)), dtype=np.float64)
        if len(touch_lead):
            known = (touch_kind >= 0) & (touch_age_days >= 0)
            lead, kind = touch_lead[known], touch_kind[known]
            decayed = self._kind_points[kind] * np.exp2(
                -touch_age_days[known] / rules.half_life_days
            )
            np.add.at(per_kind, (lead, kind), decayed)
        raw = per_kind.sum(axis=1)
        capped = np.minimum(raw, rules.engagement_max)
        engagement = np.rint(capped).astype(np.int64)
        total = np.clip(fit + engagement, 0, 100)
        # When the cap bites, each touch kind's share is scaled so the factors add up to it.
        scale = np.where(raw > rules.engagement_max, capped / np.where(raw == 0, 1, raw), 1.0)

        factors = self._factors(
            n, industry_keys, industry_pts, size_pts, band, levels, seniority_pts, region,
            region_pts, per_kind * scale[:, None],
        )  # fmt: skip
        return BatchScores(fit=fit, engagement=engagement, total=total, factors_json=factors)

    def _band_of(self, size: FloatArray) -> IntArray:
        if not len(self._band_low):
            return np.full(len(size), -1, dtype=np.int64)
        position = np.searchsorted(self._band_low, np.nan_to_num(size, nan=-1.0), side="right") - 1
        inside = (position >= 0) & ~np.isnan(size)
        high = self._band_high[np.maximum(position, 0)]
        inside &= size <= high
        return np.where(inside, position, -1)

    def _factors(
        self,
        n: int,
        industry: list[str],
        industry_pts: IntArray,
        size_pts: IntArray,
        band: IntArray,
        levels: list[Seniority | None],
        seniority_pts: IntArray,
        region: Sequence[str | None],
        region_pts: IntArray,
        per_kind: FloatArray,
    ) -> list[str]:
        """Each lead's top factors as JSON text (written as is; ``Score`` parses it).

        Ranked by |points| with numpy; ties keep the column order: industry, size, title,
        region, then touch kinds as the rules list them.
        """
        points = np.column_stack(
            [industry_pts, size_pts, seniority_pts, region_pts, np.round(per_kind, 1)]
        ).astype(np.float64)
        width = min(MAX_FACTORS, points.shape[1])
        order = np.argsort(-np.abs(points), axis=1, kind="stable")[:, :width]
        values = np.take_along_axis(points, order, axis=1)
        quote = _json_text
        # Labels and entries are built column-wise over object arrays (numpy loops in C), so
        # the only per-lead Python is one join.
        labels = np.empty(points.shape, dtype=object)
        labels[:, 0] = [quote(f"industry: {i}") for i in industry]
        band_labels = np.array([quote(label) for label in self._band_labels] + [""], dtype=object)
        labels[:, 1] = band_labels[band]
        labels[:, 2] = [quote(f"title: {lv.level}") if lv else "" for lv in levels]
        labels[:, 3] = [quote(f"region: {r}") for r in region]
        for k, kind in enumerate(self.kinds):
            labels[:, 4 + k] = quote(f"engagement: {kind}")
        top_labels = np.take_along_axis(labels, order, axis=1)
        # Few distinct point values: each is formatted once (np.char.mod per cell cost seconds).
        distinct, position = np.unique(values, return_inverse=True)
        numbers = np.array([f"{v:g}" for v in distinct.tolist()], dtype=object)[
            position.reshape(values.shape)
        ]
        entries = "[" + top_labels + "," + numbers + "]"
        entries[values == 0] = ""
        return ["[" + ",".join(filter(None, row)) + "]" for row in entries.tolist()]


_quoted: dict[str, str] = {}


def _json_text(label: str) -> str:
    found = _quoted.get(label)
    if found is None:
        found = json.dumps(label, ensure_ascii=False)
        if len(_quoted) < 10_000:
            _quoted[label] = found
    return found


def score_one(rules: ScoringRules | Scorer, facts: LeadFacts) -> Score:
    """Score one lead (the batch path with one row)."""
    scorer = rules if isinstance(rules, Scorer) else Scorer(rules)
    kinds = [kind for kind, _ in facts.touches]
    batch = scorer.score_batch(
        industry=[facts.industry],
        company_size=[facts.company_size],
        region=[facts.region],
        title=[facts.title],
        touch_lead=np.zeros(len(kinds), dtype=np.int64),
        touch_kind=scorer.kind_codes(kinds),
        touch_age_days=np.array([age for _, age in facts.touches], dtype=np.float64),
    )
    return Score(
        fit=int(batch.fit[0]),
        engagement=int(batch.engagement[0]),
        total=int(batch.total[0]),
        factors=batch.factors[0],
    )
