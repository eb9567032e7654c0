"""The SLA sweep as a job: each batch is its own unit of work.

A worker killed mid-batch loses only that batch's uncommitted transaction; the next sweep (on this
or any other worker) claims those leads again and takes their steps once, because each step's
decision and outbox event commit together with the lead's new level.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.types import utcnow
from closeloop.leads.sla.service import DEFAULT_BATCH, SweepResult, sweep_batch


def run_sla_sweep(
    engine: Engine, *, now: datetime | None = None, batch_size: int = DEFAULT_BATCH
) -> dict[str, int]:
    """Sweep every due SLA clock up to ``now`` (default: the current time); return the counts."""
    now = now or utcnow()
    result = SweepResult()
    while True:
        with unit_of_work(engine) as session:
            begin_writing(session)  # SQLite: BEGIN IMMEDIATE, one sweeper writes at a time
            batch = sweep_batch(session, now=now, batch_size=batch_size)
        if not batch.claimed:
            return result.counts()
        result.add(batch)
