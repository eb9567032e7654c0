"""``allocate_ids``: primary keys drawn ahead of a bulk insert never meet another row's."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closeloop.db.bulk import allocate_ids, insert_rows
from closeloop.models import Touch
from tests import factories as f
from tests.factories import at


def test_ids_drawn_ahead_are_new_ascending_and_leave_room_for_the_next_plain_insert(
    session: Session,
) -> None:
    lead = f.lead(session, at(2026, 3, 2))
    first = Touch(lead_id=lead.id, kind="visit", occurred_at=at(2026, 3, 2))
    session.add(first)
    session.flush()

    ids = allocate_ids(session, Touch.__table__, 3)
    rows = [
        {
            "lead_id": lead.id,
            "kind": "visit",
            "occurred_at": day,
            "created_at": day,
            "updated_at": day,
        }
        for day in (at(2026, 3, 3), at(2026, 3, 4), at(2026, 3, 5))
    ]
    insert_rows(session, Touch.__table__, rows, ids)
    after = Touch(lead_id=lead.id, kind="meeting", occurred_at=at(2026, 3, 9))
    session.add(after)
    session.flush()

    assert len(set(ids)) == 3 and ids == sorted(ids) and ids[0] > first.id
    assert after.id > ids[-1]
    assert session.scalar(select(func.count()).select_from(Touch)) == 5
    assert allocate_ids(session, Touch.__table__, 0) == []
