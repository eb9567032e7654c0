"""SQLite: a long bulk write's WAL checkpoints on a thread of their own.

By default the connection that commits also checkpoints: once the write-ahead log passes 1,000
pages it copies them into the database file and syncs it before the commit returns. A batch of
an import dirties tens of megabytes of index pages, so every commit of an import waited for
that copy (about 30 s of a million-row import). Checkpointing from another thread lets SQLite do
it while Python prepares the next batch; SQLite releases the GIL while it works.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

# SQLite's default threshold, in pages, restored on connections given back to the pool.
DEFAULT_AUTOCHECKPOINT = 1000


@contextmanager
def checkpoints_in_background(engine: Engine) -> Iterator[Callable[[], None]]:
    """While the block runs, connections checked out of ``engine``'s pool leave checkpoints to a
    background thread; the block calls the function it is given after each commit. On
    PostgreSQL (which checkpoints on its own) nothing changes."""
    if engine.dialect.name != "sqlite":
        yield lambda: None
        return
    wake, stop = threading.Event(), threading.Event()

    def checkpoint_until_stopped() -> None:
        connection = engine.raw_connection()
        try:
            while True:
                wake.wait()
                wake.clear()
                # Read before checkpointing: a stop seen here was signalled after the last commit,
                # so this checkpoint is the last and covers it. (Read after, it may belong to a
                # commit this checkpoint began before.)
                stopping = stop.is_set()
                # PASSIVE: copies what is committed, never waits for the writer or readers. It
                # always meets one of them during the work, so the log never starts over and
                # grows by every batch (4.4 GB over a million-row import): the last checkpoint
                # waits for them and empties the file, else it stays that size on disk while
                # any connection is open.
                mode = "TRUNCATE" if stopping else "PASSIVE"
                connection.driver_connection.execute(f"PRAGMA wal_checkpoint({mode})")  # type: ignore[union-attr]
                if stopping:
                    return
        finally:
            connection.close()

    def leave_checkpoints(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    def take_checkpoints_again(dbapi_connection: Any, *_: Any) -> None:
        if dbapi_connection is not None:  # None: the connection was invalidated
            dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={DEFAULT_AUTOCHECKPOINT}")

    event.listen(engine, "checkout", leave_checkpoints)
    event.listen(engine, "checkin", take_checkpoints_again)
    thread = threading.Thread(target=checkpoint_until_stopped, name="wal-checkpoints")
    thread.start()
    try:
        yield wake.set
    finally:
        event.remove(engine, "checkout", leave_checkpoints)
        event.remove(engine, "checkin", take_checkpoints_again)
        stop.set()
        wake.set()
        thread.join()
