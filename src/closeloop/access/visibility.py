"""Row-level visibility: which rows of an area an actor may see.

Every list and every get of leads, opportunities, accounts and contacts goes through these
conditions (``readable``). A row the actor may not see does not exist for them: ``get_readable``
answers ``NotFound`` (404), never its contents.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, exists, false, or_, select, true
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.policy import Area, require
from closeloop.errors import NotFound
from closeloop.i18n import N_
from closeloop.models import Account, Contact, Lead, LeadStatus, Opportunity, Role, User

Row = TypeVar("Row", Lead, Opportunity, Account, Contact)

EVERYTHING = {Role.ADMIN, Role.MARKETING, Role.FINANCE, Role.EXECUTIVE}
OWN_ROWS = {Role.SALES_REP, Role.SDR}


def _team_members(actor: Actor) -> Select[Any]:
    return select(User.id).where(User.team_id == actor.team_id)


def _owned(owner_column: SQLColumnExpression[int | None], actor: Actor) -> ColumnElement[bool]:
    """Own rows for a rep; the team's rows for a manager; everything for the rest."""
    if actor.role in EVERYTHING:
        return true()
    if actor.role in OWN_ROWS:
        return owner_column == actor.user_id if actor.user_id is not None else false()
    if actor.role == Role.SALES_MANAGER and actor.team_id is not None:
        return owner_column.in_(_team_members(actor))
    return false()


def lead_condition(actor: Actor) -> ColumnElement[bool]:
    """Leads: own (rep, SDR) or the team's (manager), and the public pool; all for marketing."""
    if actor.role in EVERYTHING:
        return true()
    in_pool = Lead.status == LeadStatus.POOL.value
    if actor.role == Role.SALES_MANAGER and actor.team_id is not None:
        return or_(Lead.team_id == actor.team_id, _owned(Lead.owner_id, actor), in_pool)
    return or_(_owned(Lead.owner_id, actor), in_pool)


def opportunity_condition(actor: Actor) -> ColumnElement[bool]:
    return _owned(Opportunity.owner_id, actor)


def account_condition(actor: Actor) -> ColumnElement[bool]:
    """Accounts a rep owns or has an opportunity with; the team's for a manager."""
    if actor.role in EVERYTHING or actor.role == Role.SDR:
        # SDRs qualify leads against the whole book of accounts (read-only by policy).
        return true()
    with_own_deal = exists().where(
        Opportunity.account_id == Account.id, opportunity_condition(actor)
    )
    return or_(_owned(Account.owner_id, actor), with_own_deal)


def contact_condition(actor: Actor) -> ColumnElement[bool]:
    if actor.role in EVERYTHING or actor.role == Role.SDR:
        return true()
    return Contact.account_id.in_(select(Account.id).where(account_condition(actor)))


CONDITIONS = {
    Lead: (Area.LEADS, lead_condition),
    Opportunity: (Area.PIPELINE, opportunity_condition),
    Account: (Area.ACCOUNTS, account_condition),
    Contact: (Area.ACCOUNTS, contact_condition),
}

NOT_FOUND = {
    Lead: N_("lead %(id)s not found"),
    Opportunity: N_("opportunity %(id)s not found"),
    Account: N_("account %(id)s not found"),
    Contact: N_("contact %(id)s not found"),
}


def readable(actor: Actor, model: type[Row]) -> Select[Any]:
    """``SELECT model`` limited to the rows the actor may see (403 if not the area at all)."""
    area, condition = CONDITIONS[model]
    require(actor, area)
    return select(model).where(condition(actor))


def get_readable(session: Session, actor: Actor, model: type[Row], row_id: int) -> Row:
    """One row the actor may see, else ``NotFound`` — also when it exists but is not theirs."""
    row: Row | None = session.scalars(readable(actor, model).where(model.id == row_id)).first()
    if row is None:
        raise NotFound(NOT_FOUND[model], field=None, id=row_id)
    return row
