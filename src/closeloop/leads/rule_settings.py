"""The rules people edit on the settings pages: scoring, routing and SLAs.

What is in force (version, who saved it, when, the text as written) and saving a new version,
under the access policy and written to the audit log. Validation is each kind's own — the same
functions ``closeloop scoring|routing|sla set`` call — so a page can refuse nothing the command
line would accept, and the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.access.actor import READ, WRITE, Actor
from closeloop.access.audit import record_change
from closeloop.access.policy import Area, require
from closeloop.errors import NotFound
from closeloop.i18n import N_
from closeloop.leads.routing import rules as routing
from closeloop.leads.scoring import rules as scoring
from closeloop.leads.scoring.service import current_rules as current_scoring
from closeloop.leads.sla import rules as sla
from closeloop.models import RuleSet, User
from closeloop.rules.store import save_rules

SOURCE = "YAML"  # what an error's "… line N" refers to: the text box


def _save_scoring(session: Session, text: str, actor_id: int | None, source: str) -> int:
    saved = save_rules(
        session,
        kind=scoring.KIND,
        text=text,
        schema=scoring.ScoringRules,
        source=source,
        actor_id=actor_id,
    )
    return saved.version


def _save_routing(session: Session, text: str, actor_id: int | None, source: str) -> int:
    return routing.save_routing_rules(session, text=text, source=source, actor_id=actor_id).version


def _save_sla(session: Session, text: str, actor_id: int | None, source: str) -> int:
    return sla.save_sla_rules(session, text=text, source=source, actor_id=actor_id).version


def _dumped(rules: object) -> str:
    body = rules.model_dump(mode="json")  # type: ignore[attr-defined]
    return yaml.safe_dump(body, allow_unicode=True, sort_keys=False)


@dataclass(frozen=True)
class RuleKind:
    kind: str
    label: str  # marked for translation
    version_in_force: Callable[[Session], int]
    default_text: Callable[[], str]
    save: Callable[[Session, str, int | None, str], int]


KINDS: dict[str, RuleKind] = {
    "scoring": RuleKind(
        scoring.KIND,
        N_("Scoring rules"),
        lambda session: current_scoring(session).version,
        lambda: _dumped(scoring.DEFAULT),
        _save_scoring,
    ),
    "routing": RuleKind(
        routing.KIND,
        N_("Routing rules"),
        lambda session: routing.current_rules(session).version,
        lambda: routing.DEFAULT_TEXT,
        _save_routing,
    ),
    "sla": RuleKind(
        sla.KIND,
        N_("SLAs"),
        lambda session: sla.active_sla_rules(session).version,
        lambda: _dumped(sla.DEFAULT),
        _save_sla,
    ),
}


@dataclass(frozen=True)
class RuleVersion:
    version: int  # 0 = the built-in default
    saved_by: str | None
    saved_at: datetime | None
    text: str


def _kind(kind: str) -> RuleKind:
    found = KINDS.get(kind)
    if found is None:
        raise NotFound(N_("no rules of kind %(kind)r"), kind=kind)
    return found


def rules_in_force(session: Session, actor: Actor, *, kind: str) -> RuleVersion:
    """The version in force of ``kind``, who saved it and when, and its text as written."""
    require(actor, Area.SETTINGS, READ)
    spec = _kind(kind)
    version = spec.version_in_force(session)
    if version == 0:
        return RuleVersion(0, None, None, spec.default_text())
    return _versions(session, spec.kind, version=version)[0]


def earlier_versions(
    session: Session, actor: Actor, *, kind: str, limit: int = 10
) -> list[RuleVersion]:
    """The newest saved versions of ``kind``, newest first."""
    require(actor, Area.SETTINGS, READ)
    return _versions(session, _kind(kind).kind, limit=limit)


def _versions(
    session: Session, kind: str, *, version: int | None = None, limit: int = 1
) -> list[RuleVersion]:
    statement = (
        select(RuleSet.version, RuleSet.created_at, RuleSet.source_text, User.full_name)
        .outerjoin(User, User.id == RuleSet.created_by_id)
        .where(RuleSet.kind == kind)
        .order_by(RuleSet.version.desc())
        .limit(limit)
    )
    if version is not None:
        statement = statement.where(RuleSet.version == version)
    return [
        RuleVersion(row.version, row.full_name, row.created_at, row.source_text)
        for row in session.execute(statement)
    ]


def save_rules_text(
    session: Session, actor: Actor, *, kind: str, text: str, source: str = SOURCE
) -> int:
    """Validate ``text`` whole and put it in force as the next version; returns the version.
    The settings pages and ``closeloop scoring|routing|sla set`` both save through here.

    Invalid text raises ``Invalid`` (with its line in ``source`` and the reason) and changes
    nothing."""
    require(actor, Area.SETTINGS, WRITE)
    spec = _kind(kind)
    version = spec.save(session, text, actor.user_id, source)
    record_change(
        session,
        actor,
        entity="rule_set",
        entity_id=f"{spec.kind}:{version}",
        action="create",
        after={"kind": spec.kind, "version": version},
    )
    return version
