"""Fixtures for lead capture: channels and campaigns, settings, a session to read with, the app
behind a TestClient and an API key of the webinar channel.

The marketing set-up the capture tests start from (codes as the demo company uses them):

    channel       code          utm source/medium   campaigns: name (code)
    Paid search   paid_search   baidu / cpc         Brand keywords (brand-keywords)
    Webinars      webinar       -                   Spring webinar (spring-webinar), utm spring_2026
    Trade shows   trade_show    -                   China Industrial Fair (china-industrial-fair)
    Referrals     referral      -                   -
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.db.engine import session_factory, unit_of_work
from closeloop.models import Campaign, Channel
from closeloop.web.app import create_app
from tests.capture.helpers import TestClient, issue_key


@dataclass(frozen=True)
class Marketing:
    """Ids of the channels and campaigns of the module docstring."""

    paid_search: int
    webinar: int
    trade_show: int
    referral: int
    brand_keywords: int
    spring_webinar: int
    china_industrial_fair: int


def _channel(session: Session, code: str, name: str, **utm: str) -> Channel:
    row = Channel(code=code, name=name, kind=code, **utm)
    session.add(row)
    session.flush()
    return row


def _campaign(session: Session, channel: Channel, code: str, name: str, **utm: str) -> Campaign:
    row = Campaign(channel_id=channel.id, code=code, name=name, currency="USD", **utm)
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def marketing(engine: Engine) -> Marketing:
    """The channels and campaigns of the module docstring, committed."""
    with unit_of_work(engine) as session:
        search = _channel(
            session, "paid_search", "Paid search", utm_source="baidu", utm_medium="cpc"
        )
        webinar = _channel(session, "webinar", "Webinars")
        show = _channel(session, "trade_show", "Trade shows")
        referral = _channel(session, "referral", "Referrals")
        brand = _campaign(session, search, "brand-keywords", "Brand keywords")
        spring = _campaign(
            session, webinar, "spring-webinar", "Spring webinar", utm_campaign="spring_2026"
        )
        fair = _campaign(session, show, "china-industrial-fair", "China Industrial Fair")
        return Marketing(search.id, webinar.id, show.id, referral.id, brand.id, spring.id, fair.id)


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Settings on this test's database, with the shipped matching thresholds."""
    return Settings(database_url=db_url)


@pytest.fixture
def read(engine: Engine) -> Iterator[Session]:
    """A session for reading what the code under test committed (rolled back at the end)."""
    session = session_factory(engine)()
    yield session
    session.rollback()
    session.close()


# ---- the capture app ---------------------------------------------------------------------------


@pytest.fixture
def client(db_url: str, marketing: Marketing) -> Iterator[TestClient]:
    """The capture app on this test's database, behind a TestClient."""
    app = create_app(Settings(database_url=db_url))
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


@pytest.fixture
def key(engine: Engine, marketing: Marketing) -> str:
    """An API key of the webinar channel."""
    return issue_key(engine, "webinar")
