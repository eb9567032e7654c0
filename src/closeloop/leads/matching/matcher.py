"""The matcher's public API: de-duplicate one list of records or link two; scored pairs out."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.leads.matching.blocking import candidate_pairs, random_pairs
from closeloop.leads.matching.clusters import close_clusters
from closeloop.leads.matching.compare import FloatArray, compare
from closeloop.leads.matching.config import MatchConfig
from closeloop.leads.matching.fellegi_sunter import (
    FellegiSunterModel,
    fit,
    outside_counts,
    probability_of,
    u_probabilities,
)
from closeloop.leads.matching.fields import FieldSpec, infer_fields
from closeloop.leads.matching.frequencies import exact_agreement
from closeloop.leads.matching.table import IntArray, Table, build_table

Record = Mapping[str, object]


@dataclass(frozen=True)
class MatchedPair:
    """Two records judged the same: positions in the input list(s) and the match probability."""

    left: int
    right: int
    probability: float  # the pair's own posterior; below the threshold only if ``via_cluster``
    via_cluster: bool = False  # added by closing a cluster (de-duplication), not matched alone


@dataclass(frozen=True)
class MatchResult:
    """The matched pairs and how they were found."""

    pairs: list[MatchedPair]
    fields: list[FieldSpec]
    records: int
    comparisons: int  # candidate pairs compared
    seconds: float
    model: FellegiSunterModel


def find_duplicates(
    records: Sequence[Record],
    *,
    fields: Sequence[FieldSpec] | None = None,
    config: MatchConfig | None = None,
) -> MatchResult:
    """Pairs of records of one list that are the same entity (``left < right``, positions).

    Without ``fields``, every key of the records is compared with its type inferred: leave ids
    out of the records, or pass ``fields``.
    """
    started = time.perf_counter()
    config = config or MatchConfig()
    specs = _fields(records, fields)
    table = build_table(records, specs)
    pairs, comparisons, model = _match(table, config)
    return MatchResult(
        pairs, specs, len(records), comparisons, time.perf_counter() - started, model
    )


def link_records(
    left_records: Sequence[Record],
    right_records: Sequence[Record],
    *,
    fields: Sequence[FieldSpec] | None = None,
    config: MatchConfig | None = None,
) -> MatchResult:
    """Pairs across two lists that are the same entity (positions in each list), pair by pair."""
    started = time.perf_counter()
    config = config or MatchConfig()
    combined = [*left_records, *right_records]
    specs = _fields(combined, fields)
    table = build_table(combined, specs, split=len(left_records))
    pairs, comparisons, model = _match(table, config)
    split = len(left_records)
    linked = [MatchedPair(pair.left, pair.right - split, pair.probability) for pair in pairs]
    return MatchResult(
        linked, specs, len(combined), comparisons, time.perf_counter() - started, model
    )


def _fields(records: Sequence[Record], fields: Sequence[FieldSpec] | None) -> list[FieldSpec]:
    if fields is not None:
        specs = list(fields)
    else:
        columns: dict[str, None] = {}
        for record in records[:100]:
            columns.update(dict.fromkeys(record))
        specs = infer_fields(list(columns), records)
    if not specs:
        raise Invalid(N_("no fields to compare"), field="fields")
    return specs


def _match(table: Table, config: MatchConfig) -> tuple[list[MatchedPair], int, FellegiSunterModel]:
    """Block, compare, fit by EM, decide, and (de-duplication) close clusters."""
    left, right = candidate_pairs(table, config)
    levels, comparisons = compare(table, left, right, config)
    # u is estimated over all pairs: candidates are all listed, the rest is sampled at random.
    sample_left, sample_right = random_pairs(table, config.random_pairs, config.seed)
    sample_levels, _ = compare(table, sample_left, sample_right, config)
    outside = _not_candidates(table, left, right, sample_left, sample_right)
    all_pairs = _all_pairs(table)
    exact = exact_agreement(
        table,
        [comparison.u_prior[0] for comparison in comparisons],
        config.u_prior_pairs,
        config.probability_floor,
        adjust=config.term_frequencies,
    )
    adjustment = exact.adjustment(table, left, right, levels)
    model = fit(
        levels,
        adjustment,
        comparisons,
        u_probabilities(sample_levels, comparisons, exact.u_exact, config),
        outside_counts(
            sample_levels[outside],
            comparisons,
            (all_pairs - len(left)) / max(int(outside.sum()), 1),
            config,
        ),
        all_pairs,
        config,
    )
    evidence = model.log_bayes_factors(levels, adjustment)
    prior_odds = float(np.log(model.prior / (1 - model.prior)))
    accepted = prior_odds + evidence >= np.log(config.threshold / (1 - config.threshold))
    left, right, evidence = left[accepted], right[accepted], evidence[accepted]
    via_cluster = np.zeros(len(left), dtype=bool)
    if table.split is None and config.cluster and len(left):

        def score(first: IntArray, second: IntArray) -> FloatArray:
            scored = compare(table, first, second, config)[0]
            return model.log_bayes_factors(scored, exact.adjustment(table, first, second, scored))

        # Clusters weigh the pairs' evidence alone: inside a component of matches, a pair is far
        # likelier a match than a random candidate, so the candidates' prior would be wrong.
        left, right, evidence, via_cluster = close_clusters(
            table.size,
            left,
            right,
            evidence,
            max_cluster_size=config.max_cluster_size,
            score=score,
        )
    log_odds = prior_odds + evidence
    order = np.lexsort((right, left))
    probability = probability_of(log_odds)
    pairs = [
        MatchedPair(int(a), int(b), float(p), bool(c))
        for a, b, p, c in zip(
            left[order], right[order], probability[order], via_cluster[order], strict=True
        )
    ]
    return pairs, len(levels), model


def _all_pairs(table: Table) -> int:
    """How many pairs could match: all pairs of one list, or all pairs across two."""
    if table.split is None:
        return table.size * (table.size - 1) // 2
    return table.split * (table.size - table.split)


def _not_candidates(
    table: Table, left: IntArray, right: IntArray, sample_left: IntArray, sample_right: IntArray
) -> npt.NDArray[np.bool_]:
    """Which random pairs blocking did not make candidates (candidates come sorted)."""
    codes = left * table.size + right
    sampled = sample_left * table.size + sample_right
    where = np.minimum(np.searchsorted(codes, sampled), max(len(codes) - 1, 0))
    found = (codes[where] == sampled) if len(codes) else np.zeros(len(sampled), dtype=bool)
    outside: npt.NDArray[np.bool_] = ~found
    return outside
