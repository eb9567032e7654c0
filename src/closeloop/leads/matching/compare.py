"""Comparison vectors: a graded agreement level per field for every candidate pair."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from closeloop.leads.matching.config import MatchConfig
from closeloop.leads.matching.fields import FieldType
from closeloop.leads.matching.names import grade_names
from closeloop.leads.matching.table import Column, IntArray, Table, encode

LevelArray = npt.NDArray[np.int8]
FloatArray = npt.NDArray[np.float64]
MISSING = -1  # a neutral level: it weighs nothing either way

FUZZY_TYPES = (FieldType.NAME, FieldType.TEXT, FieldType.ADDRESS)
CROSS_TYPES = (FieldType.NAME, FieldType.ADDRESS)
OTHER_FIELD_LEVEL = {FieldType.NAME: 3, FieldType.ADDRESS: 2}  # where "other field" goes


@dataclass(frozen=True)
class Comparison:
    """One field's levels (best first), their starting m, and u before seeing any data."""

    column: str
    levels: tuple[str, ...]
    m_start: tuple[float, ...]
    u_prior: tuple[float, ...]


FUZZY_LEVELS = ("exact", "nearly", "similar", "different")
CROSSED_LEVELS = ("exact", "nearly", "other field", "similar", "different")
# Chinese names get a level of their own for a character more or less ("肖超" and "肖超磊"):
# with few surnames and given-name characters, it happens between different people far more
# often than a near-typo in a Latin name does, so it must not share that level's weight.
NAME_LEVELS = ("exact", "nearly", "character more or less", "similar", "different")
NAME_CROSSED_LEVELS = (
    "exact",
    "nearly",
    "character more or less",
    "other field",
    "similar",
    "different",
)
EDIT_LEVELS = ("exact", "one edit", "different")
DATE_LEVELS = ("exact", "one edit or swap", "different")
PHONE_LEVELS = ("same number", "one edit", "different")

# How often two different people agree at each level, before any data is seen. They matter only
# for small inputs (a few dozen records); on real volumes the data outweigh them.
U_PRIORS: dict[FieldType, tuple[float, ...]] = {
    FieldType.NAME: (0.01, 0.005, 0.002, 0.03, 0.953),
    FieldType.TEXT: (0.05, 0.005, 0.03, 0.915),
    FieldType.ADDRESS: (0.002, 0.002, 0.02, 0.976),
    FieldType.DATE: (0.0005, 0.01, 0.9895),
    FieldType.CODE: (0.01, 0.02, 0.97),
    FieldType.PHONE: (0.001, 0.002, 0.997),
    FieldType.EMAIL: (0.001, 0.002, 0.997),
}


def comparison_for(column: Column, *, crossed: bool) -> Comparison:
    """The levels a field is graded on, by type."""
    name = column.spec.column
    field_type = column.spec.type
    u_prior = U_PRIORS[field_type]
    if field_type is FieldType.NAME:
        if crossed:
            exact, nearly, character, similar, different = u_prior
            return Comparison(
                name,
                NAME_CROSSED_LEVELS,
                (0.80, 0.08, 0.02, 0.04, 0.03, 0.03),
                (exact, nearly, character, exact / 10, similar, different - exact / 10),
            )
        return Comparison(name, NAME_LEVELS, (0.8, 0.1, 0.03, 0.035, 0.035), u_prior)
    if field_type in FUZZY_TYPES:
        if crossed:
            exact, nearly, similar, different = u_prior
            return Comparison(
                name,
                CROSSED_LEVELS,
                (0.80, 0.08, 0.04, 0.04, 0.04),
                (exact, nearly, exact / 10, similar, different - exact / 10),
            )
        return Comparison(name, FUZZY_LEVELS, (0.8, 0.1, 0.05, 0.05), u_prior)
    if field_type is FieldType.DATE:
        return Comparison(name, DATE_LEVELS, (0.85, 0.1, 0.05), u_prior)
    if field_type is FieldType.PHONE:
        return Comparison(name, PHONE_LEVELS, (0.85, 0.1, 0.05), u_prior)
    return Comparison(name, EDIT_LEVELS, (0.85, 0.1, 0.05), u_prior)


