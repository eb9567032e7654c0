"""`closeloop demo`: create the schema, fill it with the demo company, print the ROI table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from closeloop.access.users import give_admin_a_password
from closeloop.analytics.period import Grouping, Period, parse_date
from closeloop.analytics.render import roi_tables
from closeloop.analytics.roi import roi_report
from closeloop.cli_support import DbOption, _, console, open_database
from closeloop.db.engine import unit_of_work
from closeloop.db.migrate import upgrade
from closeloop.demo.company import best_converting_channel, best_roas_channel, worst_roas_channel
from closeloop.demo.service import DemoOptions, generate_demo


def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 7,
    leads: Annotated[int, typer.Option(help="How many leads to generate.")] = 50_000,
    months: Annotated[int, typer.Option(help="How many months of history.")] = 12,
    end: Annotated[
        str | None, typer.Option(help="Last day of the history (YYYY-MM-DD, default today).")
    ] = None,
    currency: Annotated[str, typer.Option(help="The company's currency.")] = "USD",
    reset: Annotated[bool, typer.Option(help="Delete all existing data first.")] = False,
    db: DbOption = None,
) -> None:
    """Fill the database with a realistic B2B company and show its closed-loop ROI."""
    options = DemoOptions(
        seed=seed,
        leads=leads,
        months=months,
        end=parse_date(end, field="end") or datetime.now(UTC).date(),
        currency=currency.upper(),
    )
    engine = open_database(db, migrated=False)
    upgrade(engine)
    with Progress(
        TextColumn(_("Generating the demo company")),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("leads", total=options.leads)
        summary = generate_demo(
            engine, options, reset=reset, on_progress=lambda n: progress.advance(task, n)
        )
    console.print(
        _(
            "Demo company ready in %(seconds).1f s: %(leads)s leads, %(opportunities)s "
            "opportunities, %(orders)s orders, %(payments)s payments from %(start)s to %(end)s.",
            seconds=summary.seconds,
            leads=f"{summary.rows['leads']:,}",
            opportunities=f"{summary.rows['opportunities']:,}",
            orders=f"{summary.rows['orders']:,}",
            payments=f"{summary.rows['payments']:,}",
            start=options.start,
            end=options.end,
        )
    )
    console.print(
        _(
            "Ground truth: %(best)s convert best and return the most per unit spent "
            "(%(roas)s); %(worst)s lose money.",
            best=best_converting_channel(),
            roas=best_roas_channel(),
            worst=worst_roas_channel(),
        )
    )
    with unit_of_work(engine) as session:
        report = roi_report(session, grouping=Grouping.CHANNEL, period=Period())
    for table in roi_tables(report):
        console.print(table)
    with unit_of_work(engine) as session:
        admin = give_admin_a_password(session)
    if admin is not None:
        email, password = admin
        console.print(
            _(
                "Sign in to the web app (`closeloop serve`, then http://127.0.0.1:8000) as "
                "%(email)s with the password below — shown only now:",
                email=email,
            ),
            highlight=False,
        )
        console.print(password, highlight=False, markup=False)
