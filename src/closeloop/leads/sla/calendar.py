"""Working-time arithmetic: deadlines counted in working hours and working days.

A ``WorkingCalendar`` knows a timezone, the working weekdays, the daily working intervals (local
wall time, e.g. 09:00–12:00 and 13:30–18:00), holidays, extra working days (China's 调休 make-up
Saturdays) and, optionally, a country whose public holidays (and make-up days) come from the
``holidays`` package. Precedence: explicit extra working days, then explicit holidays, then the
country's make-up days, then its holidays, then the weekday rule.

Working time is a cumulative function W(t) = working microseconds from the table's start to t,
flat outside working time. Every working interval of a span of years is precomputed as UTC
microseconds (``starts``, ``ends``, ``before`` = W at each start), so that W and its inverse are
two binary searches — ``numpy.searchsorted`` over whole batches of leads at once.

Conventions (documented in docs/sla.md):
- a start outside working time counts from the next opening;
- ``add_working_hours`` returns the earliest moment with that much working time behind it, so a
  deadline that falls on a closing time stays at the closing time (Friday 17:00 + 1 h = Friday
  18:00, not Monday 09:00); intervals are half-open, so ``is_working_time(18:00)`` is False.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
US_PER_HOUR = 3_600_000_000
_MARGIN_YEARS = 2  # built around the first query, and grown when a query falls outside
# The table starts here unless a query is older: a fixed origin keeps W values comparable.
_ORIGIN = date(2015, 1, 1)


def to_us(moment: datetime) -> int:
    """UTC microseconds since the epoch of an aware datetime (exact)."""
    if moment.tzinfo is None:
        raise ValueError(f"times must be timezone-aware, got {moment!r}")
    return (moment - EPOCH) // ONE_US


def from_us(us: int) -> datetime:
    """The aware UTC datetime of ``to_us``'s microseconds (exact)."""
    return EPOCH + timedelta(microseconds=int(us))


def to_us_array(moments: Sequence[datetime]) -> IntArray:
    """``to_us`` over a batch."""
    return np.fromiter((to_us(m) for m in moments), dtype=np.int64, count=len(moments))


def from_us_array(values: IntArray) -> list[datetime]:
    """``from_us`` over a batch (through numpy's datetime64, in C)."""
    naive = values.astype("datetime64[us]").tolist()
    return [moment.replace(tzinfo=UTC) for moment in naive]


@dataclass(frozen=True)
class _Table:
    """Every working interval of the local days [first, last) as UTC microseconds."""

    first: date
    last: date
    lo: int  # midnight at the start of ``first``
    hi: int  # midnight at the start of ``last``
    starts: IntArray
    ends: IntArray
    before: IntArray  # W at each start
    after: IntArray  # W at each end

    def working(self, moments: IntArray) -> IntArray:
        """W(t): working microseconds from ``first`` to each moment."""
        index = np.searchsorted(self.starts, moments, side="right") - 1
        safe = np.maximum(index, 0)
        inside = np.clip(moments - self.starts[safe], 0, self.ends[safe] - self.starts[safe])
        return np.where(index >= 0, self.before[safe] + inside, 0)

    def moment_of(self, working: IntArray) -> IntArray:
        """The inverse of W: the earliest moment with that much working time behind it."""
        index = np.searchsorted(self.after, working, side="left")
        return self.starts[index] + (working - self.before[index])


