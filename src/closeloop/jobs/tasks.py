"""The outbox jobs: each opens its own units of work and enqueues only after commit."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.jobs.relay import dispatch_outbox, redrive

Enqueue = Callable[[list[int]], None]


def run_dispatch(
    engine: Engine,
    *,
    now: datetime,
    enqueue: Enqueue,
    batch_size: int = 1000,
    budget_seconds: float = 10.0,
    email: bool = True,
) -> dict[str, Any]:
    """Relay batches of events until the outbox is empty (or the time budget is spent)."""
    started = time.monotonic()
    events = deliveries = 0
    if not _exists(engine, "SELECT 1 FROM outbox_events WHERE dispatched_at IS NULL LIMIT 1"):
        return {"events": 0, "deliveries": 0}
    while True:
        with unit_of_work(engine) as session:
            begin_writing(session)
            result = dispatch_outbox(session, now=now, limit=batch_size, email=email)
        # After commit: a delivery id is only ever enqueued once its row exists for everyone.
        if result.delivery_ids:
            enqueue(result.delivery_ids)
        events += result.events
        deliveries += len(result.delivery_ids)
        if result.events < batch_size or time.monotonic() - started > budget_seconds:
            return {"events": events, "deliveries": deliveries}


def run_redrive(
    engine: Engine, *, now: datetime, enqueue: Enqueue, older_than: timedelta
) -> dict[str, Any]:
    """Hand pending deliveries that nobody touched for ``older_than`` to the queue again."""
    if not _exists(
        engine, "SELECT 1 FROM event_deliveries WHERE status IN ('pending', 'sending') LIMIT 1"
    ):
        return {"redriven": 0}
    with unit_of_work(engine) as session:
        begin_writing(session)
        ids = redrive(session, now=now, older_than=older_than)
    if ids:
        enqueue(ids)
    return {"redriven": len(ids)}


def _exists(engine: Engine, query: str) -> bool:
    """A read first: on SQLite an idle poll must not take the single write lock every second."""
    with engine.connect() as connection:
        return connection.execute(text(query)).first() is not None
