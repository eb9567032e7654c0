"""A decided batch made ready to write: its moment, each record's source, the rows of the leads
it creates and, when the import qualifies, their scores.

None of this needs the ids of the leads being written, so an import prepares batch n+1 while
batch n is written (overlapped.py). What does need them waits for the write (service.py): the
rows of merged records (they name the lead they merge into, which may be one of batch n's), the
touches, the routing (it locks the reps) and the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from closeloop.db.types import utcnow
from closeloop.leads.capture.attribution import Attribution, Source
from closeloop.leads.capture.dedup import Decision, lead_values
from closeloop.leads.capture.record import CapturedLead
from closeloop.leads.qualify_on_insert import NewLeads, NewTouch, score_new_rows
from closeloop.models import LeadStatus

if TYPE_CHECKING:
    from closeloop.leads.capture.decide import Decided


@dataclass
class Prepared:
    now: datetime
    sources: list[Source]  # one for each decision
    new_rows: list[dict[str, Any]]  # the lead rows of the decisions that create a lead, in order
    scored: NewLeads | None = None  # with ``qualify`` and new leads: scored, not yet routed


def prepare_write(
    session: Session,
    decided: Decided,
    *,
    source: Source,
    attribution: Attribution | None,
    qualify: bool,
) -> Prepared:
    """What writing ``decided`` needs that the ids of the leads being written do not change."""
    now = utcnow()
    decisions = decided.decisions
    sources = [attribution.resolve(d.record, source) if attribution else source for d in decisions]
    created = [i for i, d in enumerate(decisions) if d.survivor is None]
    rows = [lead_row(decisions[i], sources[i], now) for i in created]
    scored = None
    if qualify and rows:
        scored = score_new_rows(session, rows, _touches_of_new(decisions, created, now), at=now)
    return Prepared(now, sources, rows, scored)


def _touches_of_new(decisions: list[Decision], created: list[int], now: datetime) -> list[NewTouch]:
    """The touches the batch gives its new leads (their own, and those of the records merged
    into them), in the order they are written."""
    position = {id(decisions[i].new): p for p, i in enumerate(created)}
    touches = []
    for d in decisions:
        p = position.get(id(d.new if d.survivor is None else d.survivor))
        if p is not None:
            touches.append(NewTouch(p, touch_kind(d.record), d.record.captured_at or now))
    return touches


def touch_kind(record: CapturedLead) -> str:
    return "form_fill" if record.form_name else "list_import"


def lead_row(decision: Decision, source: Source, now: datetime) -> dict[str, Any]:
    """The row of a captured record: a new lead, or a merged one pointing at its survivor."""
    record = decision.record
    at = record.captured_at or now
    is_new = decision.survivor is None
    values = decision.new.values if decision.new else lead_values(record)
    contact_id, account_id = decision.contact or (None, None)
    return {
        **values,
        "source_key": record.source_key,
        "status": LeadStatus.NEW if is_new else LeadStatus.MERGED,
        "merged_into_id": None if is_new else decision.survivor.id,  # type: ignore[union-attr]
        "score": 0,
        "channel_id": source.channel_id,
        "campaign_id": source.campaign_id,
        "content_id": source.content_id,
        "first_touch_at": at,
        "contact_id": contact_id,
        "account_id": account_id,
        "created_at": at,
        "updated_at": now,
    }
