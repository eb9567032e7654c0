"""Working-time arithmetic, computed by hand, then properties over random moments.

Unless a test says otherwise the calendar is Asia/Shanghai, Monday to Friday, 09:00–18:00.
November 2026: Friday the 27th, Monday the 30th. China's 2026 National Day holiday runs
1–7 October (Thursday to Wednesday); Sunday 20 September is a 调休 make-up working day.
"""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closeloop.leads.sla.calendar import (
    WorkingCalendar,
    from_us_array,
    to_us,
    to_us_array,
)

SH = ZoneInfo("Asia/Shanghai")
NINE_TO_SIX = ((time(9), time(18)),)
WITH_LUNCH = ((time(9), time(12)), (time(13, 30), time(18)))


def local(month: int, day: int, hour: int, minute: int = 0, *, tz: ZoneInfo = SH) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=tz)


@pytest.fixture(scope="module")
def plain() -> WorkingCalendar:
    return WorkingCalendar(timezone="Asia/Shanghai", intervals=NINE_TO_SIX)


@pytest.fixture(scope="module")
def china() -> WorkingCalendar:
    return WorkingCalendar(timezone="Asia/Shanghai", intervals=WITH_LUNCH, holiday_country="CN")


# ---- add_working_hours ---------------------------------------------------------------------


def test_friday_afternoon_plus_two_hours_is_monday_ten(plain: WorkingCalendar) -> None:
    assert plain.add_working_hours(local(11, 27, 17), 2) == local(11, 30, 10)


def test_a_deadline_on_the_closing_time_stays_there(plain: WorkingCalendar) -> None:
    assert plain.add_working_hours(local(11, 27, 17), 1) == local(11, 27, 18)
    assert not plain.is_working_time(local(11, 27, 18))


def test_lunch_does_not_count(china: WorkingCalendar) -> None:
    # 11:00–12:00 is one hour, 13:30–14:30 the second.
    assert china.add_working_hours(local(11, 24, 11), 2) == local(11, 24, 14, 30)
    assert china.add_working_hours(local(11, 24, 12, 15), 1) == local(11, 24, 14, 30)


def test_a_public_holiday_is_skipped(china: WorkingCalendar) -> None:
    # Wednesday 30 September 17:00: one hour that day, then 1–7 October off, two hours on the 8th.
    assert china.add_working_hours(local(9, 30, 17), 3) == local(10, 8, 11)


def test_an_explicit_holiday_is_skipped(plain: WorkingCalendar) -> None:
    calendar = WorkingCalendar(
        timezone="Asia/Shanghai", intervals=NINE_TO_SIX, holidays=[date(2026, 11, 30)]
    )
    assert calendar.add_working_hours(local(11, 27, 17), 2) == local(12, 1, 10)


def test_a_make_up_saturday_counts(plain: WorkingCalendar, china: WorkingCalendar) -> None:
    # From the holidays package: Sunday 20 September 2026 is a working day in China.
    assert china.add_working_hours(local(9, 18, 17), 2) == local(9, 20, 10)
    # Listed by hand: Saturday 28 November.
    calendar = WorkingCalendar(
        timezone="Asia/Shanghai", intervals=NINE_TO_SIX, working_days=[date(2026, 11, 28)]
    )
    assert calendar.add_working_hours(local(11, 27, 17), 2) == local(11, 28, 10)


def test_an_explicit_working_day_beats_a_country_holiday() -> None:
    calendar = WorkingCalendar(
        timezone="Asia/Shanghai",
        intervals=NINE_TO_SIX,
        holiday_country="CN",
        working_days=[date(2026, 10, 1)],
    )
    assert calendar.add_working_hours(local(9, 30, 17), 2) == local(10, 1, 10)


def test_a_start_at_night_counts_from_the_next_opening(plain: WorkingCalendar) -> None:
    assert plain.add_working_hours(local(11, 24, 22), 1) == local(11, 25, 10)
    assert plain.add_working_hours(local(11, 25, 7), 1) == local(11, 25, 10)
    assert plain.add_working_hours(local(11, 28, 15), 1) == local(11, 30, 10)  # Saturday


def test_the_result_is_utc_and_zero_hours_is_the_start(plain: WorkingCalendar) -> None:
    result = plain.add_working_hours(local(11, 27, 17), 2)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 11, 30, 2, tzinfo=UTC)
    assert plain.add_working_hours(local(11, 28, 15), 0) == local(11, 28, 15)


def test_daylight_saving_time_changes_are_wall_clock() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    calendar = WorkingCalendar(timezone="Europe/Berlin", intervals=NINE_TO_SIX)
    # Clocks go forward on Sunday 29 March 2026; Monday still opens at 09:00 local.
    friday = datetime(2026, 3, 27, 17, tzinfo=berlin)
    assert calendar.add_working_hours(friday, 2) == datetime(2026, 3, 30, 10, tzinfo=berlin)


def test_many_years_ahead_grow_the_table(plain: WorkingCalendar) -> None:
    start = local(11, 23, 9)
    later = plain.add_working_hours(start, 9 * 261 * 10)  # about ten working years
    assert later.year >= 2036
    assert plain.working_hours_between(start, later) == pytest.approx(9 * 261 * 10)


# ---- add_working_days ------------------------------------------------------------------------


def test_working_days_keep_the_clock_time(plain: WorkingCalendar) -> None:
    assert plain.add_working_days(local(11, 27, 10, 30), 1) == local(11, 30, 10, 30)
    assert plain.add_working_days(local(11, 24, 10), 3) == local(11, 27, 10)


