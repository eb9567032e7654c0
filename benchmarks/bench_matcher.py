"""Quality and speed of the unsupervised record matcher on the public FEBRL benchmark.

    cd benchmarks && ../.venv/bin/python bench_matcher.py [--repeat 3]

For febrl1 (1,000 records, 500 true pairs) and febrl3 (5,000 records, 6,538 true pairs): precision,
recall and F1 of the predicted pairs against the true pairs (unordered), with default settings and
no labels (the true pairs are read only to score). Times are medians of the repeats, in-process:
``match_s`` is the matcher alone on records already in memory, ``end_to_end_s`` is the whole
`closeloop dedup` service (read the CSV, match, write the pairs), without Python start-up.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from common import write_result

from closeloop.leads.matching import MatchConfig, find_duplicates
from closeloop.leads.matching.service import choose_fields, dedup_files, read_record_file

FEBRL = Path(__file__).resolve().parents[2] / "shared" / "data" / "febrl"
DATASETS = ("febrl1", "febrl3")


def true_pairs(name: str) -> set[tuple[str, str]]:
    """The labelled pairs, each sorted."""
    with (FEBRL / f"{name}_true_pairs.csv").open() as handle:
        return {tuple(sorted((row["id_1"], row["id_2"]))) for row in csv.DictReader(handle)}  # type: ignore[misc]


def scores(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    """Precision, recall and F1 of predicted pairs against the truth."""
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return {
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "false_positives": len(predicted - truth),
        "false_negatives": len(truth - predicted),
    }


def measure(name: str, repeat: int) -> dict[str, Any]:
    """Run one data set ``repeat`` times both ways; score the last run."""
    path = FEBRL / f"{name}_records.csv"
    source = read_record_file(path, id_column="rec_id")
    fields = choose_fields([source], id_column="rec_id", fields=None)
    config = MatchConfig()
    match_times, service_times = [], []
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "pairs.csv"
        for _ in range(repeat):
            started = time.perf_counter()
            result = find_duplicates(source.rows, fields=fields, config=config)
            match_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            summary = dedup_files(path, id_column="rec_id", out=out, config=config)
            service_times.append(time.perf_counter() - started)
        with out.open() as handle:
            predicted = {(row["id_1"], row["id_2"]) for row in csv.DictReader(handle)}
    in_memory = {tuple(sorted((source.ids[p.left], source.ids[p.right]))) for p in result.pairs}
    assert in_memory == predicted, "the service and the in-memory matcher disagree"
    truth = true_pairs(name)
    return {
        "records": summary.records,
        "true_pairs": len(truth),
        "predicted_pairs": len(predicted),
        "candidate_pairs": summary.comparisons,
        **scores(predicted, truth),
        "match_s": round(statistics.median(match_times), 3),
        "end_to_end_s": round(statistics.median(service_times), 3),
        "em_iterations": result.model.iterations,
        "match_share_among_candidates": round(result.model.prior, 5),
        "fields": {spec.column: spec.type.value for spec in fields},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not FEBRL.is_dir():
        raise SystemExit(f"FEBRL data not found at {FEBRL}")
    results = {}
    for name in DATASETS:
        results[name] = measure(name, args.repeat)
        row = results[name]
        print(
            f"{name}: P={row['precision']:.4f} R={row['recall']:.4f} F1={row['f1']:.4f} "
            f"match {row['match_s']:.3f} s, end to end {row['end_to_end_s']:.3f} s "
            f"({row['candidate_pairs']:,} candidate pairs)"
        )
    write_result(
        "matcher-febrl",
        {"config": MatchConfig().model_dump(), "repeat": args.repeat, "datasets": results},
    )


if __name__ == "__main__":
    main()
