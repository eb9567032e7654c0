"""Embedded mode: `closeloop serve` on SQLite runs the jobs in its own process.

The same actors, relay, deliveries and schedule as `closeloop worker`, on Dramatiq's in-memory
broker and an in-process Dramatiq worker; slots are claimed in memory (one process). Messages in
memory die with the process: the outbox and ``redrive`` bring every undelivered event back.
"""

from __future__ import annotations

from sqlalchemy import Engine

from closeloop.config import Settings
from closeloop.jobs.broker import make_broker
from closeloop.jobs.schedule import LocalSlotClaims, PeriodicTask
from closeloop.jobs.worker import Runtime


def embedded_enabled(settings: Settings, engine: Engine) -> bool:
    """On when the setting says so; by default only on SQLite (PostgreSQL has workers)."""
    if settings.embedded_jobs is not None:
        return settings.embedded_jobs
    return engine.dialect.name == "sqlite"


def start_embedded(
    settings: Settings, engine: Engine, *, schedule: list[PeriodicTask] | None = None
) -> Runtime:
    """Start the in-process worker and scheduler; the caller stops them with ``stop()``."""
    runtime = Runtime(
        settings,
        engine,
        make_broker(settings, "memory"),
        threads=settings.embedded_threads,
        schedule=schedule,
        claims=LocalSlotClaims(),
        poll_ms=100,
    )
    runtime.start()
    return runtime
