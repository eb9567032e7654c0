"""Streaming readers for CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX and JSON Lines."""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from closeloop.errors import Invalid
from closeloop.i18n import N_

SAMPLE_BYTES = 1 << 20


@dataclass
class RawRow:
    """One record as read: its row number as a spreadsheet shows it, and column → value."""

    number: int
    values: dict[str, Any]
    error: str | None = None  # a line that could not be read at all


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as it, else GB18030 (⊇ GBK).

    The whole file, not a sample: a GBK list may be ASCII for its first megabytes. Decoding
    costs about a tenth of a second per hundred megabytes.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        first = handle.read(len(codecs.BOM_UTF8))
        if first == codecs.BOM_UTF8:
            return "utf-8-sig"
        try:
            decoder.decode(first)
            while chunk := handle.read(SAMPLE_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


def read_rows(path: Path) -> tuple[list[str], Iterator[RawRow]]:
    """The file's column names and its rows, read lazily so that memory stays flat."""
    if not path.is_file():
        raise Invalid(N_("no such file: %(path)s"), field="file", path=path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _jsonl(path)
    return _csv(path)


def _csv(path: Path) -> tuple[list[str], Iterator[RawRow]]:
    encoding = detect_encoding(path)
    handle = path.open(encoding=encoding, newline="")
    sample = handle.read(64 * 1024)
    handle.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(handle, dialect)
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration:
        handle.close()
        raise Invalid(N_("%(name)s is empty"), field="file", name=path.name) from None
    if not any(headers):
        handle.close()
        raise Invalid(N_("%(name)s has no header row"), field="file", name=path.name)
    _check_unique(headers, path)

    def rows() -> Iterator[RawRow]:
        with handle:
            for number, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    continue
                yield RawRow(number, _named(headers, cells))

    return headers, rows()


def _xlsx(path: Path) -> tuple[list[str], Iterator[RawRow]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise Invalid(
            N_("%(name)s is not a readable XLSX file: %(error)s"),
            field="file",
            name=path.name,
            error=error,
        ) from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    headers: list[str] = []
    header_number = 0
    for header_number, cells in enumerate(rows, start=1):  # noqa: B007
        if any(c not in (None, "") for c in cells):
            headers = ["" if c is None else str(c).strip() for c in cells]
            break
    if not headers:
        workbook.close()
        raise Invalid(N_("%(name)s is empty"), field="file", name=path.name)
    _check_unique(headers, path)

    def records() -> Iterator[RawRow]:
        try:
            for number, cells in enumerate(rows, start=header_number + 1):
                if not any(c not in (None, "") for c in cells):
                    continue
                yield RawRow(number, _named(headers, [_cell(c) for c in cells]))
        finally:
            workbook.close()

    return headers, records()


def _named(headers: list[str], cells: Sequence[Any]) -> dict[str, Any]:
    """Cells by column name; a cell under no header is kept as "column N", never dropped."""
    values: dict[str, Any] = {}
    for index, cell in enumerate(cells):
        if index < len(headers) and headers[index]:
            values[headers[index]] = cell
        elif cell not in (None, ""):
            values[f"column {index + 1}"] = cell
    return values


def _cell(value: Any) -> Any:
    """Excel stores phone numbers as numbers: 13800138000.0 must read as 13800138000."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _jsonl(path: Path) -> tuple[list[str], Iterator[RawRow]]:
    encoding = detect_encoding(path)
    handle = path.open(encoding=encoding)
    first = None
    for line in handle:
        if line.strip():
            try:
                first = json.loads(line)
            except json.JSONDecodeError:
                first = None
            break
    handle.seek(0)
    if first is None and path.stat().st_size == 0:
        handle.close()
        raise Invalid(N_("%(name)s is empty"), field="file", name=path.name)
    headers = list(first) if isinstance(first, dict) else []

    def rows() -> Iterator[RawRow]:
        with handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as error:
                    yield RawRow(number, {"line": line.rstrip("\n")}, f"not valid JSON: {error}")
                    continue
                if not isinstance(value, dict):
                    yield RawRow(number, {"line": line.rstrip("\n")}, "not a JSON object")
                    continue
                yield RawRow(number, value)

    return headers, rows()


def _check_unique(headers: list[str], path: Path) -> None:
    seen = set()
    for header in headers:
        if header and header in seen:
            raise Invalid(
                N_("%(name)s has two columns named %(header)r"),
                field="file",
                name=path.name,
                header=header,
            )
        seen.add(header)
