"""Shared helpers of the benchmark scripts: machine facts, fresh databases, JSON output."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

RESULTS = Path(__file__).parent / "results"
PG_SERVER = os.environ.get("CLOSELOOP_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    with open("/proc/meminfo") as meminfo:
        memory_kb = int(meminfo.readline().split()[1])
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "speed_check_seconds": speed_check(),
    }


def speed_check() -> float:
    """Seconds a fixed pure-Python loop takes now. The machines here are shared: on 2026-12-05
    this loop took from 1.9 s to 3.3 s on the same machine within an hour, so figures taken at
    different times compare only next to it (and best as pairs run one after the other)."""
    started = time.perf_counter()
    total = 0
    for number in range(30_000_000):
        total += number
    return round(time.perf_counter() - started, 2)


def fresh_postgres(name: str) -> str:
    """Drop and create database ``name`` on the benchmark server; return its URL."""
    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    base = PG_SERVER.rsplit("/", 1)[0]
    return f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)


def fresh_sqlite(path: Path) -> str:
    """Delete the SQLite file (and its WAL) at ``path``; return its URL."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Write a result next to the scripts and print it."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **result}, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return path


@contextmanager
def profiled(enabled: bool) -> Iterator[None]:
    """Run the block under pyinstrument and print its report, when ``enabled``."""
    if not enabled:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler()
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))
