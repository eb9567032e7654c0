"""What every API route shares in its parameters: ids in the database's range, and the unit of
work of a request (a writer for anything but a read)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Path, Query, Request
from sqlalchemy.orm import Session

from closeloop.db.engine import unit_of_work
from closeloop.db.types import MAX_ID

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
READS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_unit(request: Request) -> AbstractContextManager[Session]:
    """The request's transaction; a change begins as a writer (see ``unit_of_work``)."""
    return unit_of_work(request.app.state.engine, writing=request.method not in READS)
