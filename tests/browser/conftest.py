"""Browser tests: a real server (uvicorn on a free loopback port) on a small demo company, driven
by Playwright in Debian's Chromium, headless.

The demo company is generated once per database kind and copied for each test module's server.
Every demo user of the roles below gets the password ``PASSWORD``. Screenshots go to
``test-artifacts/`` (CI keeps that folder).

Chromium is ``$CLOSELOOP_CHROMIUM`` or /usr/bin/chromium (installed by .ci/run with apt). Without
it the browser tests are skipped, except on CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
import uvicorn
from sqlalchemy import select, update

from closeloop.access.passwords import hash_password
from closeloop.config import Settings
from closeloop.db.engine import make_engine, unit_of_work
from closeloop.demo.service import DemoOptions, generate_demo
from closeloop.models import Lead, LeadStatus, Role, User
from closeloop.web.app import create_app

PASSWORD = "browser-test-password"
DEMO_END = date(2026, 10, 31)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class LiveServer:
    url: str
    db_url: str
    users: dict[Role, str]  # one e-mail per role


def _chromium_path() -> str | None:
    path = os.environ.get("CLOSELOOP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).exists() else None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = _chromium_path()
    if executable is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _seed(db_url: str) -> dict[Role, str]:
    """A small demo company; one user per role gets the test password."""
    engine = make_engine(db_url)
    generate_demo(engine, DemoOptions(seed=3, leads=3_000, months=6, end=DEMO_END))
    users: dict[Role, str] = {}
    rep: User | None = None
    with unit_of_work(engine) as session:
        for role in Role:
            user = session.scalars(
                select(User).where(User.role == role.value).order_by(User.id)
            ).first()
            assert user is not None, f"the demo has no {role.value}"
            user.password_hash = hash_password(PASSWORD)
            users[role] = user.email
            if role == Role.SALES_REP:
                user.max_open_leads = None  # room to claim from the pool
                rep = user
        # A few unowned leads in the public pool, whatever the demo's own history left there.
        session.execute(
            update(Lead)
            .where(Lead.id.in_(select(Lead.id).where(Lead.owner_id.is_(None)).limit(5)))
            .values(status=LeadStatus.POOL.value, merged_into_id=None)
        )
        assert rep is not None
        # Three sales-ready leads waiting in the rep's inbox to be accepted.
        waiting = select(Lead.id).where(Lead.owner_id.is_(None)).offset(10).limit(3)
        session.execute(
            update(Lead)
            .where(Lead.id.in_(waiting))
            .values(
                status=LeadStatus.MQL.value,
                owner_id=rep.id,
                team_id=rep.team_id,
                merged_into_id=None,
            )
        )
    engine.dispose()
    return users


@pytest.fixture(scope="module")
def live_server(server: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A running Closeloop on its own copy of the demo database."""
    directory = tmp_path_factory.mktemp("live")
    db_url = server.create(migrated=True, directory=directory)  # type: ignore[attr-defined]
    users = _seed(db_url)
    port = _free_port()
    app = create_app(Settings(database_url=db_url))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", db_url, users)
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()
        server.drop(db_url)  # type: ignore[attr-defined]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest) -> object:
    """Module-scoped twin of the root ``server`` fixture: both database kinds."""
    if request.param == "postgresql" and not os.environ.get("CLOSELOOP_TEST_DATABASE_URL"):
        pytest.skip("CLOSELOOP_TEST_DATABASE_URL is not set")
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def page(browser: object, live_server: LiveServer) -> Iterator[object]:
    """A fresh browser tab (own cookies) in English."""
    context = browser.new_context(  # type: ignore[attr-defined]
        base_url=live_server.url, locale="en-US", viewport={"width": 1400, "height": 900}
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def sign_in(page: object, live_server: LiveServer, role: Role, next_path: str = "/") -> None:
    """Sign in through the form as the demo user of ``role``."""
    page.goto(f"/signin?next={quote(next_path, safe='/')}")  # type: ignore[attr-defined]
    page.fill("input[name=email]", live_server.users[role])  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit].primary")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]


def screenshot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
