"""The sweep job: batches committed one by one, concurrent sweeps, a worker dying mid-batch."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import Engine, func, select, update

from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.leads.sla import clock
from closeloop.leads.sla.service import sweep_batch
from closeloop.leads.sla.tasks import run_sla_sweep
from closeloop.models import Lead, LeadDecision, OutboxEvent
from tests.leads.sla.conftest import Org, add_lead, sh

LEADS = 120


@pytest.fixture
def due_leads(engine: Engine, org: Org) -> list[int]:
    """LEADS Sales East leads assigned Monday 9 November 09:00: first contact due at 10:00."""
    with unit_of_work(engine) as session:
        ids = [add_lead(session, owner=org.ana, team=org.east) for _ in range(LEADS)]
        clock.on_assigned(session, lead_ids=ids, at=sh(11, 9, 9))
    return ids


def notices(engine: Engine) -> tuple[Counter[int], Counter[int]]:
    """How many sla_notified decisions and lead.sla_breached events each lead has."""
    with unit_of_work(engine) as session:
        decided = Counter(
            session.scalars(select(LeadDecision.lead_id).where(LeadDecision.kind == "sla_notified"))
        )
        told = Counter(
            session.scalars(
                select(OutboxEvent.lead_id).where(OutboxEvent.topic == "lead.sla_breached")
            )
        )
    return decided, told


def test_the_job_sweeps_in_batches_and_returns_counts(engine: Engine, due_leads: list[int]) -> None:
    counts = run_sla_sweep(engine, now=sh(11, 9, 10), batch_size=50)

    assert counts["notified"] == LEADS
    assert counts["batches"] == 3
    decided, told = notices(engine)
    assert decided == told == Counter(dict.fromkeys(due_leads, 1))
    assert run_sla_sweep(engine, now=sh(11, 9, 10))["claimed"] == 0


@pytest.mark.parametrize("connections", [1, 4])
def test_one_sweep_on_several_connections_takes_each_step_once(
    engine: Engine, due_leads: list[int], connections: int
) -> None:
    counts = run_sla_sweep(engine, now=sh(11, 9, 10), batch_size=7, connections=connections)

    assert counts["claimed"] == counts["notified"] == LEADS
    assert counts["batches"] == 18  # ceil(120 / 7), however the connections shared them
    decided, told = notices(engine)
    assert decided == told == Counter(dict.fromkeys(due_leads, 1))


def test_concurrent_sweeps_notify_each_lead_once(engine: Engine, due_leads: list[int]) -> None:
    barrier = threading.Barrier(3)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(run_sla_sweep(engine, now=sh(11, 9, 10), batch_size=7))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(r["notified"] for r in results) == LEADS
    decided, told = notices(engine)
    assert decided == told == Counter(dict.fromkeys(due_leads, 1))


def test_a_worker_dying_mid_batch_is_finished_by_another(
    engine: Engine, due_leads: list[int]
) -> None:
    # The first worker takes a batch and dies before committing: its transaction rolls back.
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        begin_writing(session)
        taken = sweep_batch(session, now=sh(11, 9, 10), batch_size=40)
        assert taken.notified == 40
        raise RuntimeError("worker killed")

    counts = run_sla_sweep(engine, now=sh(11, 9, 10), batch_size=50)

    assert counts["notified"] == LEADS
    decided, told = notices(engine)
    assert decided == told == Counter(dict.fromkeys(due_leads, 1))
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == LEADS


def test_a_lead_being_changed_is_left_to_the_next_sweep(
    engine: Engine, due_leads: list[int]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("on SQLite a sweep holds the write lock: nobody else is changing a lead")
    busy = due_leads[0]
    with unit_of_work(engine) as rep:
        # A rep's change to the lead, not yet committed (a release would next drop the clock).
        rep.execute(update(Lead).where(Lead.id == busy).values(last_activity_at=sh(11, 9, 10)))

        counts = run_sla_sweep(engine, now=sh(11, 9, 10), batch_size=50)

        assert counts["notified"] == LEADS - 1
    assert busy not in notices(engine)[0]
    assert run_sla_sweep(engine, now=sh(11, 9, 10))["notified"] == 1
    decided, told = notices(engine)
    assert decided == told == Counter(dict.fromkeys(due_leads, 1))
