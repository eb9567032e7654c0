"""Serializing writers that must not race (two captures of the same person), on both databases."""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

# Keys hash into this many advisory locks: enough to keep unrelated captures apart, few enough
# that a whole import batch stays well inside PostgreSQL's shared lock table.
LOCK_BUCKETS = 512
LOCK_NAMESPACE = 0x4C454144  # "LEAD"


def begin_writing(session: Session) -> None:
    """Start the session's transaction as a writer.

    SQLite has one writer at a time: BEGIN IMMEDIATE takes the write lock up front, so a
    transaction never reads, then finds someone else wrote in between. Must be the session's
    first statement. PostgreSQL begins normally (see ``lock_keys``).
    """
    session.connection(execution_options={"sqlite_begin": "BEGIN IMMEDIATE"})


def lock_keys(session: Session, keys: Iterable[str]) -> None:
    """Hold, until the transaction ends, an advisory lock for each key (PostgreSQL only).

    Locks are taken in one sorted order, so two batches never deadlock on each other.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    lock_buckets(session, {zlib.crc32(key.encode()) % LOCK_BUCKETS for key in keys})


def lock_every_key(session: Session) -> None:
    """``lock_keys`` for a batch whose keys fill (nearly) every bucket anyway: all of them,
    without hashing tens of thousands of keys first."""
    if session.get_bind().dialect.name == "postgresql":
        lock_buckets(session, range(LOCK_BUCKETS))


def lock_buckets(session: Session, buckets: Iterable[int]) -> None:
    buckets = sorted(buckets)
    if buckets:
        session.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(:namespace, b)) "
                "FROM (SELECT unnest(CAST(:buckets AS int[])) AS b ORDER BY 1) AS ordered"
            ),
            {"namespace": LOCK_NAMESPACE, "buckets": buckets},
        )
