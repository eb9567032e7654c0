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
    """m (given a match) and u (given a non-match) per field and level, and the match share.

    u is over all pairs of records (the candidates by their posterior, the other pairs through
    random pairs), m over the matches. A candidate is a non-match picked by blocking, which
    happens to a share ``candidate_rate`` of all non-matches: it enters every Bayes factor, so
    the evidence is that of a match against a non-match candidate.
    """

    comparisons: list[Comparison]
    m: list[FloatArray]
    u: list[FloatArray]
    prior: float  # share of matches among the candidate pairs
    iterations: int
    candidate_rate: float = 1.0  # share of all non-match pairs that are candidates

    def log_bayes_factors(
        self, levels: LevelArray, adjustment: FloatArray | None = None
    ) -> FloatArray:
        """Natural-log likelihood ratio of a match against a non-match candidate.

        The sum over fields of log(m/u) (a missing field adds nothing), plus the log of the
        candidate rate, plus the term-frequency ``adjustment`` of each pair if given.
        """
        total = np.full(len(levels), float(np.log(self.candidate_rate)))
        for k, (m, u) in enumerate(zip(self.m, self.u, strict=True)):
            table = np.append(np.log(m / u), 0.0)  # index -1 (missing) reads the 0 at the end
            total += table[levels[:, k]]
        if adjustment is not None:
            total += adjustment
        return total

    def log_odds(self, levels: LevelArray, adjustment: FloatArray | None = None) -> FloatArray:
        """Posterior log-odds (natural) that each candidate pair is a match."""
        prior_odds: float = np.log(self.prior / (1 - self.prior))
        return prior_odds + self.log_bayes_factors(levels, adjustment)

    def match_probability(
        self, levels: LevelArray, adjustment: FloatArray | None = None
    ) -> FloatArray:
        """Posterior probability that each candidate pair is a match."""
        return probability_of(self.log_odds(levels, adjustment))

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


def u_probabilities(
    levels: LevelArray,
    comparisons: Sequence[Comparison],
    u_exact: Sequence[float],
    config: MatchConfig,
) -> list[FloatArray]:
    """The u that EM starts from: exact agreement from value counts, the other levels' shares
    from random pairs, smoothed towards each type's built-in u (which only small inputs feel)."""
    counts = level_counts(levels, comparisons)
    floor = config.probability_floor
    shares = []
    for count, comparison, exact in zip(counts, comparisons, u_exact, strict=True):
        rest = count[1:] + config.u_prior_pairs * np.array(comparison.u_prior[1:])
        total = rest.sum()
        rest = rest / total if total > 0 else np.full(len(rest), 1.0 / len(rest))
        shares.append(_normalized(np.r_[exact, (1 - exact) * rest], floor))
    return shares


def _normalized(counts: FloatArray, floor: float) -> FloatArray:
    total = counts.sum()
    share = counts / total if total > 0 else np.full(len(counts), 1.0 / len(counts))
    share = np.maximum(share, floor)
    normalized: FloatArray = share / share.sum()
    return normalized


ADJUSTMENT_STEP = 0.01  # term-frequency adjustments are grouped to this many nats in EM


def distinct_patterns(
    levels: LevelArray, adjustment: FloatArray
) -> tuple[LevelArray, FloatArray, FloatArray]:
    """The distinct (comparison vector, adjustment) pairs and how often each occurs: EM runs on
    these. Adjustments are rounded to ``ADJUSTMENT_STEP`` for grouping only."""
    if not len(levels):
        return levels, np.empty(0), np.empty(0)
    steps = np.round(adjustment / ADJUSTMENT_STEP).astype(np.int64)
    lowest = int(steps.min())
    width = int(steps.max()) - lowest + 1
    radix = int(levels.max(initial=0)) + 2
    if width * radix ** levels.shape[1] < 2**62:
        code = np.zeros(len(levels), dtype=np.int64)
        for k in range(levels.shape[1]):
            code = code * radix + (levels[:, k].astype(np.int64) + 1)
        _, first, counts = np.unique(
            code * width + (steps - lowest), return_index=True, return_counts=True
        )
    else:  # too many fields for one integer code per pair
        rows = np.column_stack([levels.astype(np.int64), steps])
        _, first, counts = np.unique(rows, axis=0, return_index=True, return_counts=True)
    rounded: FloatArray = steps[first].astype(np.float64) * ADJUSTMENT_STEP
    return levels[first], counts.astype(np.float64), rounded


