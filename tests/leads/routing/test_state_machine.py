"""Random sequences of claim, release, return, accept and contact against a model of the rules:
each action succeeds exactly when the model says it may, the database always equals the model,
an owner exists only while the status allows one, and no cap or daily limit is ever exceeded.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, delete, select

from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.errors import ClosedLoopError
from closeloop.leads.routing.service import (
    accept_lead,
    claim_lead,
    log_contact,
    release_lead,
    return_lead,
)
from closeloop.models import Lead, LeadDecision, LeadStatusChange, OutboxEvent
from tests.leads.routing.conftest import NOW, Floor, add_lead

REPS = ("east1", "east2", "west2")  # caps 2, 2 and none; the daily claim limit is 2
CAPS = {"east1": 2, "east2": 2, "west2": None}
OWNED = ("new", "working", "mql", "sal")
START = [("pool", None), ("pool", None), ("pool", None), ("new", "east1"), ("mql", "east2"),
         ("nurture", None)]  # fmt: skip


def test_rep_actions_keep_the_invariants(engine: Engine, floor: Floor) -> None:
    class Leads(RuleBasedStateMachine):
        """The model: each lead's (status, owner); claims per rep and Shanghai day."""

        @initialize()
        def start(self) -> None:
            with unit_of_work(engine) as session:
                for table in (LeadDecision, LeadStatusChange, OutboxEvent, Lead):
                    session.execute(delete(table))
                self.ids = [
                    add_lead(session, status=status, owner=floor[owner] if owner else None).id
                    for status, owner in START
                ]
            self.model = dict(zip(self.ids, START, strict=True))
            self.claims: Counter[tuple[str, date]] = Counter()
            self.at = NOW

        def attempt(self, expected: bool, action: object, **arguments: object) -> None:
            self.at += timedelta(hours=1)
            try:
                with unit_of_work(engine) as session:
                    begin_writing(session)
                    action(session, at=self.at, **arguments)  # type: ignore[operator]
                succeeded = True
            except ClosedLoopError:
                succeeded = False
            assert succeeded == expected, (action, arguments, self.model)

        def open_count(self, rep: str) -> int:
            return sum(
                1 for status, owner in self.model.values() if owner == rep and status in OWNED
            )

        @rule(lead=st.integers(0, len(START) - 1), rep=st.sampled_from(REPS))
        def claim(self, lead: int, rep: str) -> None:
            lead_id = self.ids[lead]
            day = (self.at + timedelta(hours=1 + 8)).date()  # the claim's day in Asia/Shanghai
            cap = CAPS[rep]
            ok = (
                self.model[lead_id][0] == "pool"
                and (cap is None or self.open_count(rep) < cap)
                and self.claims[(rep, day)] < 2
            )
            self.attempt(ok, claim_lead, lead_id=lead_id, rep_id=floor[rep])
            if ok:
                self.model[lead_id] = ("working", rep)
                self.claims[(rep, day)] += 1

        @rule(lead=st.integers(0, len(START) - 1), rep=st.sampled_from(REPS))
        def release(self, lead: int, rep: str) -> None:
            lead_id = self.ids[lead]
            ok = self.model[lead_id][1] == rep
            self.attempt(ok, release_lead, lead_id=lead_id, rep_id=floor[rep])
            if ok:
                self.model[lead_id] = ("pool", None)

        @rule(
            lead=st.integers(0, len(START) - 1),
            rep=st.sampled_from(REPS),
            reason=st.sampled_from(["", "  ", "not ready"]),
        )
        def give_back(self, lead: int, rep: str, reason: str) -> None:
            lead_id = self.ids[lead]
            ok = self.model[lead_id][1] == rep and bool(reason.strip())
            self.attempt(ok, return_lead, lead_id=lead_id, rep_id=floor[rep], reason=reason)
            if ok:
                self.model[lead_id] = ("nurture", None)

        @rule(lead=st.integers(0, len(START) - 1), rep=st.sampled_from(REPS))
        def accept(self, lead: int, rep: str) -> None:
            lead_id = self.ids[lead]
            status, owner = self.model[lead_id]
            ok = owner == rep and status in ("new", "working", "mql")
            self.attempt(ok, accept_lead, lead_id=lead_id, rep_id=floor[rep])
            if ok:
                self.model[lead_id] = ("sal", rep)

        @rule(lead=st.integers(0, len(START) - 1), rep=st.sampled_from(REPS))
        def contact(self, lead: int, rep: str) -> None:
            lead_id = self.ids[lead]
            status, owner = self.model[lead_id]
            ok = owner == rep
            self.attempt(ok, log_contact, lead_id=lead_id, rep_id=floor[rep])
            if ok and status == "new":
                self.model[lead_id] = ("working", rep)

        @rule()
        def next_day(self) -> None:
            self.at += timedelta(days=1)

        @invariant()
        def database_equals_the_model_and_keeps_the_rules(self) -> None:
            with unit_of_work(engine) as session:
                rows = session.execute(select(Lead.id, Lead.status, Lead.owner_id)).all()
            names = {floor[name]: name for name in REPS}
            actual = {i: (status, names.get(owner) if owner else None) for i, status, owner in rows}
            assert actual == self.model
            for status, owner in actual.values():
                assert owner is None or status in OWNED
            for rep, cap in CAPS.items():
                assert cap is None or self.open_count(rep) <= cap
            assert all(count <= 2 for count in self.claims.values())

    run_state_machine_as_test(
        Leads, settings=settings(max_examples=30, stateful_step_count=20, deadline=None)
    )
