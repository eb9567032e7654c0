"""Candidate pairs: the union of records sharing any of several blocking keys, vectorized."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import jellyfish
import numpy as np
import numpy.typing as npt

from closeloop.leads.matching.config import MatchConfig
from closeloop.leads.matching.fields import FieldType
from closeloop.leads.matching.table import Column, IntArray, Table

KeyFunction = Callable[[str], str]


def _identity(value: str) -> str:
    return value


def _phonetic(value: str) -> str:
    """Soundex of each word of a Latin name; a CJK name is its own key."""
    if not value.isascii():
        return value
    return " ".join(jellyfish.soundex(word) for word in value.split(" ") if word)


def _first_half(value: str) -> str:
    return value[: len(value) // 2] if len(value) >= 6 else ""


def _second_half(value: str) -> str:
    return value[len(value) // 2 :] if len(value) >= 6 else ""


def _year_month(value: str) -> str:
    return value[:6] if len(value) == 8 else ""


def _month_day(value: str) -> str:
    return value[4:] if len(value) == 8 else ""


def _year_day_month_unordered(value: str) -> str:
    """Year and the two other parts in sorted order: a date and its day-month swap share it."""
    if len(value) != 8:
        return ""
    return value[:4] + "".join(sorted((value[4:6], value[6:])))


def _email_local(value: str) -> str:
    return value.split("@", 1)[0]


def key_functions(field_type: FieldType, config: MatchConfig) -> list[KeyFunction]:
    """The blocking keys of one field type, from the normalized value."""
    if field_type is FieldType.NAME:
        return [_identity, _phonetic]
    if field_type is FieldType.CODE:
        return [_identity, _first_half, _second_half]
    if field_type is FieldType.DATE:
        return [_year_day_month_unordered, _year_month, _month_day]
    if field_type is FieldType.PHONE:
        digits = config.phone_suffix_digits
        return [lambda value: value[-digits:] if len(value) >= digits else value]
    if field_type is FieldType.EMAIL:
        return [_identity, _email_local]
    return [_identity]


def column_keys(column: Column, function: KeyFunction) -> IntArray:
    """A key's code for every record (-1 where it has none), in the keys' sorted order."""
    if len(column.uniques) == 0:
        return np.full(len(column.codes), -1, dtype=np.int64)
    keys = np.empty(len(column.uniques), dtype=object)
    keys[:] = [function(value) for value in column.uniques]
    distinct, ranks = np.unique(keys, return_inverse=True)
    ranks = ranks.astype(np.int64)
    if distinct[0] == "":  # the empty key sorts first: no key
        ranks -= 1
    mapped = np.append(ranks, -1)  # code -1 (missing) indexes the appended -1
    return mapped[column.codes]


def pairs_sharing_key(
    keys: IntArray, *, max_block_size: int, window: int
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Pairs (as ``left * n + right``, left < right) of records with equal keys.

    Blocks larger than ``max_block_size`` are skipped. With a ``window``, records whose keys are
    neighbours in sorted order (within ``window`` distinct values, in small blocks) pair too.
    """
    size = len(keys)
    oversized = np.zeros(size, dtype=bool)
    present = np.flatnonzero(keys >= 0)
    if len(present) < 2:
        return np.empty(0, dtype=np.int64), oversized
    order = present[np.argsort(keys[present], kind="stable")]
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    block_sizes = np.diff(np.r_[starts, len(order)])
    small = block_sizes <= max_block_size
    block_of = np.repeat(np.arange(len(starts)), block_sizes)
    end = (starts + block_sizes)[block_of]
    eligible = small[block_of]
    oversized[order[~eligible]] = True
    found = []
    positions = np.arange(len(order))
    reach = int(block_sizes[small].max(initial=1)) - 1
    for offset in range(1, reach + 1):
        head = positions[: len(order) - offset]
        keep = eligible[head] & (head + offset < end[head])
        found.append((order[head[keep]], order[head[keep] + offset]))
    if window > 0:
        found.extend(_neighbour_pairs(order, starts, block_sizes, small, window))
    if not found:
        return np.empty(0, dtype=np.int64), oversized
    left = np.concatenate([pair[0] for pair in found]).astype(np.int64)
    right = np.concatenate([pair[1] for pair in found]).astype(np.int64)
    low, high = np.minimum(left, right), np.maximum(left, right)
    return low * size + high, oversized


