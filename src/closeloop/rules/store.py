"""Versioned rule sets in the database: the highest version of a kind is in force.

Version 0 is the built-in default each domain ships, in force until someone saves a version.
Every decision records the version it was made under.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closeloop.models import RuleSet
from closeloop.rules.loader import parse_rules

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ActiveRules(Generic[M]):
    version: int
    rules: M


# Validated rules by database and row (its id and when it was saved): a row never changes once
# saved, and validating on every captured lead would cost more than reading the row's id.
_validated: dict[tuple[str, str, int, Any], Any] = {}


_HEADS = "closeloop.rule_heads"


def _heads(session: Session) -> dict[str, Any]:
    """The newest row (id, version, created_at) of every kind, read once per transaction.

    One capture reads the scoring, routing and SLA rules: one statement instead of three, and
    every decision of the transaction is made under the same versions. ``save_rules`` forgets
    them, so a version saved in this transaction is in force at once."""
    transaction = session.get_transaction()
    found = session.info.get(_HEADS)
    if found is not None and transaction is not None and found[0] is transaction:
        return found[1]  # type: ignore[no-any-return]
    newest = (
        select(RuleSet.kind, func.max(RuleSet.version).label("version"))
        .group_by(RuleSet.kind)
        .subquery()
    )
    statement = select(RuleSet.kind, RuleSet.id, RuleSet.version, RuleSet.created_at).join(
        newest, (newest.c.kind == RuleSet.kind) & (newest.c.version == RuleSet.version)
    )
    heads = {row.kind: row for row in session.execute(statement)}
    session.info[_HEADS] = (session.get_transaction(), heads)
    return heads


def active_rules(session: Session, kind: str, schema: type[M], default: M) -> ActiveRules[M]:
    """The rules of ``kind`` in force, or ``default`` as version 0."""
    row = _heads(session).get(kind)
    if row is None:
        return ActiveRules(0, default)
    key = (str(session.get_bind().engine.url), kind, row.id, row.created_at)
    found = _validated.get(key)
    if found is None or not isinstance(found, ActiveRules) or not isinstance(found.rules, schema):
        body = session.scalar(select(RuleSet.body).where(RuleSet.id == row.id))
        found = _validated[key] = ActiveRules(row.version, schema.model_validate(body))
    return found


def save_rules(
    session: Session,
    *,
    kind: str,
    text: str,
    schema: type[M],
    source: str = "rules",
    actor_id: int | None = None,
) -> ActiveRules[M]:
    """Validate ``text`` whole and store it as the next version; invalid text changes nothing."""
    rules = parse_rules(text, schema, source=source)
    top = session.scalar(
        select(func.coalesce(func.max(RuleSet.version), 0)).where(RuleSet.kind == kind)
    )
    version = int(top or 0) + 1
    session.info.pop(_HEADS, None)
    session.add(
        RuleSet(
            kind=kind,
            version=version,
            body=rules.model_dump(mode="json"),
            source_text=text,
            created_by_id=actor_id,
        )
    )
    session.flush()
    return ActiveRules(version, rules)
