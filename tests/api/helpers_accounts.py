"""Shared set-up of the accounts, pipeline, marketing, cash and reports API tests.

Users are inserted directly (no password: these tests sign in with API tokens made by
``closeloop.access.tokens.create_token``); the app runs behind a real TestClient.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.audit import entries_for
from closeloop.access.tokens import create_token
from closeloop.config import Settings
from closeloop.db.engine import session_factory
from closeloop.models import AuditEntry, Role, Team, User
from closeloop.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

Headers = dict[str, str]
_numbers = itertools.count(1)


def make_team(session: Session, name: str) -> Team:
    team = Team(name=name)
    session.add(team)
    session.flush()
    return team


def make_user(
    session: Session, role: Role, *, team: Team | None = None, name: str | None = None
) -> User:
    """An active user of ``role`` (and ``team``), flushed."""
    number = next(_numbers)
    name = name or f"{role.value} {number}"
    user = User(
        email=f"{role.value}{number}@example.com",
        full_name=name,
        role=role.value,
        team_id=team.id if team else None,
    )
    session.add(user)
    session.flush()
    return user


def bearer(session: Session, user: User, scopes: str = "read write") -> Headers:
    """Authorization headers with a new API token acting as ``user``."""
    issued = create_token(
        session, Actor.operator(), user_id=user.id, name=f"test {user.id}", scopes=scopes
    )
    return {"Authorization": f"Bearer {issued.token}"}


@contextmanager
def api_client(db_url: str) -> Iterator[TestClient]:
    """The real app on the test's database, behind a TestClient."""
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        yield client


def audit_of(engine: Engine, entity: str, entity_id: int | str) -> list[AuditEntry]:
    """The audit trail of one record, read in a fresh session."""
    with session_factory(engine)() as session:
        return entries_for(session, entity, entity_id)


def locs(response: Any) -> list[list[str | int]]:
    """The field paths of a 422 answer."""
    assert response.status_code == 422, response.text
    return [item["loc"] for item in response.json()["detail"]]


def ids(response: Any) -> list[int]:
    """The ids of a list answer's items, in order."""
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def all_pages(client: TestClient, url: str, headers: Headers, **query: Any) -> list[list[int]]:
    """The ids of every page of a list, following next_cursor."""
    pages: list[list[int]] = []
    cursor = None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        response = client.get(url, params=params, headers=headers)
        pages.append(ids(response))
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages
