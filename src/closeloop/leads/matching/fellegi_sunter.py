"""Fellegi–Sunter match weights with m and u probabilities estimated by EM, without labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from closeloop.leads.matching.compare import MISSING, Comparison, FloatArray, LevelArray
from closeloop.leads.matching.config import MatchConfig

START_PRIOR = 0.1  # the share of matches among candidates EM starts from


@dataclass(frozen=True)
class FellegiSunterModel:
    """m (given a match) and u (given a non-match) per field and level, and the match share."""

    comparisons: list[Comparison]
    m: list[FloatArray]
    u: list[FloatArray]
    prior: float  # share of matches among the candidate pairs
    iterations: int

    def log_bayes_factors(self, levels: LevelArray) -> FloatArray:
        """Natural-log likelihood ratio m/u summed over fields (a missing field adds nothing)."""
        total = np.zeros(len(levels))
        for k, (m, u) in enumerate(zip(self.m, self.u, strict=True)):
            table = np.append(np.log(m / u), 0.0)  # index -1 (missing) reads the 0 at the end
            total += table[levels[:, k]]
        return total

    def log_odds(self, levels: LevelArray) -> FloatArray:
        """Posterior log-odds (natural) that each pair is a match: prior odds times evidence."""
        prior_odds: float = np.log(self.prior / (1 - self.prior))
        return prior_odds + self.log_bayes_factors(levels)

    def match_probability(self, levels: LevelArray) -> FloatArray:
        """Posterior probability that each pair is a match."""
        return probability_of(self.log_odds(levels))

    def weights_table(self) -> list[dict[str, str | float]]:
        """Per field and level: m, u and the match weight log2(m/u), for documentation and audit."""
        rows: list[dict[str, str | float]] = []
        for comparison, m, u in zip(self.comparisons, self.m, self.u, strict=True):
            for level, name in enumerate(comparison.levels):
                rows.append(
                    {
                        "field": comparison.column,
                        "level": name,
                        "m": float(m[level]),
                        "u": float(u[level]),
                        "weight": float(np.log2(m[level] / u[level])),
                    }
                )
        return rows


def probability_of(log_odds: FloatArray) -> FloatArray:
    """The probability of natural log-odds."""
    probability: FloatArray = 1.0 / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))
    return probability


def level_counts(
    levels: LevelArray, comparisons: Sequence[Comparison], weights: FloatArray | None = None
) -> list[FloatArray]:
    """How often each level occurs among present values, per field (optionally weighted)."""
    counts = []
    for k, comparison in enumerate(comparisons):
        column = levels[:, k]
        present = column != MISSING
        counts.append(
            np.bincount(
                column[present].astype(np.int64),
                weights=None if weights is None else weights[present],
                minlength=len(comparison.levels),
            ).astype(np.float64)
        )
    return counts


def u_from_random_pairs(
    levels: LevelArray, comparisons: Sequence[Comparison], config: MatchConfig
) -> list[FloatArray]:
    """u from random pairs, smoothed towards each type's prior (which only small inputs feel)."""
    counts = level_counts(levels, comparisons)
    return [
        _normalized(count + config.u_prior_pairs * np.array(c.u_prior), config.probability_floor)
        for count, c in zip(counts, comparisons, strict=True)
    ]


def _normalized(counts: FloatArray, floor: float) -> FloatArray:
    total = counts.sum()
    share = counts / total if total > 0 else np.full(len(counts), 1.0 / len(counts))
    share = np.maximum(share, floor)
    normalized: FloatArray = share / share.sum()
    return normalized


def distinct_patterns(levels: LevelArray) -> tuple[LevelArray, FloatArray, np.ndarray]:
    """The distinct comparison vectors, how often each occurs, and each pair's pattern index."""
    if levels.shape[1] == 0:
        return levels[:1], np.array([float(len(levels))]), np.zeros(len(levels), dtype=np.int64)
    radix = int(levels.max(initial=0)) + 2
    code = np.zeros(len(levels), dtype=np.int64)
    for k in range(levels.shape[1]):
        code = code * radix + (levels[:, k].astype(np.int64) + 1)
    distinct, first, inverse, counts = np.unique(
        code, return_index=True, return_inverse=True, return_counts=True
    )
    del distinct
    return levels[first], counts.astype(np.float64), inverse


def fit(
    levels: LevelArray,
    comparisons: list[Comparison],
    u_start: list[FloatArray],
    config: MatchConfig,
) -> FellegiSunterModel:
    """Estimate m, u and the match share from unlabelled comparison vectors by EM."""
    patterns, counts, _ = distinct_patterns(levels)
    floor = config.probability_floor
    m_start = [_normalized(np.array(c.m_start), floor) for c in comparisons]
    u_start = [np.array(share) for share in u_start]
    # Dirichlet pseudo-counts centred on the starting values: negligible on real volumes, they
    # keep a handful of pairs from driving m or u to extremes.
    strength = config.prior_strength
    m, u, prior = m_start, u_start, START_PRIOR
    iterations = 0
    for iterations in range(1, config.em_max_iterations + 1):
        model = FellegiSunterModel(comparisons, m, u, prior, iterations)
        posterior = model.match_probability(patterns)
        matched = counts * posterior
        unmatched = counts - matched
        new_m = _smoothed(level_counts(patterns, comparisons, matched), m_start, strength, floor)
        new_u = _smoothed(level_counts(patterns, comparisons, unmatched), u_start, strength, floor)
        new_prior = float((matched.sum() + strength * START_PRIOR) / (counts.sum() + strength))
        change = max(
            abs(new_prior - prior),
            *(float(np.abs(a - b).max()) for a, b in zip(new_m + new_u, m + u, strict=True)),
        )
        m, u, prior = new_m, new_u, new_prior
        if change < config.em_tolerance:
            break
    return FellegiSunterModel(comparisons, m, u, prior, iterations)


def _smoothed(
    counts: list[FloatArray], centre: list[FloatArray], strength: float, floor: float
) -> list[FloatArray]:
    return [
        _normalized(count + strength * share, floor)
        for count, share in zip(counts, centre, strict=True)
    ]
