"""`closeloop report roi|funnel`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from closeloop.analytics.funnel import funnel_json_rows, funnel_report
from closeloop.analytics.period import parse_grouping, parse_period
from closeloop.analytics.render import funnel_table, roi_csv, roi_tables
from closeloop.analytics.roi import roi_json_rows, roi_report
from closeloop.cli_support import DbOption, console, open_database
from closeloop.db.engine import unit_of_work
from closeloop.errors import Invalid
from closeloop.i18n import N_

app = typer.Typer(help="Closed-loop reports.", no_args_is_help=True)

FromOption = Annotated[
    str | None, typer.Option("--from", help="First day of lead creation (YYYY-MM-DD).")
]
ToOption = Annotated[
    str | None, typer.Option("--to", help="Last day of lead creation (YYYY-MM-DD).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print rows as JSON.")]


@app.command()
def roi(
    by: Annotated[str, typer.Option("--by", help="channel, campaign or content.")] = "channel",
    start: FromOption = None,
    end: ToOption = None,
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print rows as CSV.")] = False,
    db: DbOption = None,
) -> None:
    """Spend, leads, deals, revenue and cash per channel, campaign or content, with a total."""
    if as_json and as_csv:
        raise Invalid(N_("choose one of --json and --csv"), field="json")
    grouping, period = parse_grouping(by), parse_period(start, end)
    with unit_of_work(open_database(db)) as session:
        report = roi_report(session, grouping=grouping, period=period)
    if as_json:
        typer.echo(json.dumps(roi_json_rows(report), ensure_ascii=False, indent=2))
    elif as_csv:
        typer.echo(roi_csv(roi_json_rows(report)), nl=False)
    else:
        for table in roi_tables(report):
            console.print(table)


@app.command()
def funnel(
    by: Annotated[
        str | None, typer.Option("--by", help="Split by channel, campaign or content.")
    ] = None,
    start: FromOption = None,
    end: ToOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """How many leads reached each stage from lead to cash, conversion and median days."""
    grouping = parse_grouping(by) if by else None
    period = parse_period(start, end)
    with unit_of_work(open_database(db)) as session:
        report = funnel_report(session, grouping=grouping, period=period)
    if as_json:
        typer.echo(json.dumps(funnel_json_rows(report), ensure_ascii=False, indent=2))
    else:
        console.print(funnel_table(report))