def _neighbour_pairs(
    order: IntArray,
    starts: IntArray,
    block_sizes: IntArray,
    small: np.ndarray,
    window: int,
) -> list[tuple[IntArray, IntArray]]:
    """Pairs of records in neighbouring small blocks (sorted-neighbourhood on distinct keys)."""
    found = []
    count = len(starts)
    for step in range(1, window + 1):
        first = np.arange(count - step)
        second = first + step
        both = small[first] & small[second]
        first, second = first[both], second[both]
        # Every record of one block with every record of the other: sizes are small here.
        repeats = block_sizes[first] * block_sizes[second]
        if not len(repeats):
            continue
        a_block = np.repeat(first, repeats)
        b_block = np.repeat(second, repeats)
        within = np.arange(int(repeats.sum())) - np.repeat(np.cumsum(repeats) - repeats, repeats)
        b_sizes = block_sizes[b_block]
        found.append(
            (
                order[starts[a_block] + within // b_sizes],
                order[starts[b_block] + within % b_sizes],
            )
        )
    return found


def candidate_pairs(table: Table, config: MatchConfig) -> tuple[IntArray, IntArray]:
    """The union of the pairs of every key of every field, deduplicated; cross-file for linkage.

    Two records in oversized blocks of two keys of different fields (say the same common given
    name and the same birth year-month) are paired when they share both: a conjunction key.
    """
    encoded = []
    oversized_keys: list[tuple[int, IntArray, npt.NDArray[np.bool_]]] = []
    for position, column in enumerate(table.columns):
        for rank, function in enumerate(key_functions(column.spec.type, config)):
            keys = column_keys(column, function)
            pairs, oversized = pairs_sharing_key(
                keys,
                max_block_size=config.max_block_size,
                window=config.window if function is _identity else 0,
            )
            encoded.append(pairs)
            if rank == 0 and oversized.any():  # the field's main key
                oversized_keys.append((position, keys, oversized))
    if config.conjunctions:
        for (first_field, first, first_big), (second_field, second, second_big) in combinations(
            oversized_keys, 2
        ):
            both = first_big & second_big
            if first_field == second_field or int(both.sum()) < 2:
                continue
            joint = np.full(table.size, -1, dtype=np.int64)
            joint[both] = first[both] * (int(second.max()) + 1) + second[both]
            encoded.append(
                pairs_sharing_key(joint, max_block_size=config.max_block_size, window=0)[0]
            )
    if not encoded:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    # Sort and drop repeats (numpy's hash-based np.unique is much slower on millions of ints).
    everything = np.concatenate(encoded)
    everything.sort()
    unique = (
        everything[np.r_[True, everything[1:] != everything[:-1]]]
        if len(everything)
        else everything
    )
    left, right = np.divmod(unique, table.size)
    if table.split is not None:
        across = (left < table.split) & (right >= table.split)
        left, right = left[across], right[across]
    return left, right


def random_pairs(table: Table, count: int, seed: int) -> tuple[IntArray, IntArray]:
    """Random distinct pairs (cross-file for linkage), nearly all non-matches; all pairs if few."""
    if table.split is None:
        everything = table.size * (table.size - 1) // 2
        if everything <= count:
            left, right = np.triu_indices(table.size, 1)
            return left.astype(np.int64), right.astype(np.int64)
        generator = np.random.default_rng(seed)
        left = generator.integers(0, table.size, count)
        right = generator.integers(0, table.size, count)
        keep = left != right
        left, right = left[keep], right[keep]
    else:
        across = table.split * (table.size - table.split)
        if across <= count:
            left, right = np.divmod(np.arange(across), table.size - table.split)
            return left.astype(np.int64), (right + table.split).astype(np.int64)
        generator = np.random.default_rng(seed)
        left = generator.integers(0, table.split, count)
        right = generator.integers(table.split, table.size, count)
    return np.minimum(left, right).astype(np.int64), np.maximum(left, right).astype(np.int64)
