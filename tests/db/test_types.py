"""Timestamps are timezone-aware UTC everywhere; money is exact integer minor units and Decimal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from closeloop.analytics.period import Grouping, Period
from closeloop.analytics.roi import roi_report
from closeloop.db.engine import session_factory
from closeloop.db.types import UTCDateTime, utcnow
from closeloop.models import Channel, Lead, SpendEntry
from closeloop.money import exponent, from_minor, to_minor
from tests import factories as f
from tests.factories import at

SHANGHAI = timezone(timedelta(hours=8))
NEW_YORK_WINTER = timezone(timedelta(hours=-5))

# ---- UTCDateTime, without a database -----------------------------------------------------------


def test_sqlite_stores_naive_utc():
    stored = UTCDateTime().process_bind_param(
        datetime(2026, 2, 1, 7, 30, tzinfo=SHANGHAI), sqlite.dialect()
    )

    assert stored == datetime(2026, 1, 31, 23, 30)
    assert stored is not None and stored.tzinfo is None


def test_postgresql_stores_aware_utc():
    stored = UTCDateTime().process_bind_param(
        datetime(2026, 2, 1, 7, 30, tzinfo=SHANGHAI), postgresql.dialect()
    )

    assert stored == datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    assert stored is not None and stored.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", [datetime(2026, 1, 1, 12), date(2026, 1, 1), "2026-01-01"])
def test_a_naive_or_non_datetime_value_is_refused(value: object):
    with pytest.raises(ValueError, match="timezone-aware"):
        UTCDateTime().process_bind_param(value, sqlite.dialect())


def test_values_read_back_are_aware_utc():
    kind = UTCDateTime()

    assert kind.process_result_value(datetime(2026, 1, 31, 23, 30), sqlite.dialect()) == (
        datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    )
    read = kind.process_result_value(
        datetime(2026, 1, 31, 18, 30, tzinfo=NEW_YORK_WINTER), postgresql.dialect()
    )
    assert read == datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    assert read is not None and read.tzinfo == UTC
    assert kind.process_result_value(None, sqlite.dialect()) is None
    assert kind.process_bind_param(None, sqlite.dialect()) is None


def test_utcnow_is_aware_utc():
    assert utcnow().tzinfo == UTC


# ---- UTCDateTime, on each database -------------------------------------------------------------


def test_a_timestamp_round_trips_as_the_same_instant_in_utc(session: Session, engine: Engine):
    moment = datetime(2026, 2, 1, 7, 30, 15, 123456, tzinfo=SHANGHAI)
    search = f.channel(session, "Search")
    search.created_at = moment
    session.commit()

    with session_factory(engine)() as fresh:
        read = fresh.scalars(select(Channel.created_at)).one()
        updated = fresh.scalars(select(Channel.updated_at)).one()

    assert read == moment  # the same instant, to the microsecond
    assert read.tzinfo == UTC
    assert (read.hour, read.day) == (23, 31)
    assert updated.tzinfo == UTC  # the default, utcnow()


def test_a_timestamp_is_stored_as_utc(session: Session, engine: Engine, backend: str):
    f.channel(session, "Search").created_at = datetime(2026, 2, 1, 7, 30, tzinfo=SHANGHAI)
    session.commit()

    with engine.connect() as connection:
        raw = connection.exec_driver_sql("SELECT created_at FROM channels").scalar_one()
        if backend == "postgresql":
            kind = connection.scalar(
                text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'channels' AND column_name = 'created_at'"
                )
            )
            assert kind == "timestamp with time zone"
            assert raw == datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
        else:
            assert raw == "2026-01-31 23:30:00.000000"  # naive text, in UTC


def test_a_naive_timestamp_is_refused_and_nothing_is_written(session: Session):
    session.add(Channel(code="search", name="Search", kind="paid_search"))
    session.commit()
    session.add(
        Lead(
            full_name="Naive",
            created_at=datetime(2026, 1, 1, 12),  # no tzinfo: which 12:00?
        )
    )

    with pytest.raises(StatementError, match="timezone-aware") as raised:
        session.flush()
    assert isinstance(raised.value.orig, ValueError)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Lead)) == 0
    assert session.scalar(select(func.count()).select_from(Channel)) == 1


def test_comparisons_use_the_instant_whatever_the_offset(session: Session):
    search = f.channel(session, "Search")
    f.lead(session, at(2026, 1, 31, 23, 30), channel=search)

    # 2026-02-01 07:29 +08:00 is 01-31 23:29 UTC: a minute before the lead.
    before = session.scalars(
        select(Lead.id).where(Lead.created_at < datetime(2026, 2, 1, 7, 29, tzinfo=SHANGHAI))
    ).all()
    after = session.scalars(
        select(Lead.id).where(
            Lead.created_at < datetime(2026, 1, 31, 18, 31, tzinfo=NEW_YORK_WINTER)
        )
    ).all()

    assert (len(before), len(after)) == (0, 1)


# ---- money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.34", "USD", 1234),
        ("12.345", "USD", 1234),  # half to even: 1234.5 → 1234
        ("12.355", "USD", 1236),  # 1235.5 → 1236
        ("-0.125", "USD", -12),
        ("0.1", "USD", 10),  # exactly ten cents (a float would be 0.1000000000000000055…)
        ("1500", "JPY", 1500),  # no minor unit
        ("1500.5", "JPY", 1500),
        ("1.2345", "KWD", 1234),  # three places: 1234.5 → 1234
        ("9.99", "usd", 999),  # the code is case-insensitive
    ],
)
def test_to_minor(amount: str, currency: str, minor: int):
    assert to_minor(Decimal(amount), currency) == minor


@pytest.mark.parametrize(
    ("minor", "currency", "text_form"),
    [
        (1234, "USD", "12.34"),
        (0, "USD", "0.00"),
        (-5, "USD", "-0.05"),
        (1500, "JPY", "1500"),
        (1234, "KWD", "1.234"),
        (10**17 + 1, "EUR", "1000000000000000.01"),
    ],
)
def test_from_minor_is_exact_with_the_currency_places(minor: int, currency: str, text_form: str):
    amount = from_minor(minor, currency)

    assert isinstance(amount, Decimal)
    assert str(amount) == text_form
    assert to_minor(amount, currency) == minor


def test_a_float_is_never_money():
    with pytest.raises(TypeError, match="float"):
        to_minor(0.1, "USD")  # type: ignore[arg-type]


def test_exponents():
    assert (exponent("USD"), exponent("CNY"), exponent("JPY"), exponent("BHD")) == (2, 2, 0, 3)


def test_large_amounts_stay_exact_in_storage_and_in_reports(session: Session):
    search = f.channel(session, "Search")
    # 12,345,678,901,234.56 USD is 1,234,567,890,123,456 cents: far beyond 32 bits and beyond
    # the 15–16 significant digits a float keeps.
    for day in (1, 2):
        f.spend(session, Decimal("12345678901234.56"), date(2026, 1, day), channel=search)
    session.commit()

    stored = session.scalars(select(SpendEntry.amount_minor)).all()
    report = roi_report(
        session, grouping=Grouping.CHANNEL, period=Period(date(2026, 1, 1), date(2026, 1, 31))
    )

    assert stored == [1_234_567_890_123_456, 1_234_567_890_123_456]
    assert str(report.total.spend) == "24691357802469.12"
