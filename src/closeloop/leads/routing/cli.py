"""Routing commands: `closeloop leads assign|claim|release|return|accept|contact|pool`,
`closeloop routing show|set` and `closeloop simulate routing`.

The ``leads`` commands are added to the existing ``leads_app`` when this module is imported
(closeloop/cli.py imports it to mount ``routing_app`` and ``simulate_app``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from datetime import time as clock
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
import yaml
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.cli_support import DbOption, JsonOption, _, console, open_database
from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.types import utcnow
from closeloop.errors import Invalid, NotFound
from closeloop.i18n import N_
from closeloop.leads.cli import leads_app
from closeloop.leads.routing import repository as repo
from closeloop.leads.routing.actions import ActionResult
from closeloop.leads.routing.rules import DEFAULT_TEXT, current_rules
from closeloop.leads.routing.service import (
    accept_lead,
    assign_lead,
    assign_leads,
    claim_lead,
    log_contact,
    release_lead,
    return_lead,
)
from closeloop.leads.routing.simulate import (
    STRATEGIES,
    SimulationConfig,
    simulate_routing,
)
from closeloop.leads.routing.simulate import as_json as results_json
from closeloop.leads.rule_settings import save_rules_text
from closeloop.models import Lead, RuleSet, Team, User
from closeloop.rules.loader import read_rules_file

routing_app = typer.Typer(
    help="Routing rules: which team and rep get a lead.", no_args_is_help=True
)
simulate_app = typer.Typer(help="Try rule changes on the demo company first.", no_args_is_help=True)

RepOption = Annotated[str, typer.Option("--rep", help="The rep: e-mail or user id.")]
LeadArgument = Annotated[int, typer.Argument(metavar="ID", help="The lead's id.")]


class StrategyName(StrEnum):
    round_robin = "round_robin"
    load = "load"
    performance = "performance"


def resolve_rep(session: Session, rep: str) -> User:
    """A user by e-mail (any case) or id; NotFound names what was given."""
    text = rep.strip()
    user = None
    if text.isdigit():
        user = session.get(User, int(text))
    elif text:
        by_email = select(User).where(func.lower(User.email) == func.lower(text))
        user = session.scalars(by_email).first()
    if user is None:
        raise NotFound(N_("no user %(rep)r (give an e-mail or a user id)"), rep=rep)
    return user


def _act(
    db: str | None, rep: str, action: Callable[[Session, int, datetime], ActionResult]
) -> tuple[ActionResult, str]:
    with unit_of_work(open_database(db)) as session:
        begin_writing(session)
        user = resolve_rep(session, rep)
        return action(session, user.id, utcnow()), user.email


@leads_app.command("assign")
def assign_command(
    lead_ids: Annotated[
        list[int] | None, typer.Argument(metavar="[ID]...", help="Leads to route.")
    ] = None,
    all_leads: Annotated[
        bool, typer.Option("--all", help="Every open lead without an owner.")
    ] = False,
    limit: Annotated[
        int | None, typer.Option(help="With --all: at most this many, best score first.")
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Route leads to reps by the routing rules (to the public pool when every rep is at cap)."""
    if bool(lead_ids) == all_leads:
        raise Invalid(N_("name lead ids or give --all (not both)"), field="leads")
    with unit_of_work(open_database(db)) as session:
        begin_writing(session)
        at = utcnow()
        if all_leads:
            summary = assign_leads(session, at=at, limit=limit)
            out: dict[str, Any] = asdict(summary)
        else:
            results = [assign_lead(session, lead_id=lead_id, at=at) for lead_id in lead_ids or []]
            out = {"assignments": [asdict(result) for result in results]}
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
    elif all_leads and not out["considered"]:
        console.print(_("No open lead without an owner to route."))
    elif all_leads:
        table = Table(
            title=_(
                "Routed %(leads)s leads in %(seconds).2f s (routing v%(version)s)",
                leads=f"{out['considered']:,}",
                seconds=out["seconds"],
                version=out["rule_version"],
            )
        )
        for column in (N_("Team"), N_("Assigned"), N_("To the pool")):
            table.add_column(_(column), justify="left" if column == "Team" else "right")
        for team, counts in sorted(out["by_team"].items()):
            table.add_row(team, f"{counts['assigned']:,}", f"{counts['pooled']:,}")
        table.add_row(_("Total"), f"{out['assigned']:,}", f"{out['pooled']:,}")
        console.print(table)
        if out["skipped"]:
            console.print(
                _(
                    "%(leads)s leads changed meanwhile and were left as they are.",
                    leads=f"{out['skipped']:,}",
                )
            )
    else:
        for item in out["assignments"]:
            where = item["owner_email"] or _("the public pool")
            console.print(
                _("Lead %(id)s → %(where)s (%(rule)s)", id=item["lead_id"], where=where,
                  rule=item["rule"]),
                highlight=False,
            )  # fmt: skip


