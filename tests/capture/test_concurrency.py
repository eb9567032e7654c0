"""Captures of the same person at the same moment end as one lead, on SQLite and PostgreSQL.

Eight threads start together (a Barrier), each in its own unit of work as a request would be.
SQLite serializes writers (BEGIN IMMEDIATE, 30 s busy timeout, the test's database is a file);
PostgreSQL serializes captures that share an e-mail, phone or company key with advisory locks.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.db import locks
from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.leads.apikeys import KeyHolder, authenticate
from closeloop.leads.capture.single import capture_one
from closeloop.leads.schemas import LeadIn
from closeloop.web.app import create_app
from tests.capture.conftest import Marketing
from tests.capture.helpers import TestClient, issue_key, leads_of

THREADS = 8
NAMES = ["Wang Wei", "W. Wang", "王伟", "Wei Wang", "Mr. Wang", "WANG WEI", "王 伟", "Wang W."]
T = TypeVar("T")


def together(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(0..count-1)`` in ``count`` threads released at the same instant."""
    barrier = threading.Barrier(count, timeout=30)

    def run(number: int) -> T:
        barrier.wait()
        return work(number)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))  # re-raises the first error of any thread


@pytest.fixture
def holder(engine: Engine, marketing: Marketing) -> KeyHolder:
    key = issue_key(engine, "webinar")
    with unit_of_work(engine) as session:
        return authenticate(session, key)


def capture(
    engine: Engine, holder: KeyHolder, settings: Settings, payload: LeadIn, **options: Any
) -> tuple[int, bool]:
    """One capture in its own transaction, as the API does it: (lead id, created)."""
    with unit_of_work(engine) as session:
        begin_writing(session)
        captured = capture_one(
            session, payload=payload, holder=holder, settings=settings, **options
        )
        return captured.lead.id, captured.created


def live_and_merged(read: Session) -> tuple[list[int], dict[int, int]]:
    """Ids of leads not merged away, and how many leads merged into each of them."""
    leads = leads_of(read)
    live = [lead.id for lead in leads if lead.status != "merged"]
    merged: dict[int, int] = {}
    for lead in leads:
        if lead.merged_into_id is not None:
            merged[lead.merged_into_id] = merged.get(lead.merged_into_id, 0) + 1
    return live, merged


def test_one_person_captured_by_eight_threads_is_one_lead(
    engine: Engine, holder: KeyHolder, settings: Settings, read: Session
) -> None:
    def work(number: int) -> tuple[int, bool]:
        payload = LeadIn(full_name=NAMES[number], email="Wang.Wei@huaxin.cn")
        return capture(engine, holder, settings, payload)

    results = together(THREADS, work)

    live, merged = live_and_merged(read)
    assert len(live) == 1
    assert merged == {live[0]: THREADS - 1}
    assert {lead_id for lead_id, _ in results} == {live[0]}
    assert sorted(created for _, created in results) == [False] * (THREADS - 1) + [True]


def test_one_person_by_phone_in_different_formats_from_eight_threads_is_one_lead(
    engine: Engine, holder: KeyHolder, settings: Settings, read: Session
) -> None:
    phones = ["+86 138 0013 8000", "0086 13800138000", "(+86)13800138000", "+8613800138000"]

    def work(number: int) -> tuple[int, bool]:
        payload = LeadIn(full_name=NAMES[number], phone=phones[number % 4])
        return capture(engine, holder, settings, payload)

    together(THREADS, work)

    live, merged = live_and_merged(read)
    assert len(live) == 1
    assert merged == {live[0]: THREADS - 1}


def test_one_name_at_one_company_from_eight_threads_is_one_lead(
    engine: Engine, holder: KeyHolder, settings: Settings, read: Session
) -> None:
    # No shared e-mail or phone: only the company key and the name tie them together.
    companies = ["Huaxin Tech Co., Ltd.", "HUAXIN TECH LTD", "Huaxin Tech", "Huaxin Tech Inc."]

    def work(number: int) -> tuple[int, bool]:
        payload = LeadIn(
            full_name="Wang Wei" if number % 2 else "Wei Wang",
            company=companies[number % 4],
            email=f"wang.wei.{number}@example.com",
        )
        return capture(engine, holder, settings, payload)

    together(THREADS, work)

    live, merged = live_and_merged(read)
    assert len(live) == 1
    assert merged == {live[0]: THREADS - 1}


