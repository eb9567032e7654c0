"""The routing simulator: replay the demo company's sales-ready lead flow under each strategy.

The demo's ground truth (demo/company.py) drives it: lead volume with its seasonality and office
hours, the channel mix of leads that become sales-ready (share × valid × MQL rate), each
channel's chance to become SQL and to be won, its deal size, and the field reps of SALES_REPS
with their true skill and cap (max_open_leads 150, as the demo creates them).

One team of the eight reps, simulated hour by hour. A rep works their queue first in, first out,
only in office hours on weekdays and not on the days they are away; each first contact takes a
random effort (on average a working day / ``contacts_per_day``). A lead's chance to be won is its
channel's SAL × SQL × win rate, times the rep's skill (as the demo's deals), times a decay with
the hours it waited for the first contact. After the contact the lead stays open (counting toward
the rep's cap) for a random follow-up time. Every strategy sees the same leads, efforts, absences
and random draws (common random numbers), so differences are the strategy's own.

Performance-weighted routing never sees the skills: it reads each rep's conversion OBSERVED in
the simulation's recent history — deals won in the last ``window_days`` over leads assigned in
them, known only when a deal closes — with the same floor and chooser as the real service.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import asdict, dataclass
from datetime import date, timedelta

import numpy as np

from closeloop.demo import profiles
from closeloop.demo.company import SALES_REPS
from closeloop.demo.timeline import creation_times, epoch
from closeloop.leads.routing.rules import DEFAULT
from closeloop.leads.routing.strategies import (
    LoadBalanced,
    PerformanceWeighted,
    RepLoad,
    RoundRobin,
)

STRATEGIES = ("round_robin", "load", "performance")
HOURS_PER_DAY = 24
START = date(2026, 1, 5)  # a Monday: the simulated calendar is fixed, so runs repeat exactly
REP_CAP = 150  # max_open_leads of the demo's sales reps (demo/reference.py)
_EAST = DEFAULT.settings_for("Sales East")


@dataclass(frozen=True)
class SimulationConfig:
    seed: int = 7
    weeks: int = 52
    leads_per_year: int = 50_000  # the demo's default volume; about 31 % become sales-ready
    contacts_per_day: float = 18.0  # first contacts one rep makes in a full working day
    office_start_utc: int = 1  # 09:00 in Shanghai
    office_hours: int = 9
    follow_up_days: float = 10.0  # mean working days the rep follows a contacted lead up
    away_weeks: int = 2  # holiday weeks per rep per year
    sick_rate: float = 0.02  # share of working days a rep is off sick
    decay_hours: float = 72.0  # the chance to win decays toward its floor on this scale
    decay_floor: float = 0.4  # share of the chance left for a lead contacted far too late
    window_days: int = _EAST.window_days  # performance: conversion observed over this window
    floor: float = _EAST.floor  # performance: minimum share, × an equal share


@dataclass(frozen=True)
class StrategyResult:
    strategy: str
    leads: int
    won: int
    conversion: float  # won / leads
    revenue: int  # whole currency units, sum of won deal sizes
    mean_hours_to_first_contact: float
    median_hours_to_first_contact: float
    p90_hours_to_first_contact: float
    pooled: int  # leads that waited in the public pool because every rep was at cap
    leads_per_rep: dict[str, int]


@dataclass(frozen=True)
class _Flow:
    """Everything random, drawn once per seed and shared by every strategy."""

    arrival: np.ndarray  # hours since START, sorted
    channel: np.ndarray
    effort: np.ndarray  # working hours the first contact takes
    follow_up: np.ndarray  # the rep's office hours the lead stays open after the contact
    reveal: np.ndarray  # hours from first contact until a won deal is known (closed)
    luck: np.ndarray  # uniform draw: won if below the chance
    deal: np.ndarray  # whole currency units
    away: np.ndarray  # [rep, day] True when the rep does not work that day


def draw_flow(config: SimulationConfig) -> _Flow:
    """The demo's sales-ready leads and the reps' calendars for ``config.weeks`` weeks."""
    rng = np.random.default_rng(config.seed)
    end = START + timedelta(weeks=config.weeks) - timedelta(days=1)
    ready = profiles.SHARE * profiles.VALID_RATE * profiles.MQL_RATE
    count = int(round(config.leads_per_year * config.weeks / 52 * ready.sum()))
    seconds = creation_times(rng, count, START, end)
    arrival = (seconds - epoch(START)) / 3600
    channel = rng.choice(len(ready), count, p=ready / ready.sum())
    effort = rng.exponential(config.office_hours / config.contacts_per_day, count)
    follow_up = rng.exponential(config.follow_up_days * config.office_hours, count)
    to_sql = rng.exponential(7.5, count)  # days, as the demo: SAL then SQL
    cycle = rng.lognormal(np.log(profiles.CYCLE_DAYS[channel]) - 0.08, 0.4)
    reveal = (to_sql + cycle) * HOURS_PER_DAY
    luck = rng.random(count)
    deal = np.maximum(
        500, np.round(rng.lognormal(np.log(profiles.DEAL_SIZE[channel]) - 0.125, 0.5) / 100) * 100
    )
    days = config.weeks * 7 + 7 * 8  # the run goes on after the last arrival to empty queues
    away = rng.random((len(SALES_REPS), days)) < config.sick_rate
    for rep in range(len(SALES_REPS)):
        for week in rng.choice(
            max(1, config.weeks), min(config.away_weeks, config.weeks), replace=False
        ):
            away[rep, week * 7 : week * 7 + 7] = True
    return _Flow(arrival, channel, effort, follow_up, reveal, luck, deal.astype(np.int64), away)


def simulate_strategy(
    strategy: str, config: SimulationConfig, flow: _Flow | None = None
) -> StrategyResult:
    """Run the lead flow through one strategy's chooser."""
    flow = flow if flow is not None else draw_flow(config)
    names = [name for name, _, _ in SALES_REPS]
    skill = [s for *_, s in SALES_REPS]
    reps = [RepLoad(i + 1, 0, REP_CAP) for i in range(len(names))]
    chooser: RoundRobin | LoadBalanced | PerformanceWeighted
    chooser = RoundRobin(reps) if strategy == "round_robin" else LoadBalanced(reps)
    if strategy == "performance":
        chooser = PerformanceWeighted(reps, floor=config.floor)
    elif strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}")
    sal_sql = profiles.SAL_RATE * profiles.SQL_RATE
    win = profiles.WIN_RATE
    total_days = flow.away.shape[1]
    assigned_on = np.zeros((len(reps), total_days + 1), dtype=np.int64)
    won_known_on = np.zeros((len(reps), total_days + 1), dtype=np.int64)
    queues: list[deque[int]] = [deque() for _ in reps]
    budget = [0.0] * len(reps)
    # Follow-ups run on each rep's own clock of office hours worked: nothing closes while the
    # rep is away, so an absent rep's open load grows (what load-balancing can see).
    worked = [0.0] * len(reps)
    closing: list[list[float]] = [[] for _ in reps]
    pool: deque[int] = deque()
    waits = np.full(len(flow.arrival), np.nan)
    owner = np.full(len(flow.arrival), -1)
    won = np.zeros(len(flow.arrival), dtype=bool)
    pooled = 0
    next_lead = 0
    for hour in range(total_days * HOURS_PER_DAY):
        day, hour_of_day = divmod(hour, HOURS_PER_DAY)
        if hour_of_day == 0 and strategy == "performance":
            since = max(0, day - config.window_days)
            for index, rep in enumerate(reps):
                rep.assigned = int(assigned_on[index, since:day].sum())
                rep.converted = int(won_known_on[index, since:day].sum())
            chooser = PerformanceWeighted(reps, floor=config.floor)

        def give(lead: int) -> bool:
            rep = chooser.choose()
            if rep is None:
                return False
            owner[lead] = rep.id - 1
            queues[rep.id - 1].append(lead)
            assigned_on[rep.id - 1, day] += 1
            return True

        while pool and give(pool[0]):
            pool.popleft()
        while next_lead < len(flow.arrival) and flow.arrival[next_lead] < hour + 1:
            if not give(next_lead):
                pool.append(next_lead)
                pooled += 1
            next_lead += 1
        working = day % 7 < 5 and 0 <= hour_of_day - config.office_start_utc < config.office_hours
        for index, queue in enumerate(queues):
            if not working or flow.away[index, day]:
                budget[index] = 0.0
                continue
            budget[index] += 1.0
            worked[index] += 1.0
            while closing[index] and closing[index][0] <= worked[index]:
                heapq.heappop(closing[index])
                reps[index].open_leads -= 1
            while queue and flow.effort[queue[0]] <= budget[index]:
                lead = queue.popleft()
                budget[index] -= flow.effort[lead]
                contact = hour + max(0.0, 1.0 - budget[index])
                wait = max(0.0, contact - flow.arrival[lead])
                waits[lead] = wait
                decay = config.decay_floor + (1 - config.decay_floor) * math.exp(
                    -wait / config.decay_hours
                )
                channel = flow.channel[lead]
                chance = sal_sql[channel] * min(0.95, win[channel] * skill[index]) * decay
                if flow.luck[lead] < chance:
                    won[lead] = True
                    known = int((contact + flow.reveal[lead]) // HOURS_PER_DAY)
                    if known < total_days:
                        won_known_on[index, known] += 1
                heapq.heappush(closing[index], worked[index] + flow.follow_up[lead])
            if not queue:
                budget[index] = 0.0  # idle time is not saved up for later
    contacted = waits[np.isfinite(waits)]
    leads = len(flow.arrival)
    return StrategyResult(
        strategy=strategy,
        leads=leads,
        won=int(won.sum()),
        conversion=round(float(won.sum()) / leads, 5) if leads else 0.0,
        revenue=int(flow.deal[won].sum()),
        mean_hours_to_first_contact=round(float(np.mean(contacted)), 2) if len(contacted) else 0.0,
        median_hours_to_first_contact=round(float(np.median(contacted)), 2)
        if len(contacted)
        else 0.0,
        p90_hours_to_first_contact=round(float(np.percentile(contacted, 90)), 2)
        if len(contacted)
        else 0.0,
        pooled=pooled,
        leads_per_rep={names[i]: int((owner == i).sum()) for i in range(len(names))},
    )


def simulate_routing(
    config: SimulationConfig, strategies: tuple[str, ...] = STRATEGIES
) -> list[StrategyResult]:
    """Each strategy on the same drawn lead flow, in the order given."""
    flow = draw_flow(config)
    return [simulate_strategy(strategy, config, flow) for strategy in strategies]


def as_json(results: list[StrategyResult]) -> dict[str, dict[str, object]]:
    """Results keyed by strategy (each with ``conversion`` = won / leads)."""
    return {result.strategy: asdict(result) for result in results}
