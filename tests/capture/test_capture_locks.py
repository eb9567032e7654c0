"""Which advisory locks a capture batch holds (PostgreSQL): its own keys' buckets, or — for a
batch large enough to fill nearly all of them — every bucket."""

from __future__ import annotations

import zlib

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.db import locks
from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.leads.capture.attribution import Source
from closeloop.leads.capture.headers import map_headers
from closeloop.leads.capture.record import CapturedLead, clean_record
from closeloop.leads.capture.service import capture_batch


def captured(count: int) -> list[CapturedLead]:
    mapping = map_headers(["name", "email"], {})
    leads = [
        clean_record(
            {"name": f"Lead {n}", "email": f"lead.{n}@huaxin.cn"},
            mapping,
            row_number=n,
            default_region="CN",
        )
        for n in range(count)
    ]
    assert all(isinstance(lead, CapturedLead) for lead in leads)
    return leads  # type: ignore[return-value]


def held_buckets(session: Session) -> set[int]:
    rows = session.execute(
        text(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = :namespace"
            " AND pid = pg_backend_pid()"
        ),
        {"namespace": locks.LOCK_NAMESPACE},
    )
    return {int(objid) for (objid,) in rows}


@pytest.mark.parametrize("count", [3, 4 * locks.LOCK_BUCKETS])
def test_a_batch_holds_its_keys_buckets_and_a_large_one_every_bucket(
    backend: str, engine: Engine, count: int
) -> None:
    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; SQLite has one writer at a time")
    leads = captured(count)
    with unit_of_work(engine) as session:
        begin_writing(session)
        capture_batch(
            session, leads, source=Source(), attribution=None, settings=Settings(), dry_run=True
        )
        held = held_buckets(session)
        session.rollback()

    if count < locks.LOCK_BUCKETS:
        own = {zlib.crc32(f"e:{lead.email}".encode()) % locks.LOCK_BUCKETS for lead in leads}
        assert held == own
    else:
        assert held == set(range(locks.LOCK_BUCKETS))
