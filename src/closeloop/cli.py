"""The root command. It only mounts each domain's commands and renders errors."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

import closeloop.leads.qualify_cli  # noqa: F401  (adds `leads qualify`)
from closeloop import __version__
from closeloop.access.cli import token_app, user_app
from closeloop.analytics.cli import app as report_app
from closeloop.cli_support import (
    LocalizedGroup,
    _,
    choose_language,
    err_console,
    set_root_db,
)
from closeloop.db.cli import init
from closeloop.demo.cli import demo
from closeloop.errors import ClosedLoopError
from closeloop.jobs.cli import outbox_app, webhook_app, worker
from closeloop.leads.cli import apikey_app, import_app, leads_app
from closeloop.leads.matching.cli import dedup
from closeloop.leads.routing.cli import routing_app, simulate_app
from closeloop.leads.scoring.cli import app as scoring_app
from closeloop.leads.sla.cli import app as sla_app
from closeloop.web.cli import serve

app = typer.Typer(
    name="closeloop",
    help="Closeloop: follow marketing spend through leads and deals to collected cash.",
    cls=LocalizedGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Database URL (default: $CLOSELOOP_DATABASE_URL).", show_default=False
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version.", is_eager=True, callback=_print_version
        ),
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Language of the output: en or zh_CN (default: $CLOSELOOP_LOCALE, else the "
            "system's $LC_ALL, $LC_MESSAGES or $LANG).",
            is_eager=True,
            callback=choose_language,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Closeloop: follow marketing spend through leads and deals to collected cash."""
    set_root_db(db)


app.command()(init)
app.command()(demo)
app.add_typer(report_app, name="report")
app.add_typer(import_app, name="import")
app.add_typer(leads_app, name="leads")
app.add_typer(apikey_app, name="apikey")
app.add_typer(scoring_app, name="scoring")
app.add_typer(sla_app, name="sla")
app.add_typer(routing_app, name="routing")
app.add_typer(simulate_app, name="simulate")
app.command()(serve)
app.command()(dedup)
app.command()(worker)
app.add_typer(webhook_app, name="webhook")
app.add_typer(outbox_app, name="outbox")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")


def main() -> None:
    """Console entry point: a domain error is one line on stderr and exit code 2."""
    try:
        app(standalone_mode=True)
    except ClosedLoopError as error:
        err_console.print(
            _("error: %(message)s", message=error.localized(_)),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        sys.exit(2)
