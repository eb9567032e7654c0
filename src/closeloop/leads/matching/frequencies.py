"""How often two different records agree exactly, from value counts: u and term frequencies.

A random pair of records agrees exactly on a field with probability sum(c(c - 1)) / (n(n - 1)),
where c counts each value among the n records that have one. That is exact, where 20,000 random
pairs see a value shared by three records in 20,000 about three times. Per value, the chance that
another record has it too is (c - 1) / (n - 1): agreeing on a value many records share is weaker
evidence than agreeing on a rare one (a company with 30 leads against one with 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from closeloop.leads.matching.compare import FloatArray, LevelArray
from closeloop.leads.matching.table import Column, IntArray, Table


@dataclass(frozen=True)
class ExactAgreement:
    """Per field: u of the exact level, and the log of each value's own u (by code)."""

    u_exact: list[float]
    log_u_value: list[FloatArray]

    def adjustment(
        self, table: Table, left: IntArray, right: IntArray, levels: LevelArray
    ) -> FloatArray:
        """Per pair, log(u_exact / u_value) summed over the fields where both share a value.

        Added to the log Bayes factor, it turns the exact level's average weight into the
        weight of the value agreed on (term-frequency adjustment).
        """
        total = np.zeros(len(left))
        for k, column in enumerate(table.columns):
            rows = np.flatnonzero(levels[:, k] == 0)
            codes = column.codes[left[rows]]
            same = rows[(codes >= 0) & (codes == column.codes[right[rows]])]
            if len(same):
                total[same] += (
                    np.log(self.u_exact[k]) - self.log_u_value[k][column.codes[left[same]]]
                )
        return total


def exact_agreement(
    table: Table, u_priors: list[float], prior_pairs: float, floor: float, *, adjust: bool
) -> ExactAgreement:
    """u of exact agreement per field, smoothed towards ``u_priors`` as ``prior_pairs`` pairs.

    With ``adjust`` off every value weighs the field's average (no term frequencies).
    """
    u_exact, log_u_value = [], []
    for column, u_prior in zip(table.columns, u_priors, strict=True):
        value_u = _value_u(column, u_prior, prior_pairs, floor)
        counts = _counts(column)
        present = counts.sum()
        average = float((counts * value_u).sum() / present) if present else u_prior
        u_exact.append(max(average, floor))
        log_u_value.append(np.log(value_u) if adjust else np.full(len(value_u), np.log(average)))
    return ExactAgreement(u_exact, log_u_value)


def _counts(column: Column) -> FloatArray:
    present = column.codes[column.codes >= 0]
    return np.bincount(present, minlength=len(column.uniques)).astype(np.float64)


def _value_u(column: Column, u_prior: float, prior_pairs: float, floor: float) -> FloatArray:
    """Per value: the chance that another record has it too.

    Smoothed towards ``u_prior`` with ``prior_pairs`` pseudo-pairs spread over the records, so
    that the records' average is (agreeing pairs + prior_pairs * u_prior) / (pairs +
    prior_pairs): the built-in u decides for a list of ten records, and the counts for ten
    thousand.
    """
    counts = _counts(column)
    present = counts.sum()
    weight = 2 * prior_pairs / max(present, 1.0)  # pseudo-pairs per record
    value_u = (counts - 1 + weight * u_prior) / (max(present - 1, 0) + weight)
    clipped: FloatArray = np.clip(value_u, floor, 1.0)
    return clipped
