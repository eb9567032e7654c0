"""The SLA sweep as a job: each batch is its own unit of work.

A worker killed mid-batch loses only that batch's uncommitted transaction; the next sweep (on this
or any other worker) claims those leads again and takes their steps once, because each step's
decision and outbox event commit together with the clock's new level.

On PostgreSQL one sweep works on ``connections`` batches at once: the claims skip each other's
locked leads, and while one connection waits for the server to write a batch another builds the
next one's notices (a backlog of 49,000 due clocks, before the steps had a table of their own:
8.4 s on one connection, 5.7 s on two).
SQLite has one writer at a time, so there the batches follow each other.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import Engine

from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.types import utcnow
from closeloop.leads.sla.service import DEFAULT_BATCH, SweepResult, sweep_batch

SWEEP_CONNECTIONS = 2  # measured on two cores: docs/benchmarks.md


def run_sla_sweep(
    engine: Engine,
    *,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH,
    connections: int = SWEEP_CONNECTIONS,
) -> dict[str, int]:
    """Sweep every due SLA clock up to ``now`` (default: the current time); return the counts."""
    moment = now or utcnow()
    if engine.dialect.name != "postgresql" or connections <= 1:
        return _sweep_until_done(engine, moment, batch_size).counts()
    with ThreadPoolExecutor(connections, thread_name_prefix="sla-sweep") as pool:
        parts = [
            pool.submit(_sweep_until_done, engine, moment, batch_size) for _ in range(connections)
        ]
        result = SweepResult()
        for part in parts:
            result.add(part.result())
    return result.counts()


def _sweep_until_done(engine: Engine, now: datetime, batch_size: int) -> SweepResult:
    """Claim and take batches until none is left that another sweep has not locked."""
    result = SweepResult()
    while True:
        with unit_of_work(engine) as session:
            begin_writing(session)  # SQLite: BEGIN IMMEDIATE, one sweeper writes at a time
            batch = sweep_batch(session, now=now, batch_size=batch_size)
        if not batch.claimed:
            return result
        result.add(batch)
