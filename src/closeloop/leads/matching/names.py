"""Levels of two unequal person names: Latin names word by word, Chinese names by character."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel, JaroWinkler

LevelArray = npt.NDArray[np.int8]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CJK = re.compile(r"[\u3400-\u9fff]")
EXACT, NEARLY, CHARACTER, SIMILAR, DIFFERENT = 0, 1, 2, 3, 4
MIN_EDIT_WORD = 3  # a word of at least this many letters may be one edit off and still "nearly"


def grade_names(
    values: list[str], first: IntArray, second: IntArray, high: float, low: float
) -> LevelArray:
    """Levels (0 exact, 1 nearly, 2 character more or less, 3 similar, 4 different) of pairs of
    unequal names.

    ``values`` are the distinct normalized names; ``first`` and ``second`` index them.

    - The same words in another order ("fontaine lucy", "lucy fontaine") are exact.
    - Latin names of two or more words each, as many on both sides, are compared word by word,
      in order or reversed: "nearly" when every word is nearly equal (Jaro-Winkler at least
      ``high``, or one edit in a word of three or more letters), "similar" when every word has
      Jaro-Winkler at least ``low``. A shared given name no longer makes two people look alike
      ("andrew keller", "andrew walker"), as it does with Jaro-Winkler on the whole string.
    - Other Latin names (one word, or different word counts): Jaro-Winkler of the whole.
    - Chinese names are two to four characters, each a word of its own, so string similarity
      is far too lenient ("肖超磊" and "肖超霞" are two people, Jaro-Winkler 0.82): one character
      added or dropped is its own level, one replaced or two swapped in a name of three or more
      characters is "similar", anything else "different".
    """
    levels = np.full(len(first), DIFFERENT, dtype=np.int8)
    if not len(first):
        return levels
    words = [value.split(" ") for value in values]
    word_count = np.array([len(w) for w in words], dtype=np.int64)
    is_cjk = np.array([bool(CJK.search(value)) for value in values], dtype=bool)
    _, sorted_code = np.unique(
        np.array([" ".join(sorted(w)) for w in words], dtype=object), return_inverse=True
    )
    reordered = sorted_code[first] == sorted_code[second]
    cjk = (is_cjk[first] | is_cjk[second]) & ~reordered
    by_word = (
        (word_count[first] == word_count[second]) & (word_count[first] >= 2) & ~cjk & ~reordered
    )
    whole = np.flatnonzero(~cjk & ~by_word & ~reordered)
    if len(whole):
        similarity = _jaro_winkler(
            [values[k] for k in first[whole]], [values[k] for k in second[whole]], low
        )
        levels[whole[similarity >= low]] = SIMILAR
        levels[whole[similarity >= high]] = NEARLY
    chosen = np.flatnonzero(by_word)
    if len(chosen):
        levels[chosen] = _word_by_word(
            [(words[a], words[b]) for a, b in zip(first[chosen], second[chosen], strict=True)],
            high,
            low,
        )
    chinese = np.flatnonzero(cjk)
    if len(chinese):
        unspaced = [value.replace(" ", "") for value in values]
        levels[chinese] = _characters(
            [unspaced[k] for k in first[chinese]], [unspaced[k] for k in second[chinese]]
        )
    levels[reordered] = EXACT
    return levels


def _word_by_word(pairs: list[tuple[list[str], list[str]]], high: float, low: float) -> LevelArray:
    """The best level over two alignments (in order, reversed), each the worst of its words."""
    left: list[str] = []
    right: list[str] = []
    owner: list[int] = []
    for number, (a, b) in enumerate(pairs):
        for alignment, other in enumerate((b, b[::-1])):
            left.extend(a)
            right.extend(other)
            owner.extend([2 * number + alignment] * len(a))
    similarity = _jaro_winkler(left, right, 0.0)
    edits = _distance(OSA.distance, left, right)
    longer = np.array([max(len(x), len(y)) for x, y in zip(left, right, strict=True)])
    near = (similarity >= high) | ((edits <= 1) & (longer >= MIN_EDIT_WORD))
    alike = similarity >= low
    owners = np.array(owner, dtype=np.int64)
    count = 2 * len(pairs)
    all_near = np.bincount(owners, weights=~near, minlength=count) == 0
    all_alike = np.bincount(owners, weights=~alike, minlength=count) == 0
    level = np.where(all_near, NEARLY, np.where(all_alike, SIMILAR, DIFFERENT))
    best: LevelArray = level.reshape(-1, 2).min(axis=1).astype(np.int8)
    return best


def _characters(first: list[str], second: list[str]) -> LevelArray:
    """Chinese names: a character added or dropped, or one replaced or swapped."""
    shorter = np.array([min(len(a), len(b)) for a, b in zip(first, second, strict=True)])
    dropped = (_distance(Indel.distance, first, second) <= 1) & (shorter >= 2)
    replaced = (_distance(OSA.distance, first, second) <= 1) & (shorter >= 3)
    levels = np.full(len(first), DIFFERENT, dtype=np.int8)
    levels[replaced] = SIMILAR
    levels[dropped] = CHARACTER
    return levels


def _jaro_winkler(first: list[str], second: list[str], cutoff: float) -> FloatArray:
    """Jaro-Winkler similarity, pair by pair; anything below ``cutoff`` reads 0."""
    if not first:
        return np.empty(0)
    return process.cpdist(
        first, second, scorer=JaroWinkler.normalized_similarity, score_cutoff=cutoff, workers=-1
    ).astype(np.float64)


def _distance(scorer: Any, first: list[str], second: list[str]) -> IntArray:
    """An edit distance, pair by pair, capped at 2."""
    if not first:
        return np.empty(0, dtype=np.int64)
    return process.cpdist(first, second, scorer=scorer, score_cutoff=1, workers=-1).astype(np.int64)
