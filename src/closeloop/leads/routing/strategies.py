"""Choosing a rep within a team: pure, deterministic, shared by the service and the simulator.

Every chooser sees the team's eligible reps (in id order) with their open load and cap, never
picks a rep at their cap, returns ``None`` when everyone is at cap (the lead goes to the public
pool), and counts the lead it gave on the rep it chose, so a batch can be routed in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# A rep without max_open_leads has no cap; for load ratios they count as having this capacity.
UNCAPPED_CAPACITY = 1_000
# A rep's conversion is shrunk toward the team's by this many conversions' worth of the team's
# rate (a Beta prior): one lucky win among few leads is not a rate, and the less the team has
# converted so far, the more the prior weighs.
PRIOR_CONVERSIONS = 5.0


@dataclass
class RepLoad:
    """One eligible rep as routing sees them."""

    id: int
    open_leads: int
    capacity: int | None  # max_open_leads; None = no cap
    assigned: int = 0  # leads assigned in the performance window
    converted: int = 0  # of those, reached SQL (or won)

    def has_room(self) -> bool:
        return self.capacity is None or self.open_leads < self.capacity

    def load_ratio(self) -> float:
        return self.open_leads / (self.capacity or UNCAPPED_CAPACITY)


class Chooser(Protocol):
    name: str

    def choose(self) -> RepLoad | None:
        """The rep for the next lead (counted on them), or None if every rep is at cap."""


class RoundRobin:
    """Each rep in id order, skipping reps at cap. ``last_id`` is the cursor: the rep served
    last, so a rep joining or leaving the team does not shift whose turn it is."""

    name = "round_robin"

    def __init__(self, reps: Sequence[RepLoad], last_id: int = 0) -> None:
        self.reps = sorted(reps, key=lambda rep: rep.id)
        self.last_id = last_id

    def choose(self) -> RepLoad | None:
        count = len(self.reps)
        start = next((i for i, rep in enumerate(self.reps) if rep.id > self.last_id), 0)
        for step in range(count):
            rep = self.reps[(start + step) % count]
            if rep.has_room():
                rep.open_leads += 1
                self.last_id = rep.id
                return rep
        return None


class LoadBalanced:
    """The rep with the lowest open load relative to capacity. Ties go round-robin from
    ``last_id`` (the team's cursor), so equally loaded reps take turns instead of the lowest
    id taking every tie."""

    name = "load"

    def __init__(self, reps: Sequence[RepLoad], last_id: int = 0) -> None:
        self.reps = sorted(reps, key=lambda rep: rep.id)
        self.last_id = last_id

    def choose(self) -> RepLoad | None:
        best: RepLoad | None = None
        best_key = (0.0, False)
        for rep in self.reps:
            if not rep.has_room():
                continue
            # Among equals, reps after the cursor come first (False sorts before True).
            key = (rep.load_ratio(), rep.id <= self.last_id)
            if best is None or key < best_key:
                best, best_key = rep, key
        if best is not None:
            best.open_leads += 1
            self.last_id = best.id
        return best


class PerformanceWeighted:
    """Open load kept in proportion to each rep's share: the rep with the lowest
    (open leads + 1) / share gets the lead; ties go to the lower id.

    Shares follow recent conversion, with a floor (see ``performance_shares``). Deterministic
    and stateless: it needs no cursor, gives the same answer one lead at a time as in a batch,
    and a rep who falls behind their share (back from holiday, new) catches up first.
    """

    name = "performance"

    def __init__(self, reps: Sequence[RepLoad], *, floor: float) -> None:
        self.reps = sorted(reps, key=lambda rep: rep.id)
        rates = conversion_rates(self.reps)
        shares = performance_shares([rates[rep.id] for rep in self.reps], floor)
        self.shares = {rep.id: share for rep, share in zip(self.reps, shares, strict=True)}

    def choose(self) -> RepLoad | None:
        best: RepLoad | None = None
        best_key = 0.0
        for rep in self.reps:
            if not rep.has_room():
                continue
            share = self.shares[rep.id]
            key = (rep.open_leads + 1) / share if share > 0 else float("inf")
            if best is None or key < best_key:
                best, best_key = rep, key
        if best is not None:
            best.open_leads += 1
        return best


def conversion_rates(reps: Sequence[RepLoad]) -> dict[int, float]:
    """Each rep's recent conversion, shrunk toward the team's rate r: (converted + k) /
    (assigned + k / r) with k = ``PRIOR_CONVERSIONS``. A rep with no history counts as the
    team's average until their own leads speak; with no conversion in the team, all are 0."""
    assigned = sum(rep.assigned for rep in reps)
    converted = sum(rep.converted for rep in reps)
    if not assigned or not converted:
        return {rep.id: 0.0 for rep in reps}
    prior_leads = PRIOR_CONVERSIONS * assigned / converted
    return {
        rep.id: (rep.converted + PRIOR_CONVERSIONS) / (rep.assigned + prior_leads) for rep in reps
    }


def performance_shares(rates: Sequence[float], floor: float) -> list[float]:
    """Shares of the next leads ∝ conversion, but never below ``floor`` × an equal share.

    Reps who would fall below the floor get exactly the floor; the rest split what remains in
    proportion to their rates (water-filling, repeated until nobody new falls below).
    """
    count = len(rates)
    if count == 0:
        return []
    minimum = floor / count
    fixed: set[int] = set()
    while True:
        free = [i for i in range(count) if i not in fixed]
        remaining = 1.0 - minimum * len(fixed)
        total = sum(rates[i] for i in free)
        shares = [minimum] * count
        for i in free:
            shares[i] = remaining * rates[i] / total if total > 0 else remaining / len(free)
        below = [i for i in free if shares[i] < minimum - 1e-12]
        if not below:
            return shares
        fixed.update(below)


def make_chooser(
    strategy: str, reps: Sequence[RepLoad], *, floor: float = 0.5, cursor: int = 0
) -> Chooser:
    """The chooser for a team's strategy."""
    if strategy == "round_robin":
        return RoundRobin(reps, cursor)
    if strategy == "load":
        return LoadBalanced(reps, cursor)
    if strategy == "performance":
        return PerformanceWeighted(reps, floor=floor)
    raise ValueError(f"unknown strategy {strategy!r}")
