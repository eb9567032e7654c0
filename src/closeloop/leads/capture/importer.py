"""`closeloop import leads`: a file through the capture path, batch by batch, with a summary."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from closeloop.collector import fewer_collections
from closeloop.config import Settings
from closeloop.db.checkpoints import checkpoints_in_background
from closeloop.db.engine import session_factory, unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.types import utcnow
from closeloop.leads.capture.attribution import Attribution, Source
from closeloop.leads.capture.cleaning import (
    Batch,
    Cleaning,
    cleaned_batches,
    cleaned_in_process,
)
from closeloop.leads.capture.decide import Decided, decide_batch, lock_captures
from closeloop.leads.capture.headers import map_headers
from closeloop.leads.capture.overlapped import capture_overlapped
from closeloop.leads.capture.prepared import prepare_write
from closeloop.leads.capture.readers import read_rows
from closeloop.leads.capture.record import Rejection
from closeloop.leads.capture.service import BatchResult, write_decided
from closeloop.leads.qualify import qualify_leads
from closeloop.leads.routing.service import AssignSummary
from closeloop.leads.scoring.service import ScoringRun
from closeloop.models import ImportBatch


@dataclass
class ImportOptions:
    channel: str | None = None
    campaign: str | None = None
    content: str | None = None
    mapping: dict[str, str] | None = None
    default_region: str | None = None  # None: the setting (CN unless configured)
    dry_run: bool = False
    # Score and route the leads as they land (off for history brought over from another CRM).
    qualify: bool = True


@dataclass
class ImportSummary:
    """read = created + merged + rejected, always; ``already`` is part of ``merged``."""

    file: str
    read: int = 0
    created: int = 0
    merged: int = 0
    already: int = 0
    rejected: int = 0
    mql: int = 0  # crossed the sales-ready threshold on arrival
    assigned: int = 0  # routed to a rep
    pooled: int = 0  # routed to the public pool (every rep of the team at cap)
    seconds: float = 0.0
    dry_run: bool = False
    rejects_file: str | None = None
    import_batch_id: int | None = None
    columns: dict[str, str] | None = None

    def count_qualified(self, scored: ScoringRun, routed: AssignSummary) -> None:
        self.mql += scored.mql
        self.assigned += routed.assigned
        self.pooled += routed.pooled

    def add(self, result: BatchResult) -> None:
        self.read += len(result.outcomes)
        self.created += result.count("created")
        self.already += result.count("already")
        self.merged += result.count("merged") + result.count("already")
        self.rejected += result.count("rejected")


def import_leads(
    engine: Engine,
    path: Path,
    options: ImportOptions,
    settings: Settings,
    on_progress: Callable[[int], None] = lambda rows: None,
) -> ImportSummary:
    """Import every row of ``path``; each batch commits on its own, so a re-run resumes."""
    started = time.perf_counter()
    headers, rows = read_rows(path)
    mapping = map_headers(headers, options.mapping or {})
    with unit_of_work(engine) as session:
        attribution = Attribution(session)
        source = attribution.explicit(options.channel, options.campaign, options.content)
    summary = ImportSummary(file=str(path), dry_run=options.dry_run, columns=mapping)
    batch_id = None
    if not options.dry_run:
        with unit_of_work(engine) as session:
            batch = ImportBatch(source=path.name)
            session.add(batch)
            session.flush()
            batch_id = batch.id
    summary.import_batch_id = batch_id

    rejects = _RejectsFile(path, headers) if not options.dry_run else None
    with ExitStack() as stack:
        stack.enter_context(fewer_collections())
        if rejects:
            stack.callback(lambda: setattr(summary, "rejects_file", rejects.close()))
        # A dry run takes the real path in one transaction, rolled back: exact counts, no writes.
        shared = stack.enter_context(_rolled_back(engine)) if options.dry_run else None
        committed = (
            stack.enter_context(checkpoints_in_background(engine))
            if not options.dry_run
            else lambda: None
        )
        cleaning = Cleaning(
            path=path,
            mapping=mapping,
            overrides=options.mapping or {},
            region=(options.default_region or settings.default_region or "").upper() or None,
            salt=f"{source.channel_id}/{source.campaign_id}/{source.content_id}",
            batch_size=settings.import_batch_size,
        )
        # The next batch is cleaned while this one is written: in a second process for a large
        # file (see cleaning.py), in a thread for a small one (no process to start).
        if path.stat().st_size >= settings.import_cleaning_process_min_mb * 1024 * 1024:
            cleaned = stack.enter_context(cleaned_in_process(cleaning))
        else:
            cleaned = cleaned_batches(cleaning, rows)
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=1))
        batches = _cleaned_ahead(pool, cleaned)
        write = partial(
            _write,
            source=source,
            attribution=attribution,
            batch_id=batch_id,
            options=options,
            summary=summary,
        )
        if shared is not None:
            for items in batches:
                lock_captures(shared, items)
                write(shared, decide_batch(shared, items, settings))
                on_progress(len(items))
        else:

            def after_commit(items: Batch) -> None:
                committed()
                if rejects:
                    rejects.write([i for i in items if isinstance(i, Rejection)])
                on_progress(len(items))

            def prepare(session: Session, decided: Decided) -> None:
                decided.prepared = prepare_write(
                    session,
                    decided,
                    source=source,
                    attribution=attribution,
                    qualify=options.qualify,
                )

            capture_overlapped(engine, batches, settings, write, after_commit, prepare)
    if batch_id is not None:
        with unit_of_work(engine) as session:
            batch = session.get_one(ImportBatch, batch_id)
            batch.read, batch.created = summary.read, summary.created
            batch.merged, batch.rejected = summary.merged, summary.rejected
            batch.finished_at = utcnow()
    summary.seconds = time.perf_counter() - started
    return summary


@contextmanager
def _rolled_back(engine: Engine) -> Iterator[Session]:
    session = session_factory(engine)()
    try:
        begin_writing(session)
        yield session
    finally:
        session.rollback()
        session.close()


def _cleaned_ahead(pool: ThreadPoolExecutor, cleaned: Iterator[Batch]) -> Iterator[Batch]:
    """The cleaned batches, the next one always on its way while one is captured."""
    upcoming = pool.submit(next, cleaned, None)
    while (items := upcoming.result()) is not None:
        upcoming = pool.submit(next, cleaned, None)
        yield items


def _write(
    session: Session,
    decided: Decided,
    *,
    source: Source,
    attribution: Attribution,
    batch_id: int | None,
    options: ImportOptions,
    summary: ImportSummary,
) -> None:
    result = write_decided(
        session,
        decided,
        source=source,
        attribution=attribution,
        import_batch_id=batch_id,
        qualify=options.qualify,
    )
    summary.add(result)
    if not options.qualify:
        return
    if result.qualified is not None:
        summary.count_qualified(*result.qualified)
    # The new leads went in scored and routed; the leads we had that merges added a touch to
    # (their engagement grew) are scored again, and routed if still unowned (after the batch's
    # new leads, then: a lead we had was routed when it was captured, unless it is unroutable).
    created = {o.lead_id for o in result.outcomes if o.kind == "created"}
    touched = {
        o.lead_id
        for o in result.outcomes
        if o.kind == "merged" and o.lead_id is not None and o.lead_id not in created
    }
    if touched:
        summary.count_qualified(*qualify_leads(session, lead_ids=sorted(touched), at=utcnow()))


class _RejectsFile:
    """`<file>.rejects.csv` next to the input: each rejected row with its number, field, reason,
    and its cells under the input's own headers (anything else in a last column)."""

    def __init__(self, source: Path, headers: list[str]) -> None:
        self.path = source.with_name(f"{source.stem}.rejects.csv")
        self.columns = [h for h in headers if h]
        if source.suffix.lower() in (".jsonl", ".ndjson", ".json"):
            self.columns.append("line")  # the text of a line that was no JSON object
        self.handle: Any = None
        self.writer: Any = None

    def write(self, rejections: list[Rejection]) -> None:
        for r in rejections:
            if self.writer is None:
                self.handle = self.path.open("w", encoding="utf-8-sig", newline="")
                self.writer = csv.writer(self.handle)
                self.writer.writerow(["row", "field", "reason", *self.columns, "other"])
            other = "; ".join(f"{k}={v}" for k, v in r.raw.items() if k not in self.columns)
            cells = ["" if r.raw.get(c) is None else r.raw.get(c) for c in self.columns]
            self.writer.writerow([r.row_number, r.field, r.reason, *cells, other])

    def close(self) -> str | None:
        if self.handle is None:
            self.path.unlink(missing_ok=True)  # no rejects this time: no stale file either
            return None
        self.handle.close()
        return str(self.path)
