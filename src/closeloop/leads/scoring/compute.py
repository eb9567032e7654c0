"""Pure scoring: rules + what a lead is and did → fit, engagement, total and the top factors.

One code path for one lead and for a million: ``score_one`` is ``score_batch`` of one row, so the
HTTP capture and the bulk job can never disagree.
"""

from __future__ import annotations

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
    factors: list[list[list[Any]]]


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
        return BatchScores(fit=fit, engagement=engagement, total=total, factors=factors)

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
    ) -> list[list[list[Any]]]:
        kinds = [f"engagement: {k}" for k in self.kinds]
        rounded = np.round(per_kind, 1)
        active_rows, active_cols = np.nonzero(rounded)
        engaged: list[list[list[Any]]] = [[] for _ in range(n)]
        values = rounded[active_rows, active_cols].tolist()
        for row, col, points in zip(
            active_rows.tolist(), active_cols.tolist(), values, strict=True
        ):
            engaged[row].append([kinds[col], int(points) if points.is_integer() else points])
        result = []
        band_list = band.tolist()
        for i, (ind, ip, sp, lv, sep, reg, rp) in enumerate(
            zip(
                industry,
                industry_pts.tolist(),
                size_pts.tolist(),
                levels,
                seniority_pts.tolist(),
                region,
                region_pts.tolist(),
                strict=True,
            )
        ):
            items = engaged[i]
            if ip:
                items.append([f"industry: {ind}", ip])
            if sp:
                items.append([self._band_labels[band_list[i]], sp])
            if sep:
                items.append([f"title: {lv.level}", sep])  # type: ignore[union-attr]
            if rp:
                items.append([f"region: {reg}", rp])
            if len(items) > 1:
                items.sort(key=lambda item: (-abs(item[1]), item[0]))
            result.append(items[:MAX_FACTORS])
        return result


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
