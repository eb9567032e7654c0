"""`closeloop sla show|set|sweep|compliance`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.table import Table

from closeloop.access.actor import Actor
from closeloop.cli_support import DbOption, JsonOption, _, console, open_database
from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.types import utcnow
from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.leads.rule_settings import save_rules_text
from closeloop.leads.sla.compliance import sla_compliance
from closeloop.leads.sla.rules import active_sla_rules
from closeloop.leads.sla.tasks import run_sla_sweep
from closeloop.rules.loader import read_rules_file

app = typer.Typer(
    help="Service levels: working calendar, promises, breaches.", no_args_is_help=True
)


def _moment(value: str | None, option: str) -> datetime | None:
    """An ISO date or time; a time without an offset is UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            N_("%(value)r is not an ISO date or time"), field=option, value=value
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command("show")
def show(as_json: JsonOption = False, db: DbOption = None) -> None:
    """Print the SLA rules in force and their version."""
    engine = open_database(db)
    with unit_of_work(engine) as session:
        active = active_sla_rules(session)
    body = active.rules.model_dump(mode="json")
    if as_json:
        typer.echo(json.dumps({"version": active.version, **body}, ensure_ascii=False, indent=2))
        return
    origin = _("built-in default") if active.version == 0 else _("saved")
    console.print(
        _("SLA rules v%(version)s (%(origin)s)", version=active.version, origin=origin),
        highlight=False,
    )
    console.print(yaml.safe_dump({"calendar": body["calendar"]}, allow_unicode=True), end="")
    table = Table(_("team"), _("first contact (h)"), _("accept (d)"), _("follow up (d)"),
                  _("escalate after (h)"), _("recycle after (h)"))  # fmt: skip
    for name in [None, *active.rules.teams]:
        sla = active.rules.for_team(name)
        table.add_row(name or _("(default)"), f"{sla.first_contact_hours:g}", str(sla.accept_days),
                      str(sla.follow_up_days), f"{sla.escalate_after_hours:g}",
                      f"{sla.recycle_after_hours:g}")  # fmt: skip
    console.print(table)


@app.command("set")
def set_rules(
    file: Annotated[Path, typer.Argument(help="YAML or JSON file of SLA rules.")],
    db: DbOption = None,
) -> None:
    """Validate a rules file whole and put it in force as the next version."""
    text = read_rules_file(file)
    engine = open_database(db)
    with unit_of_work(engine) as session:
        begin_writing(session)
        version = save_rules_text(
            session, Actor.operator(), kind="sla", text=text, source=file.name
        )
    console.print(_("SLA rules v%(version)s in force", version=version), highlight=False)


@app.command("sweep")
def sweep_command(
    now: Annotated[str | None, typer.Option(help="Sweep as of this ISO time.")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Notify, escalate and recycle every lead whose SLA step is due."""
    engine = open_database(db)
    counts = run_sla_sweep(engine, now=_moment(now, "now") or utcnow())
    if as_json:
        typer.echo(json.dumps(counts))
        return
    console.print(
        _(
            "notified %(notified)s, escalated %(escalated)s, recycled %(recycled)s, "
            "cleared %(cleared)s",
            **counts,
        ),
        highlight=False,
    )


@app.command("compliance")
def compliance_command(
    since: Annotated[
        str | None, typer.Option("--from", help="First day (default: 30 days ago).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="End, exclusive (default: now).")
    ] = None,
    team: Annotated[str | None, typer.Option(help="Only this team.")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Share of assigned leads contacted within the first-contact SLA, per team."""
    end = _moment(until, "to") or utcnow()
    start = _moment(since, "from") or end - timedelta(days=30)
    engine = open_database(db)
    with unit_of_work(engine) as session:
        report = sla_compliance(session, since=start, until=end, team=team)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    title = _(
        "SLA compliance %(start)s – %(end)s", start=f"{start:%Y-%m-%d}", end=f"{end:%Y-%m-%d}"
    )
    table = Table(_("team"), _("SLA (h)"), _("assigned"), _("in time"), _("late"), _("missed"),
                  _("pending"), _("compliance"), title=title)  # fmt: skip
    for row in [*report.teams, report.total]:
        share = "–" if row.compliance is None else f"{row.compliance:.1%}"
        hours = "" if row.first_contact_hours is None else f"{row.first_contact_hours:g}"
        table.add_row(row.team or _("(no team)"), hours, str(row.assigned), str(row.in_time),
                      str(row.late), str(row.missed), str(row.pending), share)  # fmt: skip
    console.print(table)
