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
    away_weeks: int = 2  # holiday weeks per rep in 52 weeks
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
    count = round(config.leads_per_year * config.weeks / 52 * float(ready.sum()))
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
    # Holidays in proportion to the run's length (two weeks a year: none in a four-week run).
    holidays = min(config.weeks, round(config.away_weeks * config.weeks / 52))
    for rep in range(len(SALES_REPS)):
        for week in rng.choice(config.weeks, holidays, replace=False):
            away[rep, week * 7 : week * 7 + 7] = True
    return _Flow(arrival, channel, effort, follow_up, reveal, luck, deal.astype(np.int64), away)


class _Floor:
    """One strategy's run: the team, their queues and clocks, and what happened to each lead."""

    def __init__(self, strategy: str, config: SimulationConfig, flow: _Flow) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}")
        self.strategy, self.config, self.flow = strategy, config, flow
        self.skill = [skill for *_, skill in SALES_REPS]
        self.reps = [RepLoad(i + 1, 0, REP_CAP) for i in range(len(SALES_REPS))]
        self.chooser: RoundRobin | LoadBalanced | PerformanceWeighted = (
            RoundRobin(self.reps) if strategy == "round_robin" else LoadBalanced(self.reps)
        )
        self.days = flow.away.shape[1]
        count = len(SALES_REPS)
        self.assigned_on = np.zeros((count, self.days + 1), dtype=np.int64)
        self.won_known_on = np.zeros((count, self.days + 1), dtype=np.int64)
        self.queues: list[deque[int]] = [deque() for _ in range(count)]
        self.budget = [0.0] * count  # office hours available for the next first contact
        # Follow-ups run on each rep's own clock of office hours worked: nothing closes while
        # the rep is away, so an absent rep's open load grows (what load-balancing sees).
        self.worked = [0.0] * count
        self.closing: list[list[float]] = [[] for _ in range(count)]
        self.pool: deque[int] = deque()
        self.pooled = 0
        leads = len(flow.arrival)
        self.waits = np.full(leads, np.nan)
        self.owner = np.full(leads, -1)
        self.won = np.zeros(leads, dtype=bool)
        self.chance_base = profiles.SAL_RATE * profiles.SQL_RATE

    def run(self) -> StrategyResult:
        next_lead, arrival = 0, self.flow.arrival
        config = self.config
        for hour in range(self.days * HOURS_PER_DAY):
            day, hour_of_day = divmod(hour, HOURS_PER_DAY)
            if hour_of_day == 0 and self.strategy == "performance":
                self.observe(day)
            while self.pool and self.give(self.pool[0], day):
                self.pool.popleft()
            while next_lead < len(arrival) and arrival[next_lead] < hour + 1:
                if not self.give(next_lead, day):
                    self.pool.append(next_lead)
                    self.pooled += 1
                next_lead += 1
            office = 0 <= hour_of_day - config.office_start_utc < config.office_hours
            if day % 7 < 5 and office:
                for index in range(len(self.reps)):
                    if not self.flow.away[index, day]:
                        self.work(index, hour)
            else:
                self.budget = [0.0] * len(self.reps)
        return self.result()

    def observe(self, day: int) -> None:
        """Performance: conversion as the team's history shows it today (never the skill)."""
        since = max(0, day - self.config.window_days)
        for index, rep in enumerate(self.reps):
            rep.assigned = int(self.assigned_on[index, since:day].sum())
            rep.converted = int(self.won_known_on[index, since:day].sum())
        self.chooser = PerformanceWeighted(self.reps, floor=self.config.floor)

    def give(self, lead: int, day: int) -> bool:
        rep = self.chooser.choose()
        if rep is None:
            return False
        self.owner[lead] = rep.id - 1
        self.queues[rep.id - 1].append(lead)
        self.assigned_on[rep.id - 1, day] += 1
        return True

    def work(self, index: int, hour: int) -> None:
        """One office hour of one rep: follow-ups end on their clock, first contacts in order."""
        flow, config, queue = self.flow, self.config, self.queues[index]
        self.budget[index] += 1.0
        self.worked[index] += 1.0
        closing = self.closing[index]
        while closing and closing[0] <= self.worked[index]:
            heapq.heappop(closing)
            self.reps[index].open_leads -= 1
        while queue and flow.effort[queue[0]] <= self.budget[index]:
            lead = queue.popleft()
            self.budget[index] -= flow.effort[lead]
            contact = hour + max(0.0, 1.0 - self.budget[index])
            wait = max(0.0, contact - flow.arrival[lead])
            self.waits[lead] = wait
            late = math.exp(-wait / config.decay_hours)
            decay = config.decay_floor + (1 - config.decay_floor) * late
            channel = flow.channel[lead]
            win = min(0.95, profiles.WIN_RATE[channel] * self.skill[index])
            if flow.luck[lead] < self.chance_base[channel] * win * decay:
                self.won[lead] = True
                known = int((contact + flow.reveal[lead]) // HOURS_PER_DAY)
                if known < self.days:
                    self.won_known_on[index, known] += 1
            heapq.heappush(closing, self.worked[index] + flow.follow_up[lead])
        if not queue:
            self.budget[index] = 0.0  # idle time is not saved up for later

    def result(self) -> StrategyResult:
        contacted = self.waits[np.isfinite(self.waits)]
        leads, won = len(self.flow.arrival), int(self.won.sum())

        def hours(value: float) -> float:
            return round(float(value), 2) if len(contacted) else 0.0

        return StrategyResult(
            strategy=self.strategy,
            leads=leads,
            won=won,
            conversion=round(won / leads, 5) if leads else 0.0,
            revenue=int(self.flow.deal[self.won].sum()),
            mean_hours_to_first_contact=hours(np.mean(contacted) if len(contacted) else 0),
            median_hours_to_first_contact=hours(np.median(contacted) if len(contacted) else 0),
            p90_hours_to_first_contact=hours(np.percentile(contacted, 90) if len(contacted) else 0),
            pooled=self.pooled,
            leads_per_rep={
                name: int((self.owner == i).sum()) for i, (name, *_) in enumerate(SALES_REPS)
            },
        )


def simulate_strategy(
    strategy: str, config: SimulationConfig, flow: _Flow | None = None
) -> StrategyResult:
    """Run the lead flow through one strategy's chooser."""
    return _Floor(strategy, config, flow if flow is not None else draw_flow(config)).run()


def simulate_routing(
    config: SimulationConfig, strategies: tuple[str, ...] = STRATEGIES
) -> list[StrategyResult]:
    """Each strategy on the same drawn lead flow, in the order given."""
    flow = draw_flow(config)
    return [simulate_strategy(strategy, config, flow) for strategy in strategies]


def as_json(results: list[StrategyResult]) -> dict[str, dict[str, object]]:
    """Results keyed by strategy (each with ``conversion`` = won / leads)."""
    return {result.strategy: asdict(result) for result in results}
