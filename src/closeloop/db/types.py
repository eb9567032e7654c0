"""Column types shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

# Ids within the database's integer range: a larger one from outside is a 422, never a
# database error.
MAX_ID = 2_147_483_647
# An id in a request body: a row's id, within that range.
IdRef = Annotated[int, Field(ge=1, le=MAX_ID)]


def key_string(length: int) -> TypeEngine[str]:
    """A canonical matching key (e-mail, E.164 phone, company key, source key): compared byte by
    byte. Under PostgreSQL's database collation (C.UTF-8 here) every B-tree comparison goes
    through the locale, which made each key's index insert about half as dear again, and a
    ``LIKE 'x%'`` search could not use the index at all; the "C" collation fixes both. SQLite
    compares bytes already."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database.

    PostgreSQL keeps it as ``timestamptz``; SQLite keeps naive UTC text, and the aware value is
    restored on read. A naive datetime is refused on write: it would be ambiguous.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware datetimes, got {value!r}")
        aware: datetime = value.astimezone(UTC)
        return aware.replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        if stored.tzinfo is None:
            return stored.replace(tzinfo=UTC)
        return stored.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


SQLITE_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
