"""The choosers on hand-sized teams: who gets the next lead, and never a rep at cap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.leads.routing.strategies import (
    LoadBalanced,
    PerformanceWeighted,
    RepLoad,
    RoundRobin,
    conversion_rates,
    performance_shares,
)


def team(*loads: tuple[int, int | None]) -> list[RepLoad]:
    """Reps 1, 2, 3 … with (open leads, cap)."""
    return [RepLoad(i + 1, open_leads, cap) for i, (open_leads, cap) in enumerate(loads)]


def picks(chooser: RoundRobin | LoadBalanced | PerformanceWeighted, n: int) -> list[int | None]:
    return [rep.id if (rep := chooser.choose()) else None for _ in range(n)]


def test_round_robin_goes_around_in_id_order() -> None:
    chooser = RoundRobin(team((0, 10), (0, 10), (0, 10)))
    assert picks(chooser, 7) == [1, 2, 3, 1, 2, 3, 1]


def test_round_robin_carries_on_from_the_cursor_of_an_earlier_call() -> None:
    first = RoundRobin(team((0, 10), (0, 10), (0, 10)))
    assert picks(first, 2) == [1, 2]
    later = RoundRobin(team((1, 10), (1, 10), (0, 10)), first.last_id)
    assert picks(later, 2) == [3, 1]


def test_round_robin_cursor_survives_a_rep_leaving() -> None:
    # Rep 2 was served last and left the team: the turn passes to the next id, rep 3.
    chooser = RoundRobin([RepLoad(1, 0, 5), RepLoad(3, 0, 5)], last_id=2)
    assert picks(chooser, 2) == [3, 1]


def test_round_robin_skips_reps_at_cap_and_gives_none_when_all_are() -> None:
    chooser = RoundRobin(team((0, 1), (5, 5), (0, 2)))
    assert picks(chooser, 4) == [1, 3, 3, None]


def test_load_picks_the_lowest_open_load_relative_to_capacity() -> None:
    # 10/20 = 0.5, 4/5 = 0.8, 3/10 = 0.3 → rep 3; then 4/10 = 0.4 → rep 3; then 5/10 = 0.5
    # ties with rep 1 (0.5): the tie goes round-robin after the last one served (rep 3) → rep 1.
    chooser = LoadBalanced(team((10, 20), (4, 5), (3, 10)))
    assert picks(chooser, 3) == [3, 3, 1]


def test_load_never_exceeds_a_cap_and_gives_none_when_all_are_full() -> None:
    reps = team((0, 2), (0, 1), (0, 3))
    chosen = picks(LoadBalanced(reps), 8)
    assert [rep.open_leads for rep in reps] == [2, 1, 3]
    assert chosen[6:] == [None, None]


def test_load_counts_a_rep_without_cap_against_a_large_capacity() -> None:
    # Rep 3 has no cap: 48 open of the 1,000 it is measured against is still below 1/2.
    reps = team((0, 2), (0, 1), (0, None))
    picks(LoadBalanced(reps), 50)
    assert [rep.open_leads for rep in reps] == [1, 1, 48]


def test_performance_shares_follow_conversion_with_a_floor() -> None:
    # Rates 0.3, 0.1, 0.0 with floor 0.5: an equal share is 1/3, the floor 1/6. Rep 3 is fixed
    # at 1/6; reps 1 and 2 split 5/6 as 3 : 1 → 0.625 and 0.2083 (above the floor).
    shares = performance_shares([0.3, 0.1, 0.0], 0.5)
    assert shares == pytest.approx([0.625, 5 / 24, 1 / 6])


def test_performance_shares_fix_every_rep_that_would_fall_below_the_floor() -> None:
    # 0.9 : 0.05 : 0.05 would give reps 2 and 3 1/20 each, under the floor 0.6/3 = 0.2.
    assert performance_shares([0.9, 0.05, 0.05], 0.6) == pytest.approx([0.6, 0.2, 0.2])


def test_performance_shares_are_equal_with_no_conversion_yet() -> None:
    assert performance_shares([0.0, 0.0], 0.5) == [0.5, 0.5]


@given(
    st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=12),
    st.floats(0, 1, allow_nan=False),
)
def test_performance_shares_sum_to_one_and_respect_the_floor(
    rates: list[float], floor: float
) -> None:
    shares = performance_shares(rates, floor)
    assert sum(shares) == pytest.approx(1.0)
    assert min(shares) >= floor / len(rates) - 1e-9


def test_conversion_is_shrunk_toward_the_team_and_a_new_rep_counts_as_average() -> None:
    # Team: 40 of 200 converted → 20 %; the prior is 5 conversions = 25 leads at 20 %.
    reps = [RepLoad(1, 0, None, 100, 30), RepLoad(2, 0, None, 100, 10), RepLoad(3, 0, None)]
    assert conversion_rates(reps) == pytest.approx({1: 35 / 125, 2: 15 / 125, 3: 0.2})


def test_performance_gives_more_to_the_better_rep_and_the_floor_keeps_a_weak_rep_in() -> None:
    # Rates (shrunk): rep 1 35/125 = 0.28, rep 2 15/125 = 0.12, rep 3 (weak, 200 leads, 2 won)
    # 7/225 ≈ 0.031. Floor 0.6 of an equal third = 0.2: rep 3 gets 0.2, reps 1 and 2 split 0.8
    # as 0.28 : 0.12 → 0.56 and 0.24. From empty queues, 25 leads go 14 : 6 : 5 (each rep's
    # open load stays ∝ share; hand-checked with the key (open + 1) / share).
    reps = [
        RepLoad(1, 0, None, 100, 30),
        RepLoad(2, 0, None, 100, 10),
        RepLoad(3, 0, None, 200, 2),
    ]
    chooser = PerformanceWeighted(reps, floor=0.6)
    assert [chooser.shares[i] for i in (1, 2, 3)] == pytest.approx([0.56, 0.24, 0.2])
    chosen = picks(chooser, 25)
    assert [chosen.count(i) for i in (1, 2, 3)] == [14, 6, 5]
    assert chosen[:4] == [1, 1, 2, 3]


def test_performance_skips_a_rep_at_cap() -> None:
    reps = [RepLoad(1, 3, 3, 100, 50), RepLoad(2, 0, 2, 100, 1)]
    chooser = PerformanceWeighted(reps, floor=0.1)
    assert picks(chooser, 3) == [2, 2, None]
