"""`closeloop import leads` and `closeloop leads …`."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from closeloop.cli_support import DbOption, _, console, open_database
from closeloop.config import get_settings
from closeloop.db.engine import unit_of_work
from closeloop.i18n import N_
from closeloop.leads.apikeys import create_api_key
from closeloop.leads.capture.headers import parse_mapping
from closeloop.leads.capture.importer import ImportOptions, ImportSummary, import_leads
from closeloop.leads.capture.unmerge import unmerge_lead
from closeloop.leads.history import lead_history

import_app = typer.Typer(help="Bring data in from files.", no_args_is_help=True)
leads_app = typer.Typer(help="Work with leads.", no_args_is_help=True)


@import_app.command("leads")
def import_leads_command(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK), XLSX or JSON Lines file.")],
    channel: Annotated[
        str | None, typer.Option(help="Channel of every row (code or name).")
    ] = None,
    campaign: Annotated[str | None, typer.Option(help="Campaign of every row.")] = None,
    content: Annotated[str | None, typer.Option(help="Content of every row.")] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="column=field, repeatable or comma-separated (e.g. 单位=company)."
        ),
    ] = None,
    default_region: Annotated[
        str | None,
        typer.Option(help="Country of phone numbers written without +code (default: CN)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Report what would happen; write nothing.")] = False,
    qualify: Annotated[
        bool,
        typer.Option(
            help="Score and route the leads as they land; --no-qualify for history brought "
            "over from another CRM."
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Import leads: clean, validate, de-duplicate and merge; rejected rows go to a rejects file."""
    pairs = [p for item in mapping or [] for p in item.split(",") if p.strip()]
    options = ImportOptions(
        channel,
        campaign,
        content,
        parse_mapping(pairs),
        (default_region or "").upper() or None,
        dry_run,
        qualify,
    )
    engine = open_database(db)
    with Progress(
        SpinnerColumn(),
        TextColumn(_("Importing %(file)s", file=file.name)),
        MofNCompleteColumn(),
        TextColumn(_("rows")),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=as_json or not console.is_terminal,
    ) as progress:
        task = progress.add_task("rows", total=None)
        summary = import_leads(
            engine, file, options, get_settings(), on_progress=lambda n: progress.advance(task, n)
        )
    if as_json:
        typer.echo(json.dumps(asdict(summary), ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)


def _print_summary(summary: ImportSummary) -> None:
    title = (
        N_("Would import %(file)s in %(seconds).1f s")
        if summary.dry_run
        else N_("Imported %(file)s in %(seconds).1f s")
    )
    table = Table(title=_(title, file=Path(summary.file).name, seconds=summary.seconds))
    for column in (N_("Read"), N_("Created"), N_("Merged"), N_("Rejected")):
        table.add_column(_(column), justify="right")
    table.add_row(*(f"{getattr(summary, c):,}" for c in ("read", "created", "merged", "rejected")))
    console.print(table)
    if summary.already:
        console.print(
            _(
                "%(rows)s rows were imported before: nothing new for them.",
                rows=f"{summary.already:,}",
            )
        )
    if summary.assigned or summary.pooled or summary.mql:
        console.print(
            _(
                "Scored and routed: %(mql)s sales-ready (MQL), %(assigned)s assigned to reps, "
                "%(pooled)s to the public pool.",
                mql=f"{summary.mql:,}",
                assigned=f"{summary.assigned:,}",
                pooled=f"{summary.pooled:,}",
            )
        )
    if summary.rejects_file:
        console.print(
            _("Rejected rows, with the reason for each: %(file)s", file=summary.rejects_file)
        )


@leads_app.command("unmerge")
def unmerge(
    lead_id: Annotated[int, typer.Argument(metavar="ID", help="The lead that was merged.")],
    db: DbOption = None,
) -> None:
    """Undo a merge: the lead stands on its own again with its touch."""
    with unit_of_work(open_database(db)) as session:
        result = unmerge_lead(session, lead_id=lead_id)
    console.print(
        _(
            "Lead %(lead)s is %(status)s again, separate from lead %(survivor)s; "
            "%(touches)s touch(es) moved back.",
            lead=result.lead_id,
            status=result.restored_status,
            survivor=result.survivor_id,
            touches=result.touches_moved,
        )
    )
    if result.cleared:
        console.print(
            _(
                "Cleared on lead %(lead)s: %(fields)s.",
                lead=result.survivor_id,
                fields=", ".join(result.cleared),
            )
        )
    if result.kept:
        console.print(
            _("Changed since the merge, so kept: %(fields)s.", fields=", ".join(result.kept))
        )


@leads_app.command("history")
def history(
    lead_id: Annotated[int, typer.Argument(metavar="ID", help="The lead.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """A lead's timeline: status changes and every decision, with the rule that made it."""
    with unit_of_work(open_database(db)) as session:
        entries = lead_history(session, lead_id=lead_id)
    if as_json:
        rows = [{**asdict(e), "at": e.at.isoformat()} for e in entries]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=_("Lead %(id)s", id=lead_id))
    for column in (_("when (UTC)"), _("what"), "", _("by"), _("rule")):
        table.add_column(column)
    for e in entries:
        rule = f"{e.rule} (v{e.rule_version})" if e.rule and e.rule_version is not None else e.rule
        table.add_row(e.at.strftime("%Y-%m-%d %H:%M"), e.what, e.summary, e.actor or "", rule or "")
    console.print(table)


apikey_app = typer.Typer(help="API keys for lead capture.", no_args_is_help=True)


@apikey_app.command("create")
def create_key(
    channel: Annotated[str, typer.Option(help="Channel its leads come from (code or name).")],
    campaign: Annotated[str | None, typer.Option(help="Campaign, if one.")] = None,
    content: Annotated[str | None, typer.Option(help="Content, if one.")] = None,
    form: Annotated[str | None, typer.Option(help="Name of the form that posts with it.")] = None,
    name: Annotated[str | None, typer.Option(help="A label to recognize the key by.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"key": …} as JSON.')] = False,
    db: DbOption = None,
) -> None:
    """Issue a key for POST /api/v1/leads (header X-API-Key). It is shown only this once."""
    with unit_of_work(open_database(db)) as session:
        issued = create_api_key(
            session, channel=channel, campaign=campaign, content=content, form_name=form, name=name
        )
    if as_json:
        typer.echo(json.dumps({"key": issued.key, "id": issued.id, "name": issued.name}))
    else:
        console.print(_("API key for %(name)s (shown only now, keep it safe):", name=issued.name))
        console.print(issued.key, highlight=False, markup=False, soft_wrap=True)
