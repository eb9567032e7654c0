"""An import's batches written one after another, each decided while the one before is written
(on SQLite: while it commits).

See ahead.py for why. Each batch is written in a transaction of its own that holds the capture
locks; the next batch's decision starts once they are held and reads from a snapshot the writer
waits for before it commits. So that snapshot holds everything captured before the batch being
written, and nothing after: the batch's own writes come from ``InFlight``. Before writing a batch
decided ahead, the writer checks under its locks that the newest lead is still the one it
expects; a capture in between (over HTTP, say) makes it decide the batch again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.db.engine import SQLITE_CACHE_KIB, session_factory, unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.leads.capture.ahead import InFlight
from closeloop.leads.capture.cleaning import Batch
from closeloop.leads.capture.decide import Decided, decide_batch, lock_captures
from closeloop.models import Lead


@dataclass
class Overlap:
    """How the batches were decided."""

    ahead: int = 0  # while the batch before was written
    again: int = 0  # decided ahead, then again: a capture came in between
    in_turn: int = 0  # the first; one after a batch that did not lock every capture; all, if off


def capture_overlapped(
    engine: Engine,
    batches: Iterator[Batch],
    settings: Settings,
    write: Callable[[Session, Decided], None],
    committed: Callable[[Batch], None],
    prepare: Callable[[Session, Decided], None] | None = None,
) -> Overlap:
    """Capture every batch: ``write`` writes a decided batch in the transaction it is given,
    ``committed`` is called with each batch once its transaction is committed. ``prepare``
    readies a batch decided ahead for writing, on the deciding side (see prepared.py)."""
    overlap = Overlap()
    deciding_ahead = settings.import_decide_ahead
    # PostgreSQL works on the writes and the next batch's lookups at once. SQLite writes in this
    # process, and its inserts and the lookups, both row by row, would take turns for the GIL:
    # there the next batch is decided once this one is written, while it commits (one call
    # that leaves the GIL free) and the write-ahead log is checkpointed.
    during_write = engine.dialect.name == "postgresql"
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="decide-ahead") as ahead:
        items = next(batches, None)
        decided_ahead: Future[Decided] | None = None
        expected_newest = 0  # the newest lead id once the batch before is committed
        while items is not None:
            snapshot_taken = threading.Event()
            with unit_of_work(engine) as session:
                begin_writing(session)
                holds_every_capture = lock_captures(session, items)
                decided = decided_ahead.result() if decided_ahead is not None else None
                if decided is None:
                    overlap.in_turn += 1
                elif _newest_lead(session) == max(expected_newest, decided.seen_up_to):
                    overlap.ahead += 1
                else:
                    overlap.again += 1
                    decided = None
                if decided is None:
                    decided = decide_batch(session, items, settings)
                following = next(batches, None)
                decided_ahead = None
                if not during_write:
                    write(session, decided)
                if following is not None and holds_every_capture and deciding_ahead:
                    decided_ahead = ahead.submit(
                        _decide_ahead, engine, following, settings, decided, snapshot_taken, prepare
                    )
                else:
                    snapshot_taken.set()
                if during_write:
                    write(session, decided)
                snapshot_taken.wait()  # commit only once the next batch's snapshot is taken
            expected_newest = max(
                [d.lead_id for d in decided.decisions if d.lead_id is not None], default=0
            )
            committed(items)
            items = following
    return overlap


def _decide_ahead(
    engine: Engine,
    items: Batch,
    settings: Settings,
    in_flight: Decided,
    snapshot_taken: threading.Event,
    prepare: Callable[[Session, Decided], None] | None,
) -> Decided:
    session = session_factory(engine)()
    postgresql = engine.dialect.name == "postgresql"
    try:
        if postgresql:  # one snapshot for every lookup (SQLite's transactions have one)
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        else:
            _sqlite_cache(session, _READER_CACHE_KIB)
        newest = _newest_lead(session)  # the first read takes the snapshot
        snapshot_taken.set()
        decided = decide_batch(session, items, settings, InFlight(in_flight.decisions))
        decided.seen_up_to = newest
        if prepare is not None:
            prepare(session, decided)
        return decided
    finally:
        snapshot_taken.set()  # also on an error: the writer must not wait for ever
        session.rollback()
        if not postgresql:  # the pool may hand this connection to a writer next
            _sqlite_cache(session, SQLITE_CACHE_KIB)
        session.close()


# SQLite empties a connection's page cache when another one has written since its last read,
# so the deciding side's cache serves one batch's lookups only: 32 MiB did as well as 256 in a
# million-row import, and the import's peak memory was 200 MiB lower.
_READER_CACHE_KIB = 32 * 1024


def _sqlite_cache(session: Session, kib: int) -> None:
    session.connection().exec_driver_sql(f"PRAGMA cache_size=-{kib}")


def _newest_lead(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(Lead.id), 0))) or 0)
