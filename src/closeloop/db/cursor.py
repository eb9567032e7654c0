"""Keyset (cursor) pagination: stable pages over millions of rows, no OFFSET.

A page is ordered by one sort expression and then the primary key; the cursor is the last row's
(sort value, id), opaque to clients (URL-safe base64 of JSON). The sort expression must not be
NULL (wrap a nullable column in ``coalesce``).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import Session

from closeloop.errors import Invalid
from closeloop.i18n import N_

T = TypeVar("T")
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        if "d" in value:
            return date.fromisoformat(value["d"])
        if "dec" in value:
            return Decimal(value["dec"])
    return value


def encode_cursor(sort_value: Any, row_id: int) -> str:
    raw = json.dumps([_encode_value(sort_value), row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, field: str = "query.cursor") -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(row_id, int):
            raise ValueError
        return _decode_value(value), row_id
    except (ValueError, TypeError, binascii.Error, KeyError):
        raise Invalid(N_("not a cursor this API gave out"), field=field) from None


def paginate(
    session: Session,
    statement: Select[Any],
    *,
    sort: ColumnElement[Any],
    id_column: ColumnElement[int],
    descending: bool = False,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[Any]:
    """One page of ``statement`` (which selects one entity) and the cursor of the next page."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(N_("between 1 and %(max)s"), field="query.limit", max=MAX_LIMIT)
    if cursor:
        after_value, after_id = decode_cursor(cursor)
        if descending:
            statement = statement.where(
                or_(sort < after_value, and_(sort == after_value, id_column < after_id))
            )
        else:
            statement = statement.where(
                or_(sort > after_value, and_(sort == after_value, id_column > after_id))
            )
    order = (sort.desc(), id_column.desc()) if descending else (sort.asc(), id_column.asc())
    rows = list(
        session.execute(
            statement.add_columns(sort.label("_sort")).order_by(*order).limit(limit + 1)
        )
    )
    items = [row[0] for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last[-1], last[0].id)
    return Page(items, next_cursor)