class WorkingCalendar:
    """Working time in one timezone; all methods take and return aware datetimes."""

    def __init__(
        self,
        *,
        timezone: str = "UTC",
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
        intervals: Sequence[tuple[time, time]] = ((time(9), time(18)),),
        holidays: Iterable[date] = (),
        working_days: Iterable[date] = (),
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
    ) -> None:
        self.zone = ZoneInfo(timezone)
        self.weekdays = frozenset(weekdays)
        self.intervals = tuple(sorted(intervals))
        if not self.weekdays and not working_days:
            raise ValueError("a calendar needs at least one working weekday")
        if not self.intervals:
            raise ValueError("a calendar needs at least one working interval")
        for (start, end), following in zip(
            self.intervals, [*self.intervals[1:], None], strict=True
        ):
            if start >= end:
                raise ValueError(f"working interval {start}–{end} ends before it starts")
            if following is not None and following[0] < end:
                raise ValueError(f"working intervals overlap at {following[0]}")
        self.holidays = frozenset(holidays)
        self.working_days = frozenset(working_days)
        self.holiday_country = holiday_country
        self.holiday_subdivision = holiday_subdivision
        self._country_years: set[int] = set()
        self._country_holidays: set[date] = set()
        self._country_workdays: set[date] = set()
        self._lock = threading.Lock()
        self._table: _Table | None = None

    # ---- days ---------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` (a local date) has working hours."""
        if day in self.working_days:
            return True
        if day in self.holidays:
            return False
        if self.holiday_country:
            self._load_country(day.year)
            if day in self._country_workdays:
                return True
            if day in self._country_holidays:
                return False
        return day.weekday() in self.weekdays

    def day_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of ``day`` as aware local datetimes (empty on a day off)."""
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, start, self.zone), datetime.combine(day, end, self.zone))
            for start, end in self.intervals
        ]

    def _load_country(self, year: int) -> None:
        if year in self._country_years or self.holiday_country is None:
            return
        import holidays  # imported on demand: loading every country's tables takes a while

        table = holidays.country_holidays(
            self.holiday_country, subdiv=self.holiday_subdivision, years=year
        )
        self._country_holidays.update(d for d in table if d.year == year)
        self._country_workdays.update(
            d for d in getattr(table, "weekend_workdays", ()) if d.year == year
        )
        self._country_years.add(year)

    # ---- the table of working intervals -------------------------------------------------------

    def _table_for(self, lo_us: int, hi_us: int) -> _Table:
        """A table covering [lo_us, hi_us]; grown (forward, or from an earlier origin) if needed."""
        table = self._table
        if table is not None and table.lo <= lo_us and hi_us < table.hi:
            return table
        with self._lock:
            table = self._table
            if table is not None and table.lo <= lo_us and hi_us < table.hi:
                return table
            first = from_us(lo_us).astimezone(self.zone).date()
            last = from_us(hi_us).astimezone(self.zone).date()
            first = min(date(first.year - _MARGIN_YEARS, 1, 1), _ORIGIN)
            last = date(last.year + _MARGIN_YEARS + 1, 1, 1)
            if table is not None:
                first, last = min(first, table.first), max(last, table.last)
            self._table = table = self._build(first, last)
            return table

    def _build(self, first: date, last: date) -> _Table:
        starts: list[int] = []
        ends: list[int] = []
        day = first
        while day < last:
            for start, end in self.day_spans(day):
                starts.append(to_us(start))
                ends.append(to_us(end))
            day += timedelta(days=1)
        if not starts:
            raise ValueError(f"no working time at all between {first} and {last}")
        s = np.array(starts, dtype=np.int64)
        e = np.array(ends, dtype=np.int64)
        lengths = e - s
        after = np.cumsum(lengths)
        return _Table(
            first=first,
            last=last,
            lo=to_us(datetime.combine(first, time(0), self.zone)),
            hi=to_us(datetime.combine(last, time(0), self.zone)),
            starts=s,
            ends=e,
            before=after - lengths,
            after=after,
        )

    # ---- vectorized core ----------------------------------------------------------------------

    def add_working_hours_us(self, starts: IntArray, hours: npt.ArrayLike) -> IntArray:
        """``add_working_hours`` over a batch of UTC microseconds; ``hours`` broadcasts."""
        amount = np.rint(np.asarray(hours, dtype=np.float64) * US_PER_HOUR).astype(np.int64)
        if np.any(amount < 0):
            raise ValueError("working hours to add must not be negative")
        amount = np.broadcast_to(amount, starts.shape)
        if not starts.size:
            return starts.copy()
        lo, hi = int(starts.min()), int(starts.max())
        while True:
            # W values belong to one table (its origin): a grown table means computing again.
            table = self._table_for(lo, hi)
            target = table.working(starts) + amount
            if int(target.max()) <= int(table.after[-1]):
                return np.where(amount > 0, table.moment_of(target), starts)
            hi = table.hi + (table.hi - table.lo) // 4  # past the table's end: grow it

    def working_us(self, moments: IntArray) -> IntArray:
        """W(t) over a batch: working microseconds from the table's origin (differences only)."""
        if not moments.size:
            return moments.copy()
        return self._table_for(int(moments.min()), int(moments.max())).working(moments)

    # ---- one moment at a time -----------------------------------------------------------------

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` working hours after ``start``."""
        if hours == 0:
            return start
        moments = np.array([to_us(start)], dtype=np.int64)
        return from_us(int(self.add_working_hours_us(moments, hours)[0]))

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Working hours from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
        w = self.working_us(np.array([to_us(a), to_us(b)], dtype=np.int64))  # one table
        return float(w[1] - w[0]) / US_PER_HOUR

    def is_working_time(self, moment: datetime) -> bool:
        """Whether ``moment`` falls inside a working interval (opening in, closing out)."""
        t = to_us(moment)
        table = self._table_for(t, t)
        index = int(np.searchsorted(table.starts, t, side="right")) - 1
        return index >= 0 and t < int(table.ends[index])

    def next_opening(self, moment: datetime) -> datetime:
        """``moment`` if it is working time, else the next opening."""
        t = to_us(moment)
        table = self._table_for(t, t + US_PER_HOUR * 24 * 366)
        index = int(np.searchsorted(table.ends, t, side="right"))
        return moment if t >= int(table.starts[index]) else from_us(int(table.starts[index]))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same clock time ``days`` working days later, clamped into that day's working time.

        A start outside working time (but not exactly at a closing time) first moves to the next
        opening. On the target day a time before opening becomes the opening, a time in a break
        the next opening, and a time after closing the closing time.
        """
        if days < 0:
            raise ValueError("working days to add must not be negative")
        local = start.astimezone(self.zone)
        if not any(o <= local <= c for o, c in self.day_spans(local.date())):
            local = self.next_opening(start).astimezone(self.zone)
        day = local.date()
        for _ in range(days):
            day += timedelta(days=1)
            while not self.is_working_day(day):
                day += timedelta(days=1)
        spans = self.day_spans(day)
        wanted = datetime.combine(day, local.time(), self.zone)
        if wanted > spans[-1][1]:
            return spans[-1][1].astimezone(UTC)
        for opening, closing in spans:
            if wanted <= closing:
                return max(wanted, opening).astimezone(UTC)
        raise AssertionError("unreachable: the last closing time was checked above")


@lru_cache(maxsize=32)
def cached_calendar(
    timezone: str,
    weekdays: tuple[int, ...],
    intervals: tuple[tuple[time, time], ...],
    holidays: tuple[date, ...],
    working_days: tuple[date, ...],
    holiday_country: str | None,
    holiday_subdivision: str | None,
) -> WorkingCalendar:
    """One calendar object (and its table) per distinct configuration, shared by every caller."""
    return WorkingCalendar(
        timezone=timezone,
        weekdays=weekdays,
        intervals=intervals,
        holidays=holidays,
        working_days=working_days,
        holiday_country=holiday_country,
        holiday_subdivision=holiday_subdivision,
    )
