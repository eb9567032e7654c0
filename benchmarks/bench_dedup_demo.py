"""Matching quality on lead-style data: the demo company's leads, whose true duplicates it knows.

    python benchmarks/bench_dedup_demo.py [--leads 20000]

The demo makes about 2 % of its leads re-entries of an earlier lead (name typos, other name order,
a space in a Chinese name or its last character dropped, e-mail in capitals or left out, another
phone or none) and records which (merged_into_id). About three leads share each company, and
colleagues have different names. The matcher gets name, e-mail, phone and company, default
settings and no labels; its pairs are scored against that truth.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from common import write_result
from sqlalchemy import select

from closeloop.db.engine import make_engine
from closeloop.db.migrate import upgrade
from closeloop.demo.service import DemoOptions, generate_demo
from closeloop.leads.matching import FieldSpec, FieldType, find_duplicates
from closeloop.models import Lead

FIELDS = [
    FieldSpec("full_name", FieldType.NAME),
    FieldSpec("email", FieldType.EMAIL),
    FieldSpec("phone", FieldType.PHONE),
    FieldSpec("company", FieldType.TEXT),
]


def true_pairs(rows: list[tuple[int, int | None]]) -> set[tuple[int, int]]:
    """Every pair within each group of leads that are one person (merges may chain)."""
    parent = {lead_id: merged_into for lead_id, merged_into in rows if merged_into}

    def root(lead_id: int) -> int:
        while lead_id in parent:
            lead_id = parent[lead_id]
        return lead_id

    groups: dict[int, list[int]] = {}
    for lead_id, _ in rows:
        groups.setdefault(root(lead_id), []).append(lead_id)
    return {
        (a, b)
        for members in groups.values()
        if len(members) > 1
        for a in members
        for b in members
        if a < b
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'demo.db'}")
        upgrade(engine)
        generate_demo(engine, DemoOptions(seed=3, leads=args.leads, end=date(2026, 10, 31)))
        with engine.connect() as connection:
            leads = connection.execute(
                select(
                    Lead.id,
                    Lead.merged_into_id,
                    Lead.full_name,
                    Lead.email,
                    Lead.phone,
                    Lead.company,
                ).order_by(Lead.id)
            ).all()
        engine.dispose()
    ids = [row.id for row in leads]
    records = [{f.column: getattr(row, f.column) for f in FIELDS} for row in leads]
    truth = true_pairs([(row.id, row.merged_into_id) for row in leads])
    started = time.perf_counter()
    result = find_duplicates(records, fields=FIELDS)
    seconds = time.perf_counter() - started
    found = {tuple(sorted((ids[p.left], ids[p.right]))) for p in result.pairs}
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    write_result(
        f"matcher-demo-{args.leads}",
        {
            "benchmark": "matcher on the demo's lead-style duplicates",
            "leads": len(leads),
            "true_pairs": len(truth),
            "found_pairs": len(found),
            "candidate_pairs": result.comparisons,
            "em_iterations": result.model.iterations,
            "match_share_among_candidates": round(result.model.prior, 5),
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "seconds": round(seconds, 2),
        },
    )


if __name__ == "__main__":
    main()