def outside_counts(
    levels: LevelArray,
    comparisons: Sequence[Comparison],
    scale: float,
    config: MatchConfig,
) -> list[FloatArray]:
    """Level counts of the pairs that are not candidates, in pairs: the random pairs that are
    not candidates, scaled up to all such pairs, plus each type's built-in u as
    ``u_prior_pairs`` pseudo-pairs (which only small inputs feel)."""
    return [
        scale * count + config.u_prior_pairs * np.array(comparison.u_prior)
        for count, comparison in zip(level_counts(levels, comparisons), comparisons, strict=True)
    ]


def fit(
    levels: LevelArray,
    adjustment: FloatArray,
    comparisons: list[Comparison],
    u_start: list[FloatArray],
    outside: list[FloatArray],
    total_pairs: int,
    config: MatchConfig,
) -> FellegiSunterModel:
    """Estimate m, u and the match share by EM over all pairs, of which blocking lists only
    the candidates.

    u is the chance of each level for two different records of the whole list, not of the
    candidates: the candidates count with their posterior of being a non-match, the other pairs
    with their level counts ``outside`` (from random pairs). EM on the candidates alone would
    see a mixture of non-matches made by blocking (colleagues who share a company, namesakes)
    and could take any frequent kind of them for the matches. Over all pairs a company shared
    by colleagues is as common as it is in the list, and only the real excess of agreement is
    left to the matches. The match share is over all pairs too; ``candidate_rate`` turns it
    into the share among candidates.
    """
    patterns, counts, extra = distinct_patterns(levels, adjustment)
    floor = config.probability_floor
    m_start = [_normalized(np.array(c.m_start), floor) for c in comparisons]
    # Dirichlet pseudo-counts centred on the starting values: negligible on real volumes, they
    # keep a handful of pairs from driving m to extremes.
    strength = config.prior_strength
    candidates = float(counts.sum())
    m, u, prior = m_start, u_start, START_PRIOR
    iterations = 0
    for iterations in range(1, config.em_max_iterations + 1):
        model = FellegiSunterModel(
            comparisons, m, u, prior, iterations, candidate_rate(prior, candidates, total_pairs)
        )
        matched = counts * model.match_probability(patterns, extra)
        new_m = _smoothed(level_counts(patterns, comparisons, matched), m_start, strength, floor)
        new_u = [
            _normalized(inside + beyond, floor)
            for inside, beyond in zip(
                level_counts(patterns, comparisons, counts - matched), outside, strict=True
            )
        ]
        new_prior = float((matched.sum() + strength * START_PRIOR) / (candidates + strength))
        new_prior = min(max(new_prior, floor), 1 - floor)
        change = max(
            abs(new_prior - prior),
            *(float(np.abs(a - b).max()) for a, b in zip(new_m + new_u, m + u, strict=True)),
        )
        m, u, prior = new_m, new_u, new_prior
        if change < config.em_tolerance:
            break
    rate = candidate_rate(prior, candidates, total_pairs)
    return FellegiSunterModel(comparisons, m, u, prior, iterations, rate)


def candidate_rate(prior: float, candidates: float, total_pairs: int) -> float:
    """The share of all non-match pairs that blocking made candidates."""
    non_matches = candidates * (1 - prior)
    return float(min(max(non_matches / max(total_pairs - candidates * prior, 1.0), 1e-300), 1.0))


def _smoothed(
    counts: list[FloatArray], centre: list[FloatArray], strength: float, floor: float
) -> list[FloatArray]:
    return [
        _normalized(count + strength * share, floor)
        for count, share in zip(counts, centre, strict=True)
    ]
