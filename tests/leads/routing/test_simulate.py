"""The routing simulator: deterministic per seed, and the effects the strategies should have on
the demo company (its reps' skill spread from 1.45 to 0.55)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from closeloop.leads.routing.simulate import (
    SimulationConfig,
    StrategyResult,
    draw_flow,
    simulate_routing,
    simulate_strategy,
)
from tests.capture.helpers import closeloop


@pytest.fixture(scope="module")
def year() -> dict[str, StrategyResult]:
    return {r.strategy: r for r in simulate_routing(SimulationConfig(seed=7, weeks=52))}


def test_the_same_seed_gives_the_same_run() -> None:
    config = SimulationConfig(seed=11, weeks=8)
    assert simulate_routing(config) == simulate_routing(config)
    assert simulate_strategy("load", config) == simulate_routing(config, ("load",))[0]


def test_another_seed_gives_another_run() -> None:
    one, two = (draw_flow(SimulationConfig(seed=seed, weeks=8)) for seed in (1, 2))
    assert not (one.luck[:10] == two.luck[:10]).all()


def test_every_strategy_sees_the_same_leads(year: dict[str, StrategyResult]) -> None:
    assert len({result.leads for result in year.values()}) == 1
    for result in year.values():
        assert sum(result.leads_per_rep.values()) == result.leads
        assert result.conversion == pytest.approx(result.won / result.leads, abs=1e-5)


def test_performance_weighted_converts_at_least_as_well_as_round_robin(
    year: dict[str, StrategyResult],
) -> None:
    assert year["performance"].conversion >= year["round_robin"].conversion
    assert year["performance"].revenue >= year["round_robin"].revenue
    # It learned who sells best: the most skilled rep got more leads than the least skilled.
    per_rep = year["performance"].leads_per_rep
    assert per_rep["Chen Jing"] > per_rep["Sophie Martin"]
    assert min(per_rep.values()) > 0.05 * year["performance"].leads  # the floor


@pytest.mark.parametrize("seed", [3, 8])
def test_performance_beats_round_robin_on_other_seeds_too(seed: int) -> None:
    results = {
        r.strategy: r
        for r in simulate_routing(SimulationConfig(seed=seed), ("round_robin", "performance"))
    }
    assert results["performance"].conversion >= results["round_robin"].conversion


def test_load_balancing_shortens_the_time_to_first_contact(
    year: dict[str, StrategyResult],
) -> None:
    load, round_robin = year["load"], year["round_robin"]
    assert load.mean_hours_to_first_contact < round_robin.mean_hours_to_first_contact
    assert load.p90_hours_to_first_contact < round_robin.p90_hours_to_first_contact


def test_round_robin_gives_every_rep_the_same_number(year: dict[str, StrategyResult]) -> None:
    counts = year["round_robin"].leads_per_rep.values()
    assert max(counts) - min(counts) <= 0.01 * year["round_robin"].leads


def test_the_command_prints_conversion_per_strategy_as_json(tmp_path: Path) -> None:
    result = closeloop("simulate", "routing", "--weeks", "6", "--seed", "5", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["round_robin", "load", "performance"]
    for strategy, row in data.items():
        assert row["strategy"] == strategy
        assert 0 < row["conversion"] < 1
        assert {
            "won",
            "leads",
            "revenue",
            "median_hours_to_first_contact",
            "p90_hours_to_first_contact",
        } <= set(row)
    one = closeloop(
        "simulate",
        "routing",
        "--strategy",
        "load",
        "--weeks",
        "6",
        "--seed",
        "5",
        "--json",
        cwd=tmp_path,
    )
    assert json.loads(one.stdout) == {"load": data["load"]}


def test_the_command_prints_a_table_side_by_side(tmp_path: Path) -> None:
    result = closeloop("simulate", "routing", "--weeks", "4", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "round_robin" in result.stdout and "performance" in result.stdout
    assert "conversion" in result.stdout
