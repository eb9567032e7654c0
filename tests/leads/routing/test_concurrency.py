"""Many assigners and claimers at once on the same leads: no lead gets two owners, no rep goes
over their cap, and every success left exactly one decision.

Eight threads start together (a Barrier), each doing one action per transaction as requests and
sweeps do: single assignments, bulk assignments and pool claims over the same leads, in an order
of their own. PostgreSQL runs them truly in parallel (row locks on the reps, then the lead);
SQLite serializes the writers (BEGIN IMMEDIATE), which the same test proves as well.
"""

from __future__ import annotations

import random
from collections import Counter

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.errors import ClosedLoopError
from closeloop.leads.routing.rules import save_routing_rules
from closeloop.leads.routing.service import assign_lead, assign_leads, claim_lead
from closeloop.models import Lead, LeadDecision, LeadStatus, OutboxEvent, User
from tests.capture.test_concurrency import together
from tests.leads.routing.conftest import NOW, RULES, Floor, add_lead

THREADS = 8


def test_concurrent_assigners_and_claimers_never_double_assign_or_exceed_a_cap(
    engine: Engine, floor: Floor, read: Session
) -> None:
    with unit_of_work(engine) as session:
        save_routing_rules(
            session, text=RULES.replace("daily_claim_limit: 2", "daily_claim_limit: 1000")
        )
        fresh = [add_lead(session).id for _ in range(24)]  # Sales East: 3 reps × cap 2
        pool = [add_lead(session, status=LeadStatus.POOL).id for _ in range(16)]
    claimers = [floor[name] for name in ("east1", "east2", "east3", "west1", "sdr1", "sdr2")]

    def work(number: int) -> Counter[str]:
        rng = random.Random(number)
        done: Counter[str] = Counter()
        actions = [("assign", lead_id) for lead_id in fresh] + [
            ("claim", lead_id) for lead_id in pool
        ]
        rng.shuffle(actions)
        for kind, lead_id in actions:
            try:
                with unit_of_work(engine) as session:
                    begin_writing(session)
                    if kind == "assign" and number % 4 == 0:
                        summary = assign_leads(
                            session, at=NOW, lead_ids=[lead_id, *rng.sample(fresh, 3)]
                        )
                        done["assigned"] += summary.assigned
                        done["pooled"] += summary.pooled
                    elif kind == "assign":
                        result = assign_lead(session, lead_id=lead_id, at=NOW)
                        done["assigned" if result.owner_id else "pooled"] += 1
                    else:
                        claim_lead(session, lead_id=lead_id, rep_id=rng.choice(claimers), at=NOW)
                        done["claimed"] += 1
            except ClosedLoopError:
                done["refused"] += 1
        return done

    totals = sum(together(THREADS, work), Counter())

    leads = read.scalars(select(Lead)).all()
    decisions = read.scalars(select(LeadDecision)).all()
    # Every lead was decided once: assigned (to a rep or the pool) or claimed; never twice.
    per_lead = Counter(d.lead_id for d in decisions)
    assert set(per_lead.values()) == {1}
    assert len(decisions) == totals["assigned"] + totals["pooled"] + totals["claimed"]
    assert totals["assigned"] + totals["pooled"] == len(fresh)
    assert totals["claimed"] <= len(pool)
    # The owner of each lead is the one its decision named.
    by_lead = {d.lead_id: d for d in decisions}
    for lead in leads:
        if lead.owner_id is not None:
            decision = by_lead[lead.id]
            assert decision.detail["owner_id"] == lead.owner_id  # type: ignore[index]
    # No rep over the cap.
    open_count = Counter(
        lead.owner_id for lead in leads if lead.owner_id and lead.status in ("new", "working")
    )
    for user in read.scalars(select(User).where(User.max_open_leads.is_not(None))):
        assert open_count[user.id] <= user.max_open_leads, user.email  # type: ignore[operator]
    # Sales East has 6 places, shared by assignments and its reps' claims.
    assert 1 <= totals["assigned"] <= 6
    events = Counter(e.topic for e in read.scalars(select(OutboxEvent)))
    assert events["lead.assigned"] == totals["assigned"]
    assert events["lead.claimed"] == totals["claimed"]
