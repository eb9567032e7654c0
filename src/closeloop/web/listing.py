"""What every list endpoint shares: limit, cursor and sort parameters, and the page it answers.

    GET /api/v1/leads?limit=50&sort=-score&cursor=…  →  {"items": […], "next_cursor": "…"|null}

``sort`` names one field of the endpoint's whitelist, ``-`` in front for descending; ties are
broken by id, and the cursor continues exactly after the last row (see ``closeloop.db.cursor``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement

from closeloop.db.cursor import MAX_LIMIT
from closeloop.errors import Invalid
from closeloop.i18n import N_

Item = TypeVar("Item")


class PageOut(BaseModel, Generic[Item]):
    """One page of a list and the cursor of the next one (null on the last page)."""

    items: list[Item]
    next_cursor: str | None


@dataclass(frozen=True)
class ListParams:
    limit: int
    cursor: str | None
    sort: str | None


def list_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
    sort: Annotated[
        str | None, Query(description="A sortable field; prefix with - for descending.")
    ] = None,
) -> ListParams:
    return ListParams(limit=limit, cursor=cursor, sort=sort)


def sort_order(
    sort: str | None, sortable: Mapping[str, ColumnElement[Any]], default: str
) -> tuple[ColumnElement[Any], bool]:
    """The sort expression and direction for ``sort`` (e.g. ``-score``), from a whitelist."""
    text = sort or default
    descending = text.startswith("-")
    name = text.lstrip("-")
    if name not in sortable:
        raise Invalid(
            N_("sortable by %(names)s"), field="query.sort", names=", ".join(sorted(sortable))
        )
    return sortable[name], descending