def test_two_people_captured_by_eight_threads_are_two_leads(
    engine: Engine, holder: KeyHolder, settings: Settings, read: Session
) -> None:
    li_na = ["Li Na", "Na Li", "李娜", "LI NA"]

    def work(number: int) -> tuple[int, bool]:
        if number % 2:
            payload = LeadIn(full_name=li_na[number // 2], email="li.na@dongfang.cn")
        else:
            payload = LeadIn(full_name=NAMES[number], email="wang.wei@huaxin.cn")
        return capture(engine, holder, settings, payload)

    together(THREADS, work)

    live, merged = live_and_merged(read)
    assert len(live) == 2
    assert merged == {live[0]: THREADS // 2 - 1, live[1]: THREADS // 2 - 1}
    assert sorted(lead.email for lead in leads_of(read) if lead.id in live) == [
        "li.na@dongfang.cn",
        "wang.wei@huaxin.cn",
    ]


def test_one_person_posted_to_the_app_by_eight_threads_is_one_lead(
    db_url: str, engine: Engine, marketing: Marketing, read: Session
) -> None:
    key = issue_key(engine, "webinar")
    app = create_app(Settings(database_url=db_url))

    def work(number: int) -> tuple[int, int]:
        with TestClient(app) as client:
            response = client.post(
                "/api/v1/leads",
                json={"full_name": NAMES[number], "email": "wang.wei@huaxin.cn"},
                headers={"X-API-Key": key},
            )
        return response.status_code, response.json()["id"]

    try:
        results = together(THREADS, work)
    finally:
        app.state.engine.dispose()

    live, _ = live_and_merged(read)
    assert len(live) == 1
    assert sorted(status for status, _ in results) == [200] * (THREADS - 1) + [201]
    assert {lead_id for _, lead_id in results} == {live[0]}


def test_the_same_idempotency_key_from_eight_threads_is_one_lead_and_one_answer(
    engine: Engine, holder: KeyHolder, settings: Settings, read: Session
) -> None:
    payload = LeadIn(full_name="Wang Wei", email="wang.wei@huaxin.cn")

    results = together(
        THREADS,
        lambda _: capture(engine, holder, settings, payload, idempotency_key="form-1"),
    )

    assert len(leads_of(read)) == 1
    assert set(results) == {(leads_of(read)[0].id, True)}


# ---- lock order (PostgreSQL) -------------------------------------------------------------------


def _bucket(key: str) -> int:
    return zlib.crc32(key.encode()) % locks.LOCK_BUCKETS


def _crossing_keys(api_key_id: int) -> tuple[str, str, str, str]:
    """Idempotency keys kA, kB and e-mails eA, eB whose lock buckets cross: kA's bucket is eB's
    and kB's bucket is eA's (and the two differ)."""
    email_a, email_b = "wang.wei@huaxin.cn", "li.na@dongfang.cn"
    wanted = {_bucket(f"e:{email_b}"): "a", _bucket(f"e:{email_a}"): "b"}
    assert len(wanted) == 2
    found: dict[str, str] = {}
    number = 0
    while len(found) < 2:
        candidate = f"form-{number}"
        side = wanted.get(_bucket(f"i:{api_key_id}:{candidate}"))
        if side and side not in found:
            found[side] = candidate
        number += 1
    return found["a"], found["b"], email_a, email_b


def test_two_idempotent_requests_whose_lock_buckets_cross_both_succeed(
    backend: str,
    engine: Engine,
    holder: KeyHolder,
    settings: Settings,
    read: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; SQLite has one writer at a time")
    key_a, key_b, email_a, email_b = _crossing_keys(holder.api_key_id)
    # Every lock of a capture is taken in one sorted call, so requests whose buckets cross
    # wait for each other instead of deadlocking.
    requests = [(key_a, email_a), (key_b, email_b)]

    results = together(
        2,
        lambda n: capture(
            engine, holder, settings, LeadIn(email=requests[n][1]), idempotency_key=requests[n][0]
        ),
    )

    assert [created for _, created in results] == [True, True]
    assert len(leads_of(read)) == 2
