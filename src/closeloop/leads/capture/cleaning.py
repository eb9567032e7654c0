"""Turning a file's rows into cleaned records, batch by batch — in a process of its own for a
large file.

Cleaning (decoding, NFKC, phone and e-mail parsing) is a third of an import's Python work. In a
thread it competes with the writer for the GIL: on a million-row file the import took 167 s
with cleaning in a thread, 116 s for the writing alone with every batch cleaned beforehand. A
second process cleans beside the writer instead of taking turns with it.
"""

from __future__ import annotations

import multiprocessing
import pickle
import queue
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from closeloop.leads.capture.headers import map_headers
from closeloop.leads.capture.readers import RawRow, read_rows
from closeloop.leads.capture.record import (
    CapturedLead,
    Rejection,
    captured_values,
    clean_record,
    source_key,
)

Batch = list[CapturedLead | Rejection]


@dataclass(frozen=True)
class Cleaning:
    """How a file's rows become records: everything the cleaning process needs."""

    path: Path
    mapping: dict[str, str]  # column → field, from the file's headers and the overrides
    overrides: dict[str, str]  # --map, for JSON Lines keys the first line did not have
    region: str | None  # default phone region
    salt: str  # the source (channel/campaign/content): another source is another capture
    batch_size: int


def cleaned_batches(cleaning: Cleaning, rows: Iterator[RawRow] | None = None) -> Iterator[Batch]:
    """The file's records, ``batch_size`` at a time (``rows``: already opened, else read)."""
    if rows is None:
        rows = read_rows(cleaning.path)[1]
    while chunk := list(islice(rows, cleaning.batch_size)):
        yield [clean_row(row, cleaning) for row in chunk]


def clean_row(row: RawRow, cleaning: Cleaning) -> CapturedLead | Rejection:
    # The same row imported for another source is another capture (it adds that touch).
    key = source_key({**row.values, "\x00source": cleaning.salt, "\x00region": cleaning.region})
    if row.error:
        return Rejection(key, row.number, "line", row.error, row.values)
    mapping, overrides = cleaning.mapping, cleaning.overrides
    if any(column not in mapping and column not in overrides for column in row.values):
        # JSON Lines may bring keys the first line did not have.
        mapping = map_headers(list(row.values), overrides, strict=False)
    return clean_record(
        row.values, mapping, row_number=row.number, default_region=cleaning.region, key=key
    )


class CleaningFailed(RuntimeError):
    """The cleaning process stopped with an error that could not be passed back as it was."""


@dataclass
class _Failure:
    error: BaseException | None
    text: str


# Batches cleaned ahead of the writer: enough to keep both busy, few enough for flat memory.
_AHEAD = 2


@contextmanager
def cleaned_in_process(cleaning: Cleaning) -> Iterator[Iterator[Batch]]:
    """``cleaned_batches`` computed by a second process; it is stopped when the block ends."""
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    batches: Any = context.Queue(maxsize=_AHEAD)
    process = context.Process(target=_clean_into, args=(cleaning, batches), daemon=True)
    process.start()
    try:
        yield _received(batches, process)
    finally:
        if process.is_alive():
            process.terminate()  # the writer stopped early: nothing more to clean
        process.join()
        batches.close()
        batches.cancel_join_thread()


def _clean_into(cleaning: Cleaning, batches: Any) -> None:
    try:
        for batch in cleaned_batches(cleaning):
            batches.put(_packed(batch))
        batches.put(None)
    except BaseException as error:  # every failure is the writer's to raise
        batches.put(_Failure(error if _picklable(error) else None, traceback.format_exc()))


def _picklable(error: BaseException) -> bool:
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # any failure: pass the text instead
        return False
    return True


def _received(batches: Any, process: Any) -> Iterator[Batch]:
    while True:
        try:
            item = batches.get(timeout=1.0)
        except queue.Empty:
            if not process.is_alive():
                raise CleaningFailed(
                    f"the cleaning process ended unexpectedly (exit code {process.exitcode})"
                ) from None
            continue
        if item is None:
            return
        if isinstance(item, _Failure):
            if item.error is not None:
                raise item.error
            raise CleaningFailed(item.text)
        yield _unpacked(item)


def _packed(batch: Batch) -> list[Any]:
    """A batch as it crosses to the writer: each record as the tuple of its values. Pickled,
    20,000 of them take 45 ms instead of 96 (each record by its ``__reduce__``), in the
    process that is the import's other busy core; rebuilding them costs the writer the same."""
    return [captured_values(i) if type(i) is CapturedLead else i for i in batch]


def _unpacked(items: list[Any]) -> Batch:
    return [CapturedLead(*i) if type(i) is tuple else i for i in items]
