"""Opportunities: open, change, move between stages, list — within the actor's rights."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Date, func, literal
from sqlalchemy.orm import Session

from closeloop.access.actor import WRITE, Actor
from closeloop.access.audit import record_row_change, snapshot
from closeloop.access.policy import Area, require
from closeloop.access.visibility import get_readable, readable
from closeloop.accounts.service import check_owner, default_owner
from closeloop.db.cursor import Page, paginate
from closeloop.db.types import utcnow
from closeloop.errors import Invalid, InvalidTransition, NotFound
from closeloop.i18n import N_
from closeloop.models import Account, Lead, Opportunity, OpportunityStageChange, Stage, StageOutcome
from closeloop.money import exact_minor, from_minor

FIELDS = (
    "name",
    "account_id",
    "lead_id",
    "pipeline_id",
    "stage_id",
    "owner_id",
    "amount_minor",
    "currency",
    "probability",
    "expected_close",
    "status",
    "closed_at",
    "lost_reason",
    "competitor",
)
NEVER = date(9999, 12, 31)  # sorts opportunities with no expected close last

SORTS: Mapping[str, ColumnElement[Any]] = {
    "id": Opportunity.id,  # type: ignore[dict-item]
    "created_at": Opportunity.created_at,  # type: ignore[dict-item]
    "name": Opportunity.name,  # type: ignore[dict-item]
    "amount": Opportunity.amount_minor,  # type: ignore[dict-item]
    "expected_close": func.coalesce(Opportunity.expected_close, literal(NEVER, Date)),
}


@dataclass(frozen=True)
class OpportunityFilters:
    status: str | None = None
    stage_id: int | None = None
    owner_id: int | None = None
    account_id: int | None = None
    close_from: date | None = None
    close_to: date | None = None


def amount_of(opportunity: Opportunity) -> Any:
    return from_minor(opportunity.amount_minor, opportunity.currency)


def list_opportunities(
    session: Session,
    actor: Actor,
    *,
    filters: OpportunityFilters,
    sort: ColumnElement[Any],
    descending: bool,
    limit: int,
    cursor: str | None,
) -> Page[Opportunity]:
    """One page of the opportunities the actor may see."""
    if filters.close_from and filters.close_to and filters.close_from > filters.close_to:
        raise Invalid(N_("must not be after close_to"), field="query.close_from")
    statement = readable(actor, Opportunity)
    if filters.status:
        statement = statement.where(Opportunity.status == filters.status)
    if filters.stage_id is not None:
        statement = statement.where(Opportunity.stage_id == filters.stage_id)
    if filters.owner_id is not None:
        statement = statement.where(Opportunity.owner_id == filters.owner_id)
    if filters.account_id is not None:
        statement = statement.where(Opportunity.account_id == filters.account_id)
    if filters.close_from:
        statement = statement.where(Opportunity.expected_close >= filters.close_from)
    if filters.close_to:
        statement = statement.where(Opportunity.expected_close <= filters.close_to)
    return paginate(
        session,
        statement,
        sort=sort,
        id_column=Opportunity.id,  # type: ignore[arg-type]
        descending=descending,
        limit=limit,
        cursor=cursor,
    )


def get_opportunity(session: Session, actor: Actor, opportunity_id: int) -> Opportunity:
    return get_readable(session, actor, Opportunity, opportunity_id)


def _stage(session: Session, stage_id: int) -> Stage:
    stage = session.get(Stage, stage_id)
    if stage is None:
        raise Invalid(N_("no stage %(id)s"), field="stage_id", id=stage_id)
    return stage


def open_opportunity(session: Session, actor: Actor, *, values: Mapping[str, Any]) -> Opportunity:
    """A new opportunity with an account the actor may see, at a stage of some pipeline."""
    require(actor, Area.PIPELINE, WRITE)
    try:
        get_readable(session, actor, Account, values["account_id"])
    except NotFound:
        raise Invalid(
            N_("no account %(id)s"), field="account_id", id=values["account_id"]
        ) from None
    if values.get("lead_id") is not None and session.get(Lead, values["lead_id"]) is None:
        raise Invalid(N_("no lead %(lead_id)s"), field="lead_id", lead_id=values["lead_id"])
    stage = _stage(session, values["stage_id"])
    owner_id = values.get("owner_id")
    owner_id = check_owner(session, actor, owner_id) if owner_id else default_owner(actor)
    name = str(values["name"]).strip()
    if not name:
        raise Invalid(N_("an opportunity needs a name"), field="name")
    currency = values["currency"]
    now = utcnow()
    status = StageOutcome(stage.outcome)
    if status == StageOutcome.LOST:
        raise Invalid(N_("an opportunity cannot be opened at a lost stage"), field="stage_id")
    opportunity = Opportunity(
        name=name,
        account_id=values["account_id"],
        lead_id=values.get("lead_id"),
        pipeline_id=stage.pipeline_id,
        stage_id=stage.id,
        owner_id=owner_id,
        amount_minor=exact_minor(values["amount"], currency, field="amount"),
        currency=currency,
        probability=(
            values["probability"] if values.get("probability") is not None else stage.probability
        ),
        expected_close=values.get("expected_close"),
        status=status.value,
        closed_at=now if status != StageOutcome.OPEN else None,
        created_at=now,
    )
    session.add(opportunity)
    session.flush()
    session.add(
        OpportunityStageChange(
            opportunity_id=opportunity.id,
            from_stage_id=None,
            to_stage_id=stage.id,
            changed_at=now,
            changed_by_id=actor.user_id,
        )
    )
    record_row_change(
        session, actor, opportunity, entity="opportunity", fields=FIELDS, action="create"
    )
    return opportunity


def update_opportunity(
    session: Session, actor: Actor, *, opportunity_id: int, changes: Mapping[str, Any]
) -> Opportunity:
    """Change the fields in ``changes``; a stage change goes through the stage rules."""
    opportunity = get_readable(session, actor, Opportunity, opportunity_id)
    require(actor, Area.PIPELINE, WRITE)
    if opportunity.status != StageOutcome.OPEN:
        raise InvalidTransition(
            N_("opportunity %(id)s is %(status)s: it changes no more"),
            id=opportunity.id,
            status=opportunity.status,
        )
    before = snapshot(opportunity, FIELDS)
    if "probability" in changes and changes["probability"] is None:
        raise Invalid(N_("cannot be empty"), field="probability")
    for name in ("lost_reason", "competitor", "expected_close", "probability"):
        if name in changes:
            value = changes[name]
            setattr(opportunity, name, value.strip() or None if isinstance(value, str) else value)
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise Invalid(N_("an opportunity needs a name"), field="name")
        opportunity.name = name
    if "owner_id" in changes:
        opportunity.owner_id = check_owner(session, actor, changes["owner_id"])
    if "currency" in changes or "amount" in changes:
        currency = changes.get("currency") or opportunity.currency
        amount = changes.get("amount")
        if amount is None:
            if "amount" in changes:
                raise Invalid(N_("an opportunity needs an amount"), field="amount")
            amount = amount_of(opportunity)
        opportunity.amount_minor = exact_minor(amount, currency, field="amount")
        opportunity.currency = currency
    if changes.get("stage_id") is not None and changes["stage_id"] != opportunity.stage_id:
        _move(session, actor, opportunity, _stage(session, changes["stage_id"]))
    elif "stage_id" in changes and changes["stage_id"] is None:
        raise Invalid(N_("an opportunity is always at a stage"), field="stage_id")
    record_row_change(
        session,
        actor,
        opportunity,
        entity="opportunity",
        fields=FIELDS,
        action="update",
        before=before,
    )
    return opportunity


def _move(session: Session, actor: Actor, opportunity: Opportunity, stage: Stage) -> None:
    """Move to ``stage`` of the same pipeline; won/lost close it (lost needs a reason)."""
    if stage.pipeline_id != opportunity.pipeline_id:
        raise Invalid(N_("stage %(id)s belongs to another pipeline"), field="stage_id", id=stage.id)
    outcome = StageOutcome(stage.outcome)
    if outcome == StageOutcome.LOST and not opportunity.lost_reason:
        raise Invalid(N_("say why it was lost"), field="lost_reason")
    now = utcnow()
    session.add(
        OpportunityStageChange(
            opportunity_id=opportunity.id,
            from_stage_id=opportunity.stage_id,
            to_stage_id=stage.id,
            changed_at=now,
            changed_by_id=actor.user_id,
        )
    )
    opportunity.stage_id = stage.id
    opportunity.probability = stage.probability
    opportunity.status = outcome.value
    if outcome != StageOutcome.OPEN:
        opportunity.closed_at = now
