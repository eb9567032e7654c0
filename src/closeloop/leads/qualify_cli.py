"""`closeloop leads qualify`: score every open lead and route the unowned ones, in one pass.

Added to ``leads_app`` when imported (closeloop/cli.py imports it).
"""

from __future__ import annotations

import json
from dataclasses import asdict

import typer

from closeloop.cli_support import DbOption, JsonOption, _, console, open_database
from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.types import utcnow
from closeloop.leads.cli import leads_app
from closeloop.leads.qualify import qualify_open_leads


@leads_app.command("qualify")
def qualify_command(as_json: JsonOption = False, db: DbOption = None) -> None:
    """Score every open lead and route the ones without an owner, each lead written once."""
    with unit_of_work(open_database(db)) as session:
        begin_writing(session)
        scored, routed = qualify_open_leads(session, at=utcnow())
    if as_json:
        out = {"scoring": scored.as_dict(), "routing": asdict(routed)}
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    console.print(
        _(
            "Scored %(leads)s open leads and routed %(routed)s in %(seconds).2f s: %(mql)s "
            "became MQL, %(assigned)s went to reps, %(pooled)s to the public pool.",
            leads=f"{scored.considered:,}",
            routed=f"{routed.considered:,}",
            seconds=scored.seconds,
            mql=f"{scored.mql:,}",
            assigned=f"{routed.assigned:,}",
            pooled=f"{routed.pooled:,}",
        )
    )
