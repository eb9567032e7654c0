"""A timeline entry, and the order of entries at the same instant."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from closeloop.money import from_minor

# Order of entries at the same instant: the chain's own order (a lead before its status change…).
RANK = {
    "touch": 0,
    "lead": 1,
    "status": 2,
    "opportunity": 4,
    "stage": 5,
    "won": 6,
    "lost": 6,
    "order": 7,
    "invoice": 8,
    "payment": 9,
}
_DECISIONRANK = 3


@dataclass(frozen=True)
class TimelineEntry:
    """One event: when, what kind, a title, the detail in words, and the row it is about.

    ``facts`` holds the values behind the English title and detail (name, number, amount_minor,
    currency, stage, due_on, source, status) so that a page can say them in the user's language
    and format money and dates with the locale's rules."""

    at: datetime
    kind: str
    title: str
    detail: str
    ref: str
    facts: dict[str, Any] = field(default_factory=dict, compare=False)


def money_text(minor: int, currency: str) -> str:
    return f"{from_minor(minor, currency)} {currency}"


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def sorted_entries(entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    def key(entry: TimelineEntry) -> tuple[datetime, int, str, int]:
        entity, _, row_id = entry.ref.partition(":")
        rank = RANK.get(entry.kind, _DECISIONRANK)
        return entry.at, rank, entity, int(row_id) if row_id.isdigit() else 0

    return sorted(entries, key=key)
