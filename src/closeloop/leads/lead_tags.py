"""A lead's tags: read, replace, add one, remove one — for an actor who may change the lead,
audited. Tag names are unique in any case; a new name makes a new tag."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.audit import record_change
from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.leads.capture.normalize import clean_text
from closeloop.leads.records import changeable_lead
from closeloop.models import Tag, lead_tags


def tags_of(session: Session, lead_id: int) -> list[str]:
    """The lead's tag names, alphabetical."""
    statement = (
        select(Tag.name)
        .join(lead_tags, lead_tags.c.tag_id == Tag.id)
        .where(lead_tags.c.lead_id == lead_id)
        .order_by(Tag.name)
    )
    return list(session.scalars(statement))


def _insert_missing_tags(session: Session, names: list[str]) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = datetime.now(UTC)
    rows = [{"name": n, "created_at": now, "updated_at": now} for n in names]
    session.execute(dialect.insert(Tag.__table__).values(rows).on_conflict_do_nothing())


def set_tags(session: Session, actor: Actor, *, lead_id: int, names: list[str]) -> list[str]:
    """Replace the lead's tags with ``names`` (made when new; one spelling per name, any case)."""
    lead = changeable_lead(session, actor, lead_id)
    wanted: dict[str, str] = {}
    for index, raw in enumerate(names):
        name = clean_text(raw)
        if not name:
            raise Invalid(N_("a tag needs a name"), field=f"body.tags.{index}")
        if len(name) > 60:
            raise Invalid(N_("at most %(max)s characters"), field=f"body.tags.{index}", max=60)
        wanted.setdefault(name.lower(), name)
    before = tags_of(session, lead.id)

    def existing() -> dict[str, int]:
        if not wanted:
            return {}
        # The database lowers both sides (SQLite only ASCII, PostgreSQL all letters), so a name
        # stored exactly as asked for is always found; Python's lower() keys the answer.
        spelled = [func.lower(name) for name in wanted.values()]
        rows = session.execute(select(Tag.name, Tag.id).where(func.lower(Tag.name).in_(spelled)))
        return {name.lower(): tag_id for name, tag_id in rows}

    found = existing()
    missing = [name for key, name in wanted.items() if key not in found]
    if missing:
        _insert_missing_tags(session, missing)
        found = existing()
    session.execute(delete(lead_tags).where(lead_tags.c.lead_id == lead.id))
    if found:
        rows = [{"lead_id": lead.id, "tag_id": tag_id} for tag_id in sorted(set(found.values()))]
        session.execute(insert(lead_tags), rows)
    after = tags_of(session, lead.id)
    if after != before:
        record_change(
            session,
            actor,
            entity="lead",
            entity_id=lead.id,
            action="tag",
            before={"tags": before},
            after={"tags": after},
        )
    return after


def add_tag(session: Session, actor: Actor, *, lead_id: int, name: str) -> list[str]:
    """The lead's tags plus ``name`` (the rules of ``set_tags`` apply)."""
    return set_tags(session, actor, lead_id=lead_id, names=[*tags_of(session, lead_id), name])


def remove_tag(session: Session, actor: Actor, *, lead_id: int, name: str) -> list[str]:
    """The lead's tags without ``name`` (any case)."""
    kept = [t for t in tags_of(session, lead_id) if t.casefold() != name.casefold()]
    return set_tags(session, actor, lead_id=lead_id, names=kept)
