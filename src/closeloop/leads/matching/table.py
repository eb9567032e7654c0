"""Records as normalized columns: strings, integer codes of equal values, and missing masks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from closeloop.leads.matching.fields import FieldSpec, FieldType, normalize_column

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Column:
    """One compared field over all records (both files' records, for linkage)."""

    spec: FieldSpec
    values: npt.NDArray[np.object_]  # normalized strings, "" when missing
    codes: IntArray  # equal values share a code; -1 when missing
    uniques: npt.NDArray[np.object_]  # the distinct non-missing values, indexed by code
    lengths: IntArray  # the length of each distinct value

    @property
    def missing(self) -> npt.NDArray[np.bool_]:
        """True where the record has no value."""
        return self.codes < 0


@dataclass(frozen=True)
class Table:
    """The normalized records; ``split`` is where the second file starts (linkage) or None."""

    columns: list[Column]
    size: int
    split: int | None = None

    def of_type(self, field_type: FieldType) -> list[int]:
        """Positions of the columns of one type."""
        return [k for k, column in enumerate(self.columns) if column.spec.type is field_type]


def encode(values: Sequence[str]) -> tuple[IntArray, list[str]]:
    """Integer codes of the values ("" gets -1) and the distinct values by code."""
    index: dict[str, int] = {"": -1}
    uniques: list[str] = []
    codes = np.empty(len(values), dtype=np.int64)
    for position, value in enumerate(values):
        code = index.get(value)
        if code is None:
            code = index[value] = len(uniques)
            uniques.append(value)
        codes[position] = code
    return codes, uniques


def build_table(
    records: Sequence[Mapping[str, object]],
    fields: Sequence[FieldSpec],
    *,
    split: int | None = None,
) -> Table:
    """Normalize every field of every record once."""
    columns = []
    for spec in fields:
        values = normalize_column(spec.type, [record.get(spec.column) for record in records])
        codes, uniques = encode(values)
        columns.append(
            Column(
                spec,
                _objects(values),
                codes,
                _objects(uniques),
                np.array([len(value) for value in uniques], dtype=np.int64),
            )
        )
    return Table(columns, len(records), split)


def _objects(values: Sequence[str]) -> npt.NDArray[np.object_]:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array
