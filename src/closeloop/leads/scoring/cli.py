"""`closeloop scoring …`: the rules in force, changing them, training the model, batch scoring."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from closeloop.access.actor import Actor
from closeloop.cli_support import DbOption, JsonOption, _, console, open_database
from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.leads.rule_settings import save_rules_text
from closeloop.leads.scoring.rules import KIND
from closeloop.leads.scoring.service import current_rules, score_leads
from closeloop.rules.loader import read_rules_file

app = typer.Typer(
    help="Lead scoring: rules, the predictive model, batch scoring.", no_args_is_help=True
)


@app.command("show")
def show(as_json: JsonOption = False, db: DbOption = None) -> None:
    """Print the scoring rules in force and their version (0 = the built-in default)."""
    with unit_of_work(open_database(db)) as session:
        active = current_rules(session)
    body = active.rules.model_dump(mode="json")
    if as_json:
        print(json.dumps({"version": active.version, "rules": body}, ensure_ascii=False))
        return
    console.print(_("# scoring rules v%(version)s", version=active.version), highlight=False)
    print(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), end="")


@app.command("set")
def set_rules(
    file: Annotated[Path, typer.Argument(help="YAML or JSON rules file (see `scoring show`).")],
    db: DbOption = None,
) -> None:
    """Validate FILE whole and put it in force as the next version; an invalid file changes
    nothing."""
    text = read_rules_file(file)
    with unit_of_work(open_database(db)) as session:
        version = save_rules_text(session, Actor.operator(), kind=KIND, text=text, source=file.name)
        threshold = current_rules(session).rules.mql_threshold
    console.print(
        _(
            "scoring rules v%(version)s in force (MQL at %(threshold)s)",
            version=version,
            threshold=threshold,
        )
    )


@app.command("train")
def train(
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="Train on this CSV/XLSX instead.")
    ] = None,
    label: Annotated[
        str | None, typer.Option(help="With --from-file: the 0/1, true/false, yes/no column.")
    ] = None,
    score: Annotated[
        Path | None, typer.Option("--score", help="With --from-file: a file to score.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where --score writes (default scored.csv).")
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Train the conversion model on the database's history (or a file) and report it."""
    if from_file is not None:
        _train_from_file(from_file, label, score, out, as_json)
        return
    if label or score or out:
        raise Invalid(N_("--label, --score and --out go with --from-file"), field="from_file")
    from closeloop.leads.scoring.model import train_model

    with unit_of_work(open_database(db)) as session:
        rules = current_rules(session).rules
        report = train_model(session, rules=rules, now=datetime.now(UTC))
    result = report.as_dict()
    if as_json:
        print(json.dumps(result))
        return
    console.print(
        _(
            "model v%(version)s stored: trained on %(train)s leads, evaluated on the newest "
            "%(holdout)s (from %(since)s, %(positives)s converted)",
            version=report.version,
            train=f"{report.train_rows:,}",
            holdout=f"{report.holdout_rows:,}",
            since=report.holdout_from,
            positives=f"{report.holdout_positives:,}",
        )
    )
    console.print(
        _(
            "ROC AUC on the time holdout: model %(model).3f, rule score %(rule).3f",
            model=report.model_auc,
            rule=report.rule_auc,
        )
    )
    console.print(
        _(
            "Brier score %(brier).4f (always guessing the base rate: %(base).4f)",
            brier=report.brier,
            base=report.base_rate_brier,
        )
    )
    table = Table(_("decile"), _("leads"), _("predicted"), _("observed"), title=_("Calibration"))
    for row in report.deciles:
        table.add_row(
            str(row["decile"]), f"{row['leads']:,}", f"{row['predicted']:.1%}",
            f"{row['observed']:.1%}",
        )  # fmt: skip
    console.print(table)


def _train_from_file(
    path: Path, label: str | None, score: Path | None, out: Path | None, as_json: bool
) -> None:
    from closeloop.leads.scoring.from_file import score_file, train_from_file

    if not label:
        raise Invalid(N_("--from-file needs --label COLUMN"), field="label")
    model = train_from_file(path, label=label)
    report: dict[str, Any] = dict(model.report)
    if score is not None:
        target = out or Path("scored.csv")
        report["scored_rows"] = score_file(model, score, target)
        report["scored_file"] = str(target)
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
        return
    console.print(
        _(
            "%(rows)s rows, %(positives)s positive; numeric: %(numeric)s; categorical: "
            "%(categorical)s",
            rows=f"{report['rows']:,}",
            positives=f"{report['positives']:,}",
            numeric=", ".join(report["numeric_columns"]) or "-",
            categorical=", ".join(report["categorical_columns"]) or "-",
        ),
        highlight=False,
    )
    for column, why in report["ignored_columns"].items():
        console.print(_("ignored %(column)s: %(why)s", column=column, why=why), highlight=False)
    table = Table("", "ROC AUC", "PR AUC", _("top-decile lift"))
    table.add_row(
        _("%(folds)s-fold cross-validation (mean)", folds=report["cv_folds"]),
        f"{report['roc_auc']:.3f}", f"{report['pr_auc']:.3f}", f"{report['top_decile_lift']:.2f}",
    )  # fmt: skip
    holdout = report["holdout"]
    table.add_row(
        _("stratified 25 % holdout"),
        f"{holdout['roc_auc']:.3f}", f"{holdout['pr_auc']:.3f}",
        f"{holdout['top_decile_lift']:.2f}",
    )  # fmt: skip
    console.print(table)
    if score is not None:
        console.print(
            _(
                "scored %(rows)s rows into %(file)s",
                rows=f"{report['scored_rows']:,}",
                file=report["scored_file"],
            )
        )


@app.command("run")
def run(as_json: JsonOption = False, db: DbOption = None) -> None:
    """Score every open lead now (set-based); leads crossing the threshold become MQL."""
    with unit_of_work(open_database(db)) as session:
        begin_writing(session)
        result = score_leads(session, at=datetime.now(UTC))
    if as_json:
        print(json.dumps(result.as_dict()))
        return
    console.print(
        _(
            "scored %(leads)s open leads in %(seconds).2f s (%(rate)s leads/s): %(changed)s "
            "changed, %(mql)s became MQL (rules v%(rules)s, model %(model)s)",
            leads=f"{result.considered:,}",
            seconds=result.seconds,
            rate=f"{result.leads_per_second:,.0f}",
            changed=f"{result.changed:,}",
            mql=f"{result.mql:,}",
            rules=result.rules_version,
            model=f"v{result.model_version}" if result.model_version else _("none"),
        )
    )
