"""Values an installation makes once and keeps: the key that signs session cookies."""

from __future__ import annotations

import secrets as random_secrets

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from closeloop.db.engine import unit_of_work
from closeloop.models import InstanceSetting

SESSION_SECRET = "session_secret"


def _insert_if_missing(session: Session, key: str, value: str) -> None:
    table = InstanceSetting.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(key=key, value=value).on_conflict_do_nothing()
    session.execute(statement)


def instance_secret(engine: Engine, key: str = SESSION_SECRET) -> str:
    """The installation's secret ``key``, made on first use; every server process reads the same.

    Two processes starting together both try to insert; the database keeps the first."""
    with unit_of_work(engine) as session:
        _insert_if_missing(session, key, random_secrets.token_urlsafe(48))
        return session.scalars(
            select(InstanceSetting.value).where(InstanceSetting.key == key)
        ).one()