def test_working_days_from_outside_working_time(plain: WorkingCalendar) -> None:
    assert plain.add_working_days(local(11, 27, 18), 1) == local(11, 30, 18)  # at closing
    assert plain.add_working_days(local(11, 27, 20), 1) == local(12, 1, 9)  # after: Mon 09:00 + 1
    assert plain.add_working_days(local(11, 28, 11), 2) == local(12, 2, 9)  # Saturday


def test_working_days_clamp_into_the_target_day(china: WorkingCalendar) -> None:
    # Monday 12:00 is the morning's close: Tuesday 12:00. Monday 12:30 is lunch: Tuesday 13:30.
    assert china.add_working_days(local(11, 23, 12), 1) == local(11, 24, 12)
    assert china.add_working_days(local(11, 23, 12, 30), 1) == local(11, 24, 13, 30)


def test_working_days_skip_holidays(china: WorkingCalendar) -> None:
    # Tuesday 29 September: Wednesday 30th is 1, then 8 and 9 October are 2 and 3.
    assert china.add_working_days(local(9, 29, 10), 3) == local(10, 9, 10)


# ---- between and is_working_time -------------------------------------------------------------


def test_working_hours_between(plain: WorkingCalendar, china: WorkingCalendar) -> None:
    assert plain.working_hours_between(local(11, 27, 17), local(11, 30, 10)) == 2.0
    assert plain.working_hours_between(local(11, 30, 10), local(11, 27, 17)) == -2.0
    assert china.working_hours_between(local(11, 23, 0), local(11, 24, 0)) == 7.5
    assert china.working_hours_between(local(10, 1, 0), local(10, 8, 0)) == 0.0


def test_is_working_time(china: WorkingCalendar) -> None:
    assert china.is_working_time(local(11, 23, 9))
    assert china.is_working_time(local(11, 23, 11, 59))
    assert not china.is_working_time(local(11, 23, 12))
    assert not china.is_working_time(local(11, 23, 13))
    assert china.is_working_time(local(11, 23, 13, 30))
    assert not china.is_working_time(local(11, 23, 18))
    assert not china.is_working_time(local(11, 28, 10))  # Saturday
    assert not china.is_working_time(local(10, 1, 10))  # National Day
    assert china.is_working_time(local(9, 20, 10))  # make-up Sunday


def test_bad_calendars_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        WorkingCalendar(intervals=((time(9), time(13)), (time(12), time(18))))
    with pytest.raises(ValueError, match="weekday"):
        WorkingCalendar(weekdays=())
    with pytest.raises(ValueError, match="ends before"):
        WorkingCalendar(intervals=((time(18), time(9)),))


# ---- batches ---------------------------------------------------------------------------------


def test_a_batch_gives_the_same_answers_as_one_at_a_time(china: WorkingCalendar) -> None:
    starts = [local(9, 18, 17) + timedelta(minutes=37 * i) for i in range(500)]
    batch = from_us_array(china.add_working_hours_us(to_us_array(starts), 2.5))
    assert batch == [china.add_working_hours(s, 2.5) for s in starts]


def test_deadlines_for_100k_leads_take_well_under_a_second(china: WorkingCalendar) -> None:
    base = to_us(local(1, 1, 0))
    starts = base + np.arange(100_000, dtype=np.int64) * 317_000_000  # spread over a year
    hours = np.resize(np.array([1.0, 2.0, 4.0, 16.0]), starts.shape)
    china.add_working_hours_us(starts[:10], 1.0)  # the table is built once per calendar
    started = clock.perf_counter()
    china.add_working_hours_us(starts, hours)
    assert clock.perf_counter() - started < 0.5


# ---- properties ------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
amounts = st.floats(min_value=0.01, max_value=200, allow_nan=False).map(lambda h: round(h, 4))


@settings(max_examples=300, deadline=None)
@given(start=moments, hours=amounts)
def test_adding_then_measuring_gives_the_hours_back(start: datetime, hours: float) -> None:
    calendar = _china()
    assert calendar.working_hours_between(
        start, calendar.add_working_hours(start, hours)
    ) == pytest.approx(hours, abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(start=moments, a=amounts, b=amounts)
def test_more_hours_never_end_sooner(start: datetime, a: float, b: float) -> None:
    calendar = _china()
    low, high = sorted((a, b))
    assert start < calendar.add_working_hours(start, low) <= calendar.add_working_hours(start, high)


@settings(max_examples=300, deadline=None)
@given(start=moments, hours=amounts)
def test_a_deadline_lies_in_working_time(start: datetime, hours: float) -> None:
    calendar = _china()
    result = calendar.add_working_hours(start, hours)
    just_before = result - timedelta(microseconds=1)
    assert calendar.is_working_time(result) or calendar.is_working_time(just_before)
    assert calendar.is_working_day(result.astimezone(SH).date())


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)))
def test_days_off_hold_no_working_time(day: date) -> None:
    calendar = _china()
    start = datetime.combine(day, time(0), SH)
    hours = calendar.working_hours_between(start, start + timedelta(days=1))
    assert hours == (7.5 if calendar.is_working_day(day) else 0.0)


@settings(max_examples=200, deadline=None)
@given(start=moments, days=st.integers(min_value=0, max_value=20))
def test_working_days_land_in_working_time_in_order(start: datetime, days: int) -> None:
    calendar = _china()
    result = calendar.add_working_days(start, days)
    later = calendar.add_working_days(start, days + 1)
    assert result < later
    just_before = result - timedelta(microseconds=1)
    assert calendar.is_working_time(result) or calendar.is_working_time(just_before)


_CHINA: list[WorkingCalendar] = []


def _china() -> WorkingCalendar:
    """One calendar for every example (hypothesis cannot take function-scoped fixtures)."""
    if not _CHINA:
        _CHINA.append(
            WorkingCalendar(timezone="Asia/Shanghai", intervals=WITH_LUNCH, holiday_country="CN")
        )
    return _CHINA[0]
