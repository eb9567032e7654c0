"""The SQL that scoring reads: the needed lead columns and each lead's touches, set-based.

Times come back as day differences computed by the database (no datetime objects per row):
a touch's age at the scoring moment, and its offset from the lead's creation (for the model).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, func, select, true
from sqlalchemy.orm import Session

from closeloop.db.dialect import one_of
from closeloop.db.types import UTCDateTime
from closeloop.models import Channel, Lead, LeadStatus, Touch

S = LeadStatus
OPEN_STATUSES = (S.NEW, S.WORKING, S.MQL, S.SAL, S.NURTURE, S.POOL)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

LEAD_COLUMNS = (
    "id",
    "status",
    "industry",
    "company_size",
    "region",
    "city",
    "title",
    "owner_id",
    "score",
    "fit_score",
    "engagement_score",
    "score_version",
    "predicted_conversion",
    "model_version",
)


@dataclass
class LeadRows:
    """Columns of a set of leads (sorted by id) and of their touches."""

    ids: IntArray
    columns: dict[str, list[Any]]
    channel: list[str | None]
    touch_lead: IntArray  # position of the touch's lead in ``ids``
    touch_kind: list[str]
    touch_age_days: FloatArray  # at the scoring moment
    touch_offset_days: FloatArray  # after the lead was created

    def __len__(self) -> int:
        return len(self.ids)

    def drop_touches(self) -> None:
        """Free the touches once scored (a batch keeps its leads' columns until it writes)."""
        self.touch_lead = np.empty(0, dtype=np.int64)
        self.touch_kind = []
        self.touch_age_days = self.touch_offset_days = np.empty(0, dtype=np.float64)


def days_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[float]:
    """``later - earlier`` in days, as a float, on either database."""
    if dialect == "postgresql":
        return func.date_part("epoch", later - earlier) / 86400.0  # type: ignore[return-value]
    return func.julianday(later) - func.julianday(earlier)


def moment(at: datetime, name: str = "scoring_at") -> BindParameter[datetime]:
    """``at`` as a bound parameter: the statement's text stays the same from call to call, so
    SQLAlchemy's compiled cache and the server's prepared statements are reused."""
    return bindparam(name, at.astimezone(UTC), type_=UTCDateTime())


def read_leads(
    session: Session,
    *,
    at: datetime,
    ids: Sequence[int] | None = None,
    id_range: tuple[int, int] | None = None,
    open_only: bool = True,
    exclude_merged: bool = False,
) -> LeadRows:
    """Leads by ``ids`` or by an inclusive id range (open ones only unless told), with touches
    that happened by ``at``."""
    dialect = session.get_bind().dialect.name
    leads, touches, channels = Lead.__table__, Touch.__table__, Channel.__table__
    where: list[ColumnElement[bool]] = []
    if ids is not None:
        where.append(one_of(dialect, leads.c.id, list(ids)))
    if id_range is not None:
        where.append(leads.c.id.between(*id_range))
    if open_only:
        where.append(leads.c.status.in_([s.value for s in OPEN_STATUSES]))
    if exclude_merged:
        where.append(leads.c.status != S.MERGED.value)
    if not where:
        where.append(true())
    statement = (
        select(*(leads.c[name] for name in LEAD_COLUMNS), channels.c.code)
        .select_from(leads.outerjoin(channels, channels.c.id == leads.c.channel_id))
        .where(and_(*where))
        .order_by(leads.c.id)
    )
    rows = _fetch_all(session, statement)
    columns: dict[str, list[Any]] = {name: [] for name in LEAD_COLUMNS}
    if rows:
        columns = dict(zip(LEAD_COLUMNS, map(list, zip(*rows, strict=True)), strict=False))
    channel = [row[-1] for row in rows]
    lead_ids = np.array(columns["id"], dtype=np.int64)

    now = moment(at)
    touch_statement = (
        select(
            touches.c.lead_id,
            touches.c.kind,
            days_between(dialect, now, touches.c.occurred_at),
            days_between(dialect, touches.c.occurred_at, leads.c.created_at),
        )
        .select_from(touches.join(leads, leads.c.id == touches.c.lead_id))
        .where(and_(*where), touches.c.occurred_at <= now)
    )
    touch_rows = _fetch_all(session, touch_statement) if len(lead_ids) else []
    if touch_rows:
        t_lead, t_kind, t_age, t_offset = zip(*touch_rows, strict=True)
    else:
        t_lead, t_kind, t_age, t_offset = (), (), (), ()
    position = np.searchsorted(lead_ids, np.array(t_lead, dtype=np.int64))
    return LeadRows(
        ids=lead_ids,
        columns=columns,
        channel=channel,
        touch_lead=position.astype(np.int64),
        touch_kind=list(t_kind),
        touch_age_days=np.array(t_age, dtype=np.float64),
        touch_offset_days=np.array(t_offset, dtype=np.float64),
    )


def open_lead_ids(session: Session, *, where: ColumnElement[bool] | None = None) -> IntArray:
    """Ids of open leads (optionally narrowed), sorted."""
    leads = Lead.__table__
    statement = select(leads.c.id).where(leads.c.status.in_([s.value for s in OPEN_STATUSES]))
    if where is not None:
        statement = statement.where(where)
    rows = _fetch_all(session, statement.order_by(leads.c.id))
    return np.array([row[0] for row in rows], dtype=np.int64)


def _fetch_all(session: Session, statement: Any) -> list[Any]:
    """Rows straight from the driver's cursor: these columns need no type conversion, and
    SQLAlchemy's row objects would cost more than the query for a hundred thousand rows."""
    result = session.execute(statement)
    try:
        return list(result.cursor.fetchall())  # type: ignore[attr-defined]
    finally:
        result.close()