@leads_app.command("claim")
def claim_command(lead_id: LeadArgument, rep: RepOption, db: DbOption = None) -> None:
    """Take a lead from the public pool (within the rep's cap and daily claim limit)."""
    result, email = _act(db, rep, lambda s, r, at: claim_lead(s, lead_id=lead_id, rep_id=r, at=at))
    console.print(
        _("Lead %(id)s claimed by %(email)s: now %(status)s.", id=lead_id, email=email,
          status=result.status),
        highlight=False,
    )  # fmt: skip


@leads_app.command("release")
def release_command(
    lead_id: LeadArgument,
    rep: RepOption,
    reason: Annotated[str | None, typer.Option(help="Why (optional).")] = None,
    db: DbOption = None,
) -> None:
    """Give a lead you own back to the public pool."""
    _act(db, rep, lambda s, r, at: release_lead(s, lead_id=lead_id, rep_id=r, at=at, reason=reason))
    console.print(_("Lead %(id)s released to the public pool.", id=lead_id), highlight=False)


@leads_app.command("return")
def return_command(
    lead_id: LeadArgument,
    rep: RepOption,
    reason: Annotated[
        str | None, typer.Option(help="Why it goes back to marketing (required).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Return a lead you own to marketing for nurture, with a reason."""
    _act(
        db,
        rep,
        lambda s, r, at: return_lead(s, lead_id=lead_id, rep_id=r, reason=reason or "", at=at),
    )
    console.print(_("Lead %(id)s returned to marketing (nurture).", id=lead_id), highlight=False)


@leads_app.command("accept")
def accept_command(lead_id: LeadArgument, rep: RepOption, db: DbOption = None) -> None:
    """Accept a lead you own: it becomes sales-accepted (SAL)."""
    _act(db, rep, lambda s, r, at: accept_lead(s, lead_id=lead_id, rep_id=r, at=at))
    console.print(_("Lead %(id)s accepted: now sal.", id=lead_id), highlight=False)


@leads_app.command("contact")
def contact_command(
    lead_id: LeadArgument,
    rep: RepOption,
    note: Annotated[str | None, typer.Option(help="What was said (optional).")] = None,
    db: DbOption = None,
) -> None:
    """Log a contact with a lead you own (the first one starts the lead being worked)."""
    result, _rules = _act(
        db, rep, lambda s, r, at: log_contact(s, lead_id=lead_id, rep_id=r, at=at, note=note)
    )
    console.print(
        _("Contact logged on lead %(id)s: now %(status)s.", id=lead_id, status=result.status),
        highlight=False,
    )


@leads_app.command("pool")
def pool_command(
    rep: Annotated[
        str | None, typer.Option("--rep", help="Show this rep's cap and claims today.")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many leads to list.")] = 50,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The public pool (公海), best score first."""
    with unit_of_work(open_database(db)) as session:
        rows = session.execute(
            select(
                Lead.id, Lead.full_name, Lead.company, Lead.score, Team.name, Lead.pool_entered_at
            )
            .outerjoin(Team, Team.id == Lead.team_id)
            .where(Lead.status == "pool")
            .order_by(Lead.score.desc(), Lead.id)
            .limit(limit)
        ).all()
        total = session.scalar(select(func.count()).select_from(Lead).where(Lead.status == "pool"))
        cap = _rep_cap(session, rep) if rep else None
    leads: list[dict[str, Any]] = [
        {"id": r[0], "name": r[1], "company": r[2], "score": r[3], "team": r[4],
         "in_pool_since": r[5].isoformat() if r[5] else None}
        for r in rows
    ]  # fmt: skip
    if as_json:
        typer.echo(
            json.dumps({"total": total, "leads": leads, "rep": cap}, ensure_ascii=False, indent=2)
        )
        return
    table = Table(
        title=_(
            "Public pool: %(total)s leads (best %(shown)s shown)",
            total=f"{total:,}",
            shown=len(leads),
        )
    )
    for column in (
        N_("Lead"),
        N_("Name"),
        N_("Company"),
        N_("Score"),
        N_("Team"),
        N_("In the pool since"),
    ):
        table.add_column(_(column), justify="right" if column in ("Lead", "Score") else "left")
    for lead in leads:
        since = lead["in_pool_since"][:16].replace("T", " ") if lead["in_pool_since"] else ""
        table.add_row(
            str(lead["id"]),
            lead["name"] or "",
            lead["company"] or "",
            str(lead["score"]),
            lead["team"] or "",
            since,
        )
    console.print(table)
    if cap:
        console.print(
            _(
                "%(email)s: %(open)s open leads of cap %(cap)s; claimed %(claimed)s of "
                "%(limit)s today.",
                email=cap["email"],
                open=cap["open_leads"],
                cap=cap["max_open_leads"] or _("none"),
                claimed=cap["claimed_today"],
                limit=cap["daily_claim_limit"],
            ),
            highlight=False,
        )


def _rep_cap(session: Session, rep: str) -> dict[str, Any]:
    user = resolve_rep(session, rep)
    pool = current_rules(session).rules.pool
    zone = ZoneInfo(pool.timezone)
    day_start = datetime.combine(utcnow().astimezone(zone).date(), clock.min, zone)
    return {
        "email": user.email,
        "open_leads": repo.open_loads(session, [user.id]).get(user.id, 0),
        "max_open_leads": user.max_open_leads,
        "claimed_today": repo.claims_since(session, user.id, day_start),
        "daily_claim_limit": pool.daily_claim_limit,
    }


@routing_app.command("show")
def show_command(as_json: JsonOption = False, db: DbOption = None) -> None:
    """Print the routing rules in force and their version."""
    with unit_of_work(open_database(db)) as session:
        active = current_rules(session)
        text = DEFAULT_TEXT
        if active.version:
            text = session.scalar(
                select(RuleSet.source_text).where(
                    RuleSet.kind == "routing", RuleSet.version == active.version
                )
            ) or yaml.safe_dump(
                active.rules.model_dump(mode="json"), allow_unicode=True, sort_keys=False
            )
    if as_json:
        payload = {"version": active.version, "rules": active.rules.model_dump(mode="json")}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    origin = _("built-in default") if active.version == 0 else _("saved")
    console.print(
        _("# routing rules v%(version)s (%(origin)s), in force", version=active.version,
          origin=origin),
        highlight=False,
    )  # fmt: skip
    console.print(text.rstrip("\n"), highlight=False, markup=False)


@routing_app.command("set")
def set_command(
    file: Annotated[Path, typer.Argument(help="The routing rules, YAML or JSON.")],
    db: DbOption = None,
) -> None:
    """Validate a routing file whole and put it in force as the next version."""
    text = read_rules_file(file)
    with unit_of_work(open_database(db)) as session:
        begin_writing(session)
        version = save_rules_text(
            session, Actor.operator(), kind="routing", text=text, source=file.name
        )
    console.print(
        _("Routing rules v%(version)s from %(file)s are in force.", version=version,
          file=file.name),
        highlight=False,
    )  # fmt: skip


@simulate_app.command("routing")
def simulate_routing_command(
    strategy: Annotated[
        StrategyName | None, typer.Option(help="One strategy (default: all, side by side).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same run.")] = 7,
    weeks: Annotated[int, typer.Option(min=1, max=520, help="Weeks of lead flow to replay.")] = 52,
    as_json: JsonOption = False,
) -> None:
    """Replay the demo company's lead flow under each routing strategy and compare."""
    config = SimulationConfig(seed=seed, weeks=weeks)
    chosen = (strategy.value,) if strategy else STRATEGIES
    results = simulate_routing(config, chosen)
    if as_json:
        # Keyed by strategy even for one, so scripts read result["load"]["conversion"] alike.
        typer.echo(json.dumps(results_json(results), ensure_ascii=False, indent=2))
        return
    table = Table(
        title=_(
            "Routing simulation: %(weeks)s weeks of the demo company, seed %(seed)s",
            weeks=weeks,
            seed=seed,
        )
    )
    table.add_column("")
    for result in results:
        table.add_column(result.strategy, justify="right")
    rows: list[tuple[str, Callable[[Any], str]]] = [
        (N_("leads"), lambda r: f"{r.leads:,}"),
        (N_("won"), lambda r: f"{r.won:,}"),
        (N_("conversion"), lambda r: f"{r.conversion:.2%}"),
        (N_("revenue"), lambda r: f"{r.revenue:,}"),
        (N_("mean h to first contact"), lambda r: f"{r.mean_hours_to_first_contact:.1f}"),
        (N_("median h to first contact"), lambda r: f"{r.median_hours_to_first_contact:.1f}"),
        (N_("p90 h to first contact"), lambda r: f"{r.p90_hours_to_first_contact:.1f}"),
        (N_("waited in the pool"), lambda r: f"{r.pooled:,}"),
    ]
    for label, cell in rows:
        table.add_row(_(label), *(cell(result) for result in results))
    console.print(table)
