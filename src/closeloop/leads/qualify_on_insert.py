"""Scoring and routing new leads before they are written: a batch of captured leads goes into
``leads`` already scored, handed off and routed, one INSERT and no UPDATE.

A new lead's score needs nothing from the database but its own values and the touches the same
batch brings (its own, and those of duplicates merged into it), so the capture path computes it
from the rows it is about to insert, before their ids are drawn (an import scores batch n+1 while
batch n is written: capture/prepared.py); routing, which locks the reps, waits for the write
itself. The history is what scoring and routing would write after
the insert (``scored`` and ``assigned`` decisions, status changes, events); it goes in once the
rows exist. Lock order as everywhere in routing: the capture's advisory locks, then the reps'
rows (taken by ``Qualifying.route``); the new rows are nobody else's yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy.orm import Session

from closeloop.db.bulk import JSONText, insert_rows
from closeloop.leads.qualify_batch import Part, Qualifying
from closeloop.leads.routing import repository as routing_repo
from closeloop.leads.scoring.reading import LEAD_COLUMNS, LeadRows
from closeloop.leads.sla import clock as sla_clock
from closeloop.models import LeadSlaStep, LeadStatus

S = LeadStatus


class NewTouch(NamedTuple):
    """A touch the batch gives one of its new leads: the lead's position among them."""

    position: int
    kind: str
    occurred_at: datetime


class NewLeads:
    """Leads about to be inserted: scored before their ids exist, routed once they do
    (``route_new_rows``), their SLA steps and history written once their rows are in
    (``write_after_insert``)."""

    def __init__(self, qualifying: Qualifying, part: Part, at: datetime) -> None:
        self.qualifying, self.part, self.at = qualifying, part, at
        self.steps: list[dict[str, object]] = []  # the step rows of the clocks routing started

    def write_after_insert(self, session: Session) -> None:
        insert_rows(session, LeadSlaStep.__table__, self.steps)  # type: ignore[arg-type]
        self.qualifying.record(session, self.part, self.part.rows.ids, self.at)
        self.qualifying.finish(session, self.at)


def score_new_rows(
    session: Session, rows: list[dict[str, Any]], touches: Sequence[NewTouch], *, at: datetime
) -> NewLeads:
    """Score new leads (``rows``, the lead rows to insert) with the batch's ``touches`` of them.
    Reads only the rules, the model and the channels: an import scores a batch while the one
    before is written."""
    qualifying = Qualifying(session)
    codes = routing_repo.channel_codes(session)
    return NewLeads(qualifying, qualifying.score(_in_memory(rows, touches, codes, at)), at)


def route_new_rows(
    session: Session, new_leads: NewLeads, ids: Sequence[int], rows: list[dict[str, Any]]
) -> None:
    """Route scored new leads, now that they have their ``ids`` (ascending, in row order), and
    fill their score, status, owner, team and SLA columns in place."""
    qualifying, part, at = new_leads.qualifying, new_leads.part, new_leads.at
    part.rows.ids = np.asarray(ids, dtype=np.int64)
    part.rows.columns["id"] = list(ids)
    qualifying.route(session, [part], at)
    due = sla_clock.first_contact_due(session, at=at) if part.routes else None
    scores, plan = part.scores, part.plan
    total, fit, engagement = (a.tolist() for a in (scores.total, scores.fit, scores.engagement))
    crossing = plan.crossing.tolist()
    version, model_version = qualifying.rules.version, qualifying.scored.model_version
    for i, row in enumerate(rows):
        route = part.routes.get(i)
        team_plan, rep_id = (route[1], route[2]) if route else (None, None)
        owned = rep_id is not None
        status = S.MQL.value if crossing[i] else row["status"]
        row.update(  # every row gets every column: the bulk insert takes them by the first row
            score=total[i],
            fit_score=fit[i],
            engagement_score=engagement[i],
            score_version=version,
            score_factors=JSONText(scores.factors_json[i]),
            scored_at=at,
            predicted_conversion=plan.probability[i],
            model_version=model_version,
            status=S.POOL.value if route and not owned else status,
            mql_at=at if crossing[i] else None,
            pool_entered_at=at if route and not owned else None,
            team_id=team_plan.team_id if team_plan else None,
            owner_id=rep_id,
            assigned_at=at if owned else None,
            sla_kind=sla_clock.ClockKind.FIRST_CONTACT.value if owned else None,
            sla_due_at=due.for_team(team_plan.team_id) if owned else None,  # type: ignore[union-attr]
        )
        if owned:
            new_leads.steps.append(sla_clock.first_step(ids[i], row["sla_due_at"]))


def _in_memory(
    rows: list[dict[str, Any]], touches: Sequence[NewTouch], codes: dict[int, str], at: datetime
) -> LeadRows:
    """The rows as scoring would read them back: unscored new leads and their touches by
    ``at`` (ages and offsets from the lead's creation in days). The ids are positions until
    the leads are written: scoring does not look at them."""
    columns: dict[str, list[Any]] = {name: [] for name in LEAD_COLUMNS}
    for position, row in enumerate(rows):
        for name in LEAD_COLUMNS:
            columns[name].append(position if name == "id" else row.get(name))
    columns["status"] = [S.NEW.value] * len(rows)
    columns["score"] = columns["fit_score"] = columns["engagement_score"] = [0] * len(rows)
    at_utc = at.astimezone(UTC)
    touch_lead, touch_kind, age, offset = [], [], [], []
    for touch in touches:
        if touch.occurred_at > at_utc:
            continue
        touch_lead.append(touch.position)
        touch_kind.append(touch.kind)
        age.append((at_utc - touch.occurred_at).total_seconds() / 86400.0)
        created_at = rows[touch.position]["created_at"]
        offset.append((touch.occurred_at - created_at).total_seconds() / 86400.0)
    return LeadRows(
        ids=np.arange(len(rows), dtype=np.int64),
        columns=columns,
        channel=[codes.get(row["channel_id"]) for row in rows],
        touch_lead=np.asarray(touch_lead, dtype=np.int64),
        touch_kind=touch_kind,
        touch_age_days=np.asarray(age, dtype=np.float64),
        touch_offset_days=np.asarray(offset, dtype=np.float64),
    )
