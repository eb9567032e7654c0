"""Deciding a captured batch: what was captured before, what repeats within the batch, and for
each other record whether it is a new lead or someone we have (see dedup.py). Writing the
decision is service.py's; an import decides a batch while the one before is written (ahead.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.db.dialect import index_lookups
from closeloop.db.locks import LOCK_BUCKETS, lock_every_key, lock_keys
from closeloop.leads.capture.ahead import InFlight
from closeloop.leads.capture.dedup import BatchMatcher, Decision
from closeloop.leads.capture.lookups import (
    already_captured,
    batch_keys,
    known_contacts,
    known_leads,
    rest_of_leads,
)
from closeloop.leads.capture.record import CapturedLead, Rejection

if TYPE_CHECKING:
    from closeloop.leads.capture.prepared import Prepared


@dataclass
class Decided:
    """A batch decided, not yet written (``write_decided`` writes it)."""

    items: Sequence[CapturedLead | Rejection]
    already: dict[str, int]  # source keys captured before → the lead they live in
    # Source keys the batch written meanwhile captures (decided ahead; see ahead.py).
    already_ahead: dict[str, Decision]
    repeated: set[int]  # ``id()`` of the second of a record given twice in the batch
    decisions: list[Decision]  # one for each of the others
    ahead_of: InFlight | None = None  # the batch written while this one was decided
    seen_up_to: int = 0  # decided ahead: the largest lead id its snapshot held
    prepared: Prepared | None = None  # made ready to write ahead too (prepared.py)


def decide_batch(
    session: Session,
    items: Sequence[CapturedLead | Rejection],
    settings: Settings,
    ahead_of: InFlight | None = None,
) -> Decided:
    """Decide what becomes of each record: already captured, a repeat, new or a duplicate.

    ``ahead_of``: the batch being written meanwhile, whose writes the session cannot see yet.
    """
    leads = [item for item in items if isinstance(item, CapturedLead)]
    with index_lookups(session, len(leads)):
        already = already_captured(session, [lead.source_key for lead in leads])
        already_ahead: dict[str, Decision] = {}
        fresh: list[CapturedLead] = []
        repeated: set[int] = set()
        seen: set[str] = set()
        for lead in leads:
            if lead.source_key in already:
                continue
            if ahead_of is not None and (earlier := ahead_of.captured.get(lead.source_key)):
                already_ahead[lead.source_key] = earlier
                continue
            if lead.source_key in seen:
                repeated.add(id(lead))
                continue
            seen.add(lead.source_key)
            fresh.append(lead)
        keys = batch_keys(fresh)
        known = known_leads(session, keys)
        if ahead_of is not None:
            known = ahead_of.with_its_writes(known, keys)
        matcher = BatchMatcher(known, known_contacts(session, keys), settings)
        decisions = matcher.decide(fresh, lambda ids: rest_of_leads(session, ids))
    return Decided(items, already, already_ahead, repeated, decisions, ahead_of)


def lock_captures(session: Session, items: Sequence[CapturedLead | Rejection]) -> bool:
    """Lock the batch's keys; True when that keeps every other capture out until the
    transaction ends (SQLite's one writer, or every bucket on PostgreSQL)."""
    leads = [item for item in items if isinstance(item, CapturedLead)]
    # Each lead has at least one key: from 2,048 leads on, 98 % of the buckets or more would be
    # locked anyway, and hashing an import batch's keys one by one cost seconds per million.
    if len(leads) >= 4 * LOCK_BUCKETS:
        lock_every_key(session)
        return True
    lock_keys(session, capture_lock_keys(leads))
    return session.get_bind().dialect.name == "sqlite"


def capture_lock_keys(leads: Sequence[CapturedLead]) -> set[str]:
    """The advisory-lock keys of captured leads: their e-mails, phones and company keys."""
    keys = batch_keys(leads)
    return {
        *(f"e:{email}" for email in keys.emails),
        *(f"p:{phone}" for phone in keys.phones),
        *(f"c:{company}" for company in keys.companies),
    }
