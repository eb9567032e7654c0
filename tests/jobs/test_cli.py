"""The `closeloop webhook`, `outbox` and `worker` commands, run as a user would run them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, update
from typer.testing import CliRunner

from closeloop.cli import app
from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.types import utcnow
from closeloop.errors import Invalid
from closeloop.jobs.outbox import emit
from closeloop.jobs.relay import dispatch_outbox
from closeloop.models import EventDelivery, WebhookSubscription
from tests.capture.helpers import SQLITE_ONLY, _console_script, assert_refused
from tests.jobs.conftest import (
    Receiver,
    closeloop_env,
    deliveries,
    fast_settings,
    running,
    statuses,
    wait_for,
)


def run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_console_script(), *args], capture_output=True, text=True, env=env, cwd=cwd,
        timeout=60, check=False,
    )  # fmt: skip


def test_webhook_add_list_remove(
    db_url: str, engine: Engine, redis_url: str, queue_prefix: str, tmp_path: Path
) -> None:
    env = closeloop_env(redis_url, queue_prefix)

    added = run("webhook", "add", "https://hooks.example.cn/crm", "--topics", "lead.*,order.won",
                "--json", "--db", db_url, env=env, cwd=tmp_path)  # fmt: skip
    given = run("webhook", "add", "http://127.0.0.1:8080/x", "--secret", "s3cret-s3cret-s3cret",
                "--db", db_url, env=env, cwd=tmp_path)  # fmt: skip
    listed = run("webhook", "list", "--json", "--db", db_url, env=env, cwd=tmp_path)

    assert added.returncode == 0, added.stderr
    document = json.loads(added.stdout)
    assert document["topics"] == ["lead.*", "order.won"]
    assert document["secret"].startswith("whsec_") and len(document["secret"]) > 30
    assert given.returncode == 0, given.stderr
    assert "Secret" not in given.stdout  # a secret the user gave is not echoed
    rows = json.loads(listed.stdout)
    assert [(r["url"], r["topics"], r["active"]) for r in rows] == [
        ("https://hooks.example.cn/crm", ["lead.*", "order.won"], True),
        ("http://127.0.0.1:8080/x", ["*"], True),
    ]
    assert document["secret"] not in listed.stdout

    removed = run("webhook", "remove", str(rows[0]["id"]), "--db", db_url, env=env, cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
    again = run("webhook", "remove", str(rows[0]["id"]), "--db", db_url, env=env, cwd=tmp_path)
    assert_refused(again, f"webhook {rows[0]['id']}", "no such subscription")


@SQLITE_ONLY
def test_bad_webhook_input_is_refused_and_nothing_is_stored(
    db_url: str, engine: Engine, redis_url: str, queue_prefix: str, tmp_path: Path
) -> None:
    # The script prints the error as one line and exits 2 (once here); the other cases run in
    # this process, where the error itself is the outcome.
    env = closeloop_env(redis_url, queue_prefix)
    result = run(
        "webhook", "add", "ftp://files.example.cn/x", "--db", db_url, env=env, cwd=tmp_path
    )
    assert_refused(result, "url: 'ftp://files.example.cn/x' is not an http(s) URL")
    cases: list[tuple[list[str], str]] = [
        (["https://a.cn/x", "--topics", "lead.*,Lead Assigned"], "topics: 'Lead Assigned'"),
        (["https://a.cn/x", "--topics", ","], "topics: give at least one topic"),
        (["https://a.cn/x", "--secret", "short"], "secret: a secret needs at least 16"),
    ]
    for arguments, message in cases:
        outcome = CliRunner().invoke(app, ["webhook", "add", *arguments, "--db", db_url])
        assert isinstance(outcome.exception, Invalid), outcome.output
        assert str(outcome.exception).startswith(message)
    with unit_of_work(engine) as session:
        assert session.query(WebhookSubscription).count() == 0


def make_dead(engine: Engine, url: str, count: int = 2) -> list[int]:
    """``count`` events to ``url``, dispatched, their deliveries dead after 8 attempts."""
    with unit_of_work(engine) as session:
        session.add(WebhookSubscription(url=url, secret="x" * 20, topics=["*"], is_active=True))
        for number in range(count):
            emit(session, "lead.mql", {"lead_id": number})
    with unit_of_work(engine) as session:
        begin_writing(session)
        ids = dispatch_outbox(session, now=utcnow(), limit=10).delivery_ids
        session.execute(
            update(EventDelivery).values(status="dead", attempts=8, last_error="HTTP 500")
        )
    return ids


def status(db_url: str, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    result = run("outbox", "status", "--json", "--db", db_url, env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_outbox_status_and_retry_put_dead_deliveries_back_and_they_are_delivered(
    db_url: str,
    engine: Engine,
    redis_url: str,
    queue_prefix: str,
    tmp_path: Path,
    receiver: Receiver,
) -> None:
    env = closeloop_env(redis_url, queue_prefix, schedule_redrive_seconds=0.3)
    ids = make_dead(engine, receiver.url)
    with unit_of_work(engine) as session:
        emit(session, "lead.mql", {"lead_id": 99})  # not dispatched yet

    assert status(db_url, env, tmp_path) == {
        "undispatched_events": 1,
        "pending": 0,
        "sending": 0,
        "delivered": 0,
        "dead": 2,
    }
    one = run("outbox", "retry", str(ids[0]), "--db", db_url, env=env, cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert "1 dead deliveries back to pending" in one.stdout
    assert statuses(engine) == ["pending", "dead"]
    everything = run("outbox", "retry", "--dead", "--db", db_url, env=env, cwd=tmp_path)
    assert "1 dead deliveries back to pending" in everything.stdout
    assert {d.attempts for d in deliveries(engine)} == {0}

    # SQLite: the server's next redrive sends them; PostgreSQL: they were queued in Redis.
    settings = fast_settings(db_url, redis_url=redis_url, queue_prefix=queue_prefix)
    from closeloop.jobs.schedule import DISPATCH, REDRIVE, PeriodicTask

    schedule = [PeriodicTask(DISPATCH, 0.2, DISPATCH), PeriodicTask(REDRIVE, 0.3, REDRIVE)]
    kind = "memory" if engine.dialect.name == "sqlite" else "redis"
    with running(settings, engine, kind=kind, schedule=schedule):  # type: ignore[arg-type]
        wait_for(lambda: statuses(engine) == ["delivered"] * 3, what="the retried deliveries")
    assert sorted(receiver.event_ids()) == sorted(d.event_id for d in deliveries(engine))


@SQLITE_ONLY
def test_outbox_retry_needs_ids_or_dead(
    db_url: str, redis_url: str, queue_prefix: str, tmp_path: Path
) -> None:
    env = closeloop_env(redis_url, queue_prefix)
    assert_refused(run("outbox", "retry", "--db", db_url, env=env, cwd=tmp_path), "ID: give")
    assert_refused(
        run("outbox", "retry", "3", "--dead", "--db", db_url, env=env, cwd=tmp_path), "not both"
    )


@SQLITE_ONLY
def test_worker_refuses_to_start_without_redis(
    db_url: str, redis_url: str, queue_prefix: str, tmp_path: Path
) -> None:
    env = closeloop_env(redis_url, queue_prefix)
    env["CLOSELOOP_REDIS_URL"] = "redis://127.0.0.1:9/0"

    result = run("worker", "--db", db_url, env=env, cwd=tmp_path)

    assert_refused(result, "cannot reach Redis at redis://127.0.0.1:9/0")