def _distinct_pairs(
    column: Column, left_codes: IntArray, right_codes: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """The distinct code pairs among the given ones, and each given pair's index into them."""
    width = max(len(column.uniques), 1)
    distinct, inverse = np.unique(left_codes * width + right_codes, return_inverse=True)
    first, second = np.divmod(distinct, width)
    return first, second, inverse


def _strings(column: Column, codes: IntArray) -> list[str]:
    return column.uniques[codes].tolist()  # type: ignore[no-any-return]


def _jaro_winkler(first: list[str], second: list[str], cutoff: float) -> FloatArray:
    """Jaro-Winkler similarity, pair by pair; anything below ``cutoff`` reads 0."""
    if not first:
        return np.empty(0)
    return process.cpdist(
        first, second, scorer=JaroWinkler.normalized_similarity, score_cutoff=cutoff, workers=-1
    ).astype(np.float64)


def _edits(first: list[str], second: list[str], cutoff: int) -> IntArray:
    """Optimal-string-alignment edits (a transposition is one), capped at ``cutoff + 1``."""
    if not first:
        return np.empty(0, dtype=np.int64)
    return process.cpdist(
        first, second, scorer=OSA.distance, score_cutoff=cutoff, workers=-1
    ).astype(np.int64)


def _codes_of(column: Column, transformed: list[str]) -> IntArray:
    """The code of each transformed distinct value among the column's values (-2 if absent)."""
    index = {value: code for code, value in enumerate(column.uniques.tolist())}
    return np.array([index.get(value, -2) for value in transformed], dtype=np.int64)


def _swap_day_month(value: str) -> str:
    return value[:4] + value[6:] + value[4:6] if len(value) == 8 else ""


def _grade_distinct(
    column: Column, first: IntArray, second: IntArray, config: MatchConfig
) -> LevelArray:
    """Levels of distinct, unequal, present value pairs (level 0 only for reordered names)."""
    field_type = column.spec.type
    levels = np.full(len(first), 2, dtype=np.int8)
    if not len(first):
        return levels
    if field_type is FieldType.NAME:
        levels[:] = grade_names(
            column.uniques.tolist(),
            first,
            second,
            config.similarity_high,
            config.similarity_low,
        )
    elif field_type in FUZZY_TYPES:
        similarity = _jaro_winkler(
            _strings(column, first), _strings(column, second), config.similarity_low
        )
        levels[:] = 3
        levels[similarity >= config.similarity_low] = 2
        levels[similarity >= config.similarity_high] = 1
    elif field_type is FieldType.DATE:
        swapped = _codes_of(column, [_swap_day_month(value) for value in column.uniques.tolist()])
        one_edit = _edits(_strings(column, first), _strings(column, second), 1) <= 1
        levels[one_edit | (swapped[first] == second)] = 1
    elif field_type is FieldType.PHONE:
        first_text, second_text = _strings(column, first), _strings(column, second)
        digits = config.phone_suffix_digits
        suffix = np.array(
            [
                min(len(a), len(b)) >= digits and (a.endswith(b) or b.endswith(a))
                for a, b in zip(first_text, second_text, strict=True)
            ],
            dtype=bool,
        )
        levels[_edits(first_text, second_text, 1) <= 1] = 1
        levels[suffix] = 0
    elif field_type is FieldType.EMAIL:
        # A typo (one edit) or the same mailbox name at another domain. Not string similarity:
        # colleagues share a long domain, which makes their addresses look alike.
        local, _ = encode([value.split("@")[0] for value in column.uniques.tolist()])
        one_edit = _edits(_strings(column, first), _strings(column, second), 1) <= 1
        levels[(local[first] == local[second]) | one_edit] = 1
    else:  # codes and numbers
        long_enough = (
            np.maximum(column.lengths[first], column.lengths[second])
            >= config.code_min_length_for_edits
        )
        one_edit = _edits(_strings(column, first), _strings(column, second), 1) <= 1
        levels[one_edit & long_enough] = 1
    return levels


def compare_column(
    table: Table, position: int, left: IntArray, right: IntArray, config: MatchConfig
) -> LevelArray:
    """The level of one field for every pair."""
    column = table.columns[position]
    left_codes, right_codes = column.codes[left], column.codes[right]
    levels = np.zeros(len(left), dtype=np.int8)
    missing = (left_codes < 0) | (right_codes < 0)
    levels[missing] = MISSING
    unequal = np.flatnonzero(~missing & (left_codes != right_codes))
    if len(unequal):
        first, second, inverse = _distinct_pairs(column, left_codes[unequal], right_codes[unequal])
        levels[unequal] = _grade_distinct(column, first, second, config)[inverse]
    others = (
        [k for k in table.of_type(column.spec.type) if k != position]
        if config.cross_field and column.spec.type in CROSS_TYPES
        else []
    )
    if others:
        # Levels move up one to make room for "other field" before "similar".
        at = OTHER_FIELD_LEVEL[column.spec.type]
        levels[levels >= at] += 1
        weak = np.flatnonzero(levels > at)
        crossed = np.zeros(len(weak), dtype=bool)
        for other in others:
            crossed |= _agrees_across(column, table.columns[other], left[weak], right[weak])
            crossed |= _agrees_across(column, table.columns[other], right[weak], left[weak])
        levels[weak[crossed]] = at
    return levels


def _agrees_across(
    column: Column, other: Column, left: IntArray, right: IntArray
) -> npt.NDArray[np.bool_]:
    """Whether the left record's value of ``column`` equals the right record's of ``other``."""
    index = {value: code for code, value in enumerate(other.uniques.tolist())}
    # The code in ``other`` of each value of ``column`` (-2 when absent, -1 stays missing).
    translated = np.append(
        np.array([index.get(value, -2) for value in column.uniques.tolist()], dtype=np.int64), -1
    )
    first = translated[column.codes[left]]
    agrees: npt.NDArray[np.bool_] = (first >= 0) & (first == other.codes[right])
    return agrees


def compare(
    table: Table, left: IntArray, right: IntArray, config: MatchConfig
) -> tuple[LevelArray, list[Comparison]]:
    """The comparison vectors of the pairs (one column per field) and what each level means."""
    matrix = np.empty((len(left), len(table.columns)), dtype=np.int8)
    comparisons = []
    for position, column in enumerate(table.columns):
        matrix[:, position] = compare_column(table, position, left, right, config)
        crossed = (
            config.cross_field
            and column.spec.type in CROSS_TYPES
            and len(table.of_type(column.spec.type)) > 1
        )
        comparisons.append(comparison_for(column, crossed=crossed))
    return matrix, comparisons
