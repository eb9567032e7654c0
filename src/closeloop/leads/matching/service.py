"""Match CSV files: read and check them, run the matcher, write the pairs, return a summary."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.leads.matching.config import MatchConfig
from closeloop.leads.matching.fields import (
    FieldSpec,
    infer_field_type,
    infer_fields,
    parse_fields,
)
from closeloop.leads.matching.matcher import MatchResult, find_duplicates, link_records

PAIRS_HEADER = ("id_1", "id_2", "score")


@dataclass(frozen=True)
class RecordFile:
    """One CSV file read into memory: its columns, its rows, and their ids."""

    path: Path
    columns: list[str]
    rows: list[dict[str, str]]
    ids: list[str]


@dataclass(frozen=True)
class DedupSummary:
    """What a run found and how long it took."""

    mode: str  # "dedup" (one file) or "link" (two files)
    records: int
    pairs: int
    comparisons: int
    seconds: float  # reading, matching and writing
    match_seconds: float  # the matcher alone
    out: str
    fields: list[FieldSpec] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values."""
        return {
            "mode": self.mode,
            "records": self.records,
            "pairs": self.pairs,
            "comparisons": self.comparisons,
            "seconds": round(self.seconds, 4),
            "match_seconds": round(self.match_seconds, 4),
            "out": self.out,
            "fields": {spec.column: spec.type.value for spec in self.fields},
        }


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise Invalid(N_("the file is neither UTF-8 nor GBK text"), field="file") from error


def read_record_file(path: Path, *, id_column: str) -> RecordFile:
    """Read a CSV with a header row; refuse a missing file, an empty one, or bad ids."""
    if not path.is_file():
        raise Invalid(N_("no such file: %(path)s"), field="file", path=path)
    text = decode(path.read_bytes())
    if not text.strip():
        raise Invalid(N_("%(name)s is empty"), field="file", name=path)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in next(reader)]
    if id_column not in header:
        raise Invalid(
            N_("no column %(column)r in %(path)s (columns: %(columns)s)"),
            field="id_column",
            column=id_column,
            path=path,
            columns=", ".join(header),
        )
    rows = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        rows.append(dict(zip(header, (cell.strip() for cell in row), strict=False)))
    if not rows:
        raise Invalid(N_("%(path)s has a header but no records"), field="file", path=path)
    ids = [row.get(id_column, "") for row in rows]
    seen: dict[str, int] = {}
    for line, record_id in enumerate(ids, start=2):
        if not record_id:
            raise Invalid(
                N_("%(path)s line %(line)s: empty %(column)s"),
                field="id_column",
                path=path,
                line=line,
                column=id_column,
            )
        if record_id in seen:
            raise Invalid(
                N_("%(path)s: duplicate %(column)s %(id)r (lines %(first)s and %(line)s)"),
                field="id_column",
                path=path,
                column=id_column,
                id=record_id,
                first=seen[record_id],
                line=line,
            )
        seen[record_id] = line
    return RecordFile(path, header, rows, ids)


def choose_fields(
    files: Sequence[RecordFile], *, id_column: str, fields: str | Sequence[FieldSpec] | None
) -> list[FieldSpec]:
    """The given fields (columns of every file), else every shared column but the id."""
    if fields is None:
        shared = [c for c in files[0].columns if all(c in f.columns for f in files[1:])]
        sample = [row for f in files for row in f.rows[:500]]
        specs = infer_fields(shared, sample, exclude=[id_column])
        if not specs:
            raise Invalid(N_("there is no column to compare besides the id"), field="fields")
        return specs
    wanted = (
        parse_fields(fields)
        if isinstance(fields, str)
        else [(spec.column, spec.type) for spec in fields]
    )
    specs = []
    for column, field_type in wanted:
        if column == id_column:
            raise Invalid(
                N_("the id column %(column)r cannot be compared"), field="fields", column=id_column
            )
        for record_file in files:
            if column not in record_file.columns:
                raise Invalid(
                    N_("unknown field %(column)r: not a column of %(path)s"),
                    field="fields",
                    column=column,
                    path=record_file.path,
                )
        if field_type is None:
            values = [row.get(column, "") for f in files for row in f.rows[:500]]
            field_type = infer_field_type(column, values)
        specs.append(FieldSpec(column, field_type))
    return specs


def write_pairs(path: Path, pairs: Sequence[tuple[str, str, float]]) -> None:
    """Write ``id_1,id_2,score`` rows (UTF-8, ids sorted within each pair, rows sorted)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(PAIRS_HEADER)
        writer.writerows((a, b, f"{score:.6f}") for a, b, score in pairs)


def id_pairs(
    result: MatchResult, left_ids: list[str], right_ids: list[str]
) -> list[tuple[str, str, float]]:
    """The matched pairs as ids, sorted within each pair and overall."""
    named = []
    for pair in result.pairs:
        first, second = left_ids[pair.left], right_ids[pair.right]
        if second < first:
            first, second = second, first
        named.append((first, second, pair.probability))
    named.sort()
    return named


def dedup_files(
    path: Path,
    path2: Path | None = None,
    *,
    id_column: str,
    out: Path,
    fields: str | Sequence[FieldSpec] | None = None,
    config: MatchConfig | None = None,
) -> DedupSummary:
    """De-duplicate one CSV file, or link two, and write the matched pairs to ``out``."""
    started = time.perf_counter()
    files = [read_record_file(path, id_column=id_column)]
    if path2 is not None:
        files.append(read_record_file(path2, id_column=id_column))
    specs = choose_fields(files, id_column=id_column, fields=fields)
    if path2 is None:
        result = find_duplicates(files[0].rows, fields=specs, config=config)
        pairs = id_pairs(result, files[0].ids, files[0].ids)
    else:
        result = link_records(files[0].rows, files[1].rows, fields=specs, config=config)
        pairs = id_pairs(result, files[0].ids, files[1].ids)
    write_pairs(out, pairs)
    return DedupSummary(
        mode="dedup" if path2 is None else "link",
        records=result.records,
        pairs=len(pairs),
        comparisons=result.comparisons,
        seconds=time.perf_counter() - started,
        match_seconds=result.seconds,
        out=str(out),
        fields=specs,
    )
