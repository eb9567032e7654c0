"""Report periods (inclusive UTC dates) and report groupings, parsed from user input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from closeloop.errors import Invalid
from closeloop.i18n import N_


class Grouping(StrEnum):
    """What a report's rows are: the lead's first-touch channel, campaign or content."""

    CHANNEL = "channel"
    CAMPAIGN = "campaign"
    CONTENT = "content"


@dataclass(frozen=True)
class Period:
    """Days from ``start`` to ``end``, both included; None means open-ended."""

    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise Invalid(
                N_("impossible date range: %(start)s is after %(end)s"),
                field="from",
                start=self.start.isoformat(),
                end=self.end.isoformat(),
            )

    @property
    def start_at(self) -> datetime | None:
        """First instant of the period (UTC)."""
        return datetime.combine(self.start, time.min, UTC) if self.start else None

    @property
    def end_before(self) -> datetime | None:
        """First instant after the period (UTC)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, UTC) if self.end else None


def parse_date(text: str | None, *, field: str) -> date | None:
    """Parse YYYY-MM-DD, or raise ``Invalid`` naming the field."""
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(N_("not a date: %(text)r (use YYYY-MM-DD)"), field=field, text=text) from None


def parse_period(start: str | None, end: str | None) -> Period:
    """A period from the --from and --to texts."""
    return Period(parse_date(start, field="from"), parse_date(end, field="to"))


def parse_grouping(text: str) -> Grouping:
    """A grouping from the --by text."""
    try:
        return Grouping(text)
    except ValueError:
        choices = ", ".join(g.value for g in Grouping)
        raise Invalid(
            N_("unknown grouping %(text)r: choose one of %(choices)s"),
            field="by",
            text=text,
            choices=choices,
        ) from None
