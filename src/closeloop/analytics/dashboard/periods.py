"""The dashboard's periods (month, quarter, year, custom) and their period-over-period change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from closeloop.analytics.period import Period, parse_date
from closeloop.analytics.ratios import ratio
from closeloop.errors import Invalid
from closeloop.i18n import N_

# ---- periods -----------------------------------------------------------------------------------


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"


@dataclass(frozen=True)
class DashboardPeriod:
    """The period shown and the one it is compared with (the same number of days, just before)."""

    kind: PeriodKind
    current: Period
    previous: Period

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.current.start, self.current.end, self.previous.start, self.previous.end)


def _start_of(kind: PeriodKind, day: date) -> date:
    if kind == PeriodKind.MONTH:
        return day.replace(day=1)
    if kind == PeriodKind.QUARTER:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def _months_later(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _length_in_months(kind: PeriodKind) -> int:
    return {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[kind]


def resolve_period(
    kind: str | None, start: str | None, end: str | None, *, today: date
) -> DashboardPeriod:
    """This month (quarter, year) to date against the same days of the one before; or a custom
    range against the range of the same length just before it."""
    try:
        chosen = PeriodKind(kind or PeriodKind.MONTH)
    except ValueError:
        choices = ", ".join(k.value for k in PeriodKind)
        raise Invalid(
            N_("unknown period %(kind)r: choose one of %(choices)s"),
            field="period",
            kind=kind,
            choices=choices,
        ) from None
    if chosen == PeriodKind.CUSTOM:
        first = parse_date(start, field="from")
        last = parse_date(end, field="to")
        if first is None or last is None:
            raise Invalid(
                N_("a custom period needs both dates"), field="from" if not first else "to"
            )
        current = Period(first, last)
        days = (last - first).days + 1
        previous = Period(first - timedelta(days=days), first - timedelta(days=1))
        return DashboardPeriod(chosen, current, previous)
    anchor = parse_date(end, field="to") or today
    first = _start_of(chosen, anchor)
    months = _length_in_months(chosen)
    last = min(anchor, _months_later(first, months) - timedelta(days=1))
    previous_first = _months_later(first, -months)
    previous_last = min(previous_first + (last - first), first - timedelta(days=1))
    return DashboardPeriod(chosen, Period(first, last), Period(previous_first, previous_last))


def change(current: Decimal | int | None, previous: Decimal | int | None) -> Decimal | None:
    """Relative change from the previous period (None when there is nothing to compare with)."""
    if current is None or previous is None or not previous:
        return None
    return ratio(Decimal(current) - Decimal(previous), abs(Decimal(previous)))


def point_change(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """Change of a ratio, in points (0.05 = five percentage points)."""
    if current is None or previous is None:
        return None
    return current - previous
