"""The periodic score-decay job: re-score open leads whose engagement has been decaying."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, or_

from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.leads.scoring.reading import open_lead_ids
from closeloop.leads.scoring.service import current_rules, score_leads
from closeloop.models import Lead

# Each unit of work scores this many leads, so a long sweep never holds SQLite's write lock
# for more than a second or two and a crash loses at most one batch (the next run redoes it).
BATCH = 50_000


def run_score_decay(engine: Engine, *, now: datetime) -> dict[str, Any]:
    """Re-score open leads with engagement points (they decay), never scored, or scored under
    older rules; each batch in its own unit of work. Returns the counts."""
    with unit_of_work(engine) as session:
        version = current_rules(session).version
        ids = open_lead_ids(
            session,
            where=or_(
                Lead.engagement_score != 0,
                Lead.score_version.is_(None),
                Lead.score_version != version,
            ),
        )
    totals = {"considered": 0, "changed": 0, "decisions": 0, "mql": 0}
    for start in range(0, len(ids), BATCH):
        with unit_of_work(engine) as session:
            begin_writing(session)
            run = score_leads(session, at=now, lead_ids=ids[start : start + BATCH].tolist())
        for key in totals:
            totals[key] += getattr(run, key)
    return totals
