"""When the demo company's leads arrive: seasonality, weekdays, growth and office hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import numpy.typing as npt

from closeloop.demo.company import MONTHLY_GROWTH, SEASONALITY
from closeloop.demo.wire import SECONDS_PER_DAY

WEEKDAY_WEIGHT = np.array([1.0, 1.05, 1.05, 1.0, 0.9, 0.35, 0.25])


def months_before(day: date, months: int) -> date:
    """The same day of the month ``months`` earlier (clipped to the month's length)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def epoch(day: date) -> float:
    """Seconds since the epoch at the start of ``day`` (UTC)."""
    return datetime.combine(day, time.min, UTC).timestamp()


def day_weights(start: date, days: int) -> npt.NDArray[np.float64]:
    """Relative lead volume of each day from ``start``."""
    weights: npt.NDArray[np.float64] = np.empty(days)
    for offset in range(days):
        day = start + timedelta(days=offset)
        months_in = offset / 30.44
        weights[offset] = (
            SEASONALITY[day.month - 1]
            * WEEKDAY_WEIGHT[day.weekday()]
            * (1 + MONTHLY_GROWTH) ** months_in
        )
    return weights / float(weights.sum())


def creation_times(
    rng: np.random.Generator, count: int, start: date, end: date
) -> npt.NDArray[np.float64]:
    """``count`` sorted creation times (epoch seconds) from ``start`` to the end of ``end``."""
    days = (end - start).days + 1
    day = rng.choice(days, count, p=day_weights(start, days))
    # Office hours, mostly 09:00–18:00 in China (01:00–10:00 UTC), with a tail.
    hour = np.clip(rng.normal(5.5, 3.0, count), 0, 23.99)
    seconds = (epoch(start) + day * SECONDS_PER_DAY + np.floor(hour * 3600)).astype(
        np.float64, copy=False
    )
    seconds.sort()
    return seconds
