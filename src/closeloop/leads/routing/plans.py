"""A team's routing plan for one run: its reps, strategy and cursor, and how decisions read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from closeloop.leads.routing import repository as repo
from closeloop.leads.routing.rules import (
    CompiledRules,
    RoutingRules,
    TeamSettings,
)
from closeloop.leads.routing.strategies import Chooser, LoadBalanced, RoundRobin, make_chooser


@dataclass
class TeamPlan:
    """One team during an assignment run: its reps (rows locked) and its chooser."""

    name: str
    team_id: int | None
    settings: TeamSettings
    chooser: Chooser | None  # None: the team does not exist or has no eligible rep
    emails: dict[int, str]
    cursor: int | None = None  # round-robin position read (None: no cursor row yet)
    has_room: bool = False  # some eligible rep is under their cap

    def why_pool(self) -> str:
        if self.chooser is None:
            return f"team {self.name!r} has no active {' or '.join(self.settings.roles)}"
        return f"every rep of {self.name} is at their cap"


def team_plans(
    session: Session,
    rules: RoutingRules,
    names: set[str],
    at: datetime,
    *,
    ids: dict[str, int] | None = None,
    lock: bool = True,
    looked: list[repo.Rep] | None = None,
) -> dict[str, TeamPlan]:
    """Lock the teams' reps (id order), read their loads and cursors, build the choosers.

    ``lock=False``: only a look (no rows locked, no cursors read), to learn whether any rep has
    room at all, with the reps already read (``looked``); a plan built so must not give anyone
    a lead."""
    if ids is None:
        ids = repo.team_ids(session, names)
    if lock or looked is None:
        reps = repo.lock_team_reps(session, ids.values(), lock=lock)
    else:
        reps = looked
    round_robin = [
        ids[n] for n in names if n in ids and rules.settings_for(n).strategy != "performance"
    ]
    cursors = repo.read_cursors(session, round_robin) if lock else {}
    plans: dict[str, TeamPlan] = {}
    for name in sorted(names):
        settings = rules.settings_for(name)
        team_id = ids.get(name)
        eligible = [r for r in reps if r.team_id == team_id and r.role in settings.roles]
        chooser = None
        if eligible:
            window = None
            if settings.strategy == "performance":
                window = (at - timedelta(days=settings.window_days), at)
            loads = repo.rep_loads(session, eligible, window=window)
            position = cursors.get(team_id, 0) if team_id is not None else 0
            chooser = make_chooser(settings.strategy, loads, floor=settings.floor, cursor=position)
            room = any(load.has_room() for load in loads)
        plans[name] = TeamPlan(
            name,
            team_id,
            settings,
            chooser,
            {r.id: r.email for r in eligible},
            cursors.get(team_id) if team_id is not None else None,
            has_room=bool(eligible) and room,
        )
    return plans


def save_cursors(session: Session, plans: dict[str, TeamPlan]) -> None:
    moved = {
        plan.team_id: plan.chooser.last_id
        for plan in plans.values()
        if isinstance(plan.chooser, RoundRobin | LoadBalanced) and plan.team_id is not None
    }
    existing = {
        p.team_id: p.cursor
        for p in plans.values()
        if p.team_id is not None and p.cursor is not None
    }
    repo.write_cursors(session, {t: c for t, c in moved.items() if c}, existing)


def rule_text(version: int, rule: str, plan: TeamPlan) -> str:
    return f"routing v{version}: {rule} → {plan.name} ({plan.settings.strategy})"[:200]


def assigned_email(lead_id: int, team: str, to: str) -> dict[str, Any]:
    return {
        "to": [to],
        "subject": f"Lead {lead_id} is yours",
        "body": f"Lead {lead_id} was routed to you ({team}). Make the first contact soon: "
        f"`closeloop leads contact {lead_id} --rep {to}`.",
    }


_compiled: dict[int, tuple[RoutingRules, CompiledRules]] = {}


def compiled_rules(rules: RoutingRules) -> CompiledRules:
    """The compiled form of ``rules`` (one shared object per saved version: compiled once)."""
    found = _compiled.get(id(rules))
    if found is None or found[0] is not rules:
        _compiled.clear()
        found = _compiled[id(rules)] = (rules, CompiledRules(rules))
    return found[1]
