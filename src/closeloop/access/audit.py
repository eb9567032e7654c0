"""The audit log: every change by a person or an integration, with before and after."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.models import AuditEntry


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def snapshot(row: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of ``row`` as JSON-ready values (before or after a change)."""
    return {name: _plain(getattr(row, name)) for name in fields}


def record_change(
    session: Session,
    actor: Actor,
    *,
    entity: str,
    entity_id: int | str,
    action: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry | None:
    """Write one audit entry in the caller's transaction.

    For an update only the fields that changed are kept; an update that changed nothing writes
    nothing (and returns None)."""
    if before is not None and after is not None and action == "update":
        changed = [k for k in after if before.get(k) != after.get(k)]
        if not changed:
            return None
        before = {k: before.get(k) for k in changed}
        after = {k: after[k] for k in changed}
    entry = AuditEntry(
        user_id=actor.user_id,
        via=actor.via,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        before={k: _plain(v) for k, v in before.items()} if before is not None else None,
        after={k: _plain(v) for k, v in after.items()} if after is not None else None,
    )
    session.add(entry)
    return entry


def record_row_change(
    session: Session,
    actor: Actor,
    row: Any,
    *,
    entity: str,
    fields: Iterable[str],
    action: str,
    before: Mapping[str, Any] | None = None,
) -> AuditEntry | None:
    """Audit a change to an ORM row: its ``fields`` after the change (nothing after a delete).

    Flushes first, so a new row has its id."""
    session.flush()
    after = None if action == "delete" else snapshot(row, fields)
    return record_change(
        session, actor, entity=entity, entity_id=row.id, action=action, before=before, after=after
    )


def entries_for(session: Session, entity: str, entity_id: int | str) -> list[AuditEntry]:
    """The audit trail of one record, oldest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id)
        )
    )
