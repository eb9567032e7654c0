"""Periodic tasks for the scheduler tests, with the signature of the real ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

runs: list[datetime] = []


def record_run(engine: Engine, *, now: datetime) -> dict[str, Any]:
    """Prove it ran with a working engine and an aware ``now``."""
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    runs.append(now)
    return {"runs": len(runs)}
