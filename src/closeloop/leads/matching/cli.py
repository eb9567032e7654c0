"""`closeloop dedup`: find duplicate records in one CSV file, or link two files, without labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from closeloop.cli_support import _, console
from closeloop.leads.matching.service import dedup_files


def dedup(
    file: Annotated[Path, typer.Argument(help="CSV file of records (UTF-8 or GBK).")],
    id_column: Annotated[
        str, typer.Option("--id-column", help="The column that identifies each record.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the pairs (CSV).")],
    file2: Annotated[
        Path | None,
        typer.Argument(
            help="A second CSV file: link it against the first instead.", show_default=False
        ),
    ] = None,
    fields: Annotated[
        str | None,
        typer.Option(
            "--fields",
            help="Columns to compare, as column:type,… (types: name, text, address, date, code, "
            "phone, email). Default: every column but the id, types inferred.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Write the pairs of records that are the same person or company (id_1,id_2,score)."""
    summary = dedup_files(file, file2, id_column=id_column, out=out, fields=fields)
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
        return
    what = _("duplicate pairs") if summary.mode == "dedup" else _("linked pairs")
    console.print(
        _(
            "[bold]%(pairs)s[/bold] %(what)s among %(records)s records (%(comparisons)s "
            "comparisons) in %(seconds).2f s (matching %(matching).2f s)",
            pairs=f"{summary.pairs:,}",
            what=what,
            records=f"{summary.records:,}",
            comparisons=f"{summary.comparisons:,}",
            seconds=summary.seconds,
            matching=summary.match_seconds,
        )
    )
    types = ", ".join(f"{spec.column}:{spec.type.value}" for spec in summary.fields)
    console.print(_("Fields: %(fields)s", fields=types), highlight=False, markup=False)
    console.print(_("Written to %(file)s", file=summary.out), highlight=False, markup=False)
