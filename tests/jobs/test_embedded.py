"""Embedded mode: `closeloop serve` on SQLite relays and delivers events in its own process."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx
from sqlalchemy import Engine

from closeloop.config import Settings
from closeloop.db.engine import make_engine, unit_of_work
from closeloop.jobs.embedded import embedded_enabled
from closeloop.jobs.subscriptions import add_subscription
from closeloop.leads.states import transition
from closeloop.models import Lead
from closeloop.web.app import create_app
from tests import factories
from tests.capture.helpers import SQLITE_ONLY, TestClient, _console_script
from tests.jobs.conftest import Receiver, closeloop_env, deliveries, free_port, statuses, wait_for


@SQLITE_ONLY
def test_a_lead_event_reaches_a_webhook_while_serve_runs_on_sqlite(
    db_url: str, engine: Engine, receiver: Receiver, tmp_path: Path
) -> None:
    with unit_of_work(engine) as session:
        add_subscription(session, url=receiver.url, topics=["lead.*"])
        lead_id = factories.lead(session, factories.at(2026, 3, 2, 9)).id
    port = free_port()
    # No Redis here: embedded mode needs none (the URL points nowhere on purpose).
    env = closeloop_env("redis://127.0.0.1:9/0", "unused")
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [_console_script(), "--db", db_url, "serve", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(lambda: _healthy(port), timeout=20, what="serve to answer /healthz")
        with unit_of_work(engine) as session:  # a change to a lead, as any command makes it
            lead = session.get_one(Lead, lead_id)
            transition(session, lead, "working", at=factories.at(2026, 3, 2, 10), reason="call")

        wait_for(lambda: statuses(engine) == ["delivered"], what="the webhook delivery")
    finally:
        server.send_signal(signal.SIGTERM)
        exit_code = server.wait(timeout=20)
    # uvicorn stops gracefully (lifespan shutdown included), then re-raises the SIGTERM.
    output = (tmp_path / "serve.log").read_text()
    assert exit_code in (0, -signal.SIGTERM), output
    assert "Traceback" not in output and "Error" not in output, output

    (request,) = receiver.requests
    assert request.headers["x-closeloop-event"] == "lead.status_changed"
    assert request.document["payload"]["to"] == "working"
    assert request.document["payload"]["lead_id"] == lead_id
    assert deliveries(engine)[0].attempts == 1


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        time.sleep(0.1)
        return False


def test_embedded_mode_is_on_for_sqlite_and_when_a_setting_says_so(db_url: str) -> None:
    engine = make_engine(db_url)
    sqlite = engine.dialect.name == "sqlite"
    assert embedded_enabled(Settings(database_url=db_url, embedded_jobs=None), engine) is sqlite
    assert embedded_enabled(Settings(database_url=db_url, embedded_jobs=True), engine)
    assert not embedded_enabled(Settings(database_url=db_url, embedded_jobs=False), engine)
    engine.dispose()


@SQLITE_ONLY
def test_the_app_starts_and_stops_its_embedded_jobs(db_url: str) -> None:
    app = create_app(Settings(database_url=db_url, embedded_jobs=None))
    with TestClient(app):
        runtime = app.state.jobs
        assert runtime is not None and runtime.scheduler._thread.is_alive()
    assert not runtime.scheduler._thread.is_alive()
    app.state.engine.dispose()
