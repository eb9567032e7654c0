"""Fixtures for the REST API tests: the real app on this test's database, and callers of each
role, signed in with a Bearer token (``client_as``) or a session cookie (``sign_in``).

    rep = client_as("sales_rep", team="East")
    rep.get("/api/v1/leads").json()
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from sqlalchemy import Engine, select

from closeloop.access.actor import Actor
from closeloop.access.passwords import hash_password
from closeloop.access.tokens import create_token
from closeloop.config import Settings
from closeloop.db.engine import unit_of_work
from closeloop.models import Team, User
from closeloop.web.app import create_app

with warnings.catch_warnings():  # Starlette's notice that it prefers httpx2 is not about us
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


@dataclass
class Caller:
    """A user of some role and a client that sends their Bearer token on every request."""

    user_id: int
    email: str
    role: str
    team_id: int | None
    token: str
    client: TestClient

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        return self.client.patch(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.client.put(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    """The real app on this test's database (no background jobs)."""
    with TestClient(create_app(Settings(database_url=db_url))) as test_client:
        yield test_client


def team_id(engine: Engine, name: str) -> int:
    """The id of the team ``name``, made if missing."""
    with unit_of_work(engine) as session:
        found = session.scalars(select(Team.id).where(Team.name == name)).first()
        if found is None:
            team = Team(name=name)
            session.add(team)
            session.flush()
            found = team.id
        return int(found)


MakeCaller = Callable[..., Caller]


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def client_as(client: TestClient, engine: Engine) -> MakeCaller:
    """``client_as(role, team=None, scopes="read write", max_open_leads=None, email=None)``:
    a new user of that role (and team), with a password and a token of those scopes."""

    def make(
        role: str,
        *,
        team: str | None = None,
        scopes: str = "read write",
        max_open_leads: int | None = None,
        email: str | None = None,
    ) -> Caller:
        number = next(_numbers)
        team_key = team_id(engine, team) if team else None
        with unit_of_work(engine) as session:
            # A row like create_user's, with the password hashed once per run: argon2 is slow on
            # purpose, and a test makes several users (create_user is tested in tests/access).
            user = User(
                email=email or f"{role.replace('_', '-')}{number}@example.com",
                full_name=f"{role} {number}",
                role=role,
                team_id=team_key,
                max_open_leads=max_open_leads,
                password_hash=password_hash(),
            )
            session.add(user)
            session.flush()
            issued = create_token(
                session, Actor.operator(), user_id=user.id, name="tests", scopes=scopes
            )
            caller = Caller(user.id, user.email, role, team_key, issued.token, client)
        return caller

    return make
