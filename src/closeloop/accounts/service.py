"""Accounts and contacts: create, change, tag, list — within what the actor may see and do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, insert, select
from sqlalchemy.orm import Session

from closeloop.access.actor import WRITE, Actor
from closeloop.access.audit import record_change, record_row_change, snapshot
from closeloop.access.policy import Area, require
from closeloop.access.users import active_user, canonical_email
from closeloop.access.visibility import OWN_ROWS, get_readable, readable
from closeloop.db.cursor import Page, paginate
from closeloop.errors import Invalid, NotFound
from closeloop.i18n import N_
from closeloop.models import Account, Contact, Role, Tag, User, account_tags

ACCOUNT_FIELDS = ("name", "industry", "employees", "region", "city", "owner_id")
CONTACT_FIELDS = ("account_id", "full_name", "email", "phone", "title")
MAX_TAG_LENGTH = 60


def check_owner(
    session: Session, actor: Actor, owner_id: int | None, *, field: str = "owner_id"
) -> int | None:
    """The owner a record may be given by this actor.

    An active user; a rep or SDR may only give a record to themselves, a sales manager to
    someone of their team (or themselves)."""
    if owner_id is None:
        return None
    user = active_user(session, owner_id)
    if user is None:
        raise Invalid(N_("no active user %(id)s"), field=field, id=owner_id)
    if actor.role in OWN_ROWS and owner_id != actor.user_id:
        raise Invalid(
            N_("a %(role)s may only give records to themselves"),
            field=field,
            role=actor.role.value,
        )
    if (
        actor.role == Role.SALES_MANAGER
        and owner_id != actor.user_id
        and (actor.team_id is None or user.team_id != actor.team_id)
    ):
        raise Invalid(N_("a sales manager may only give records to their team"), field=field)
    return owner_id


def default_owner(actor: Actor) -> int | None:
    """Who owns what a seller creates without naming an owner: the seller."""
    if actor.role in OWN_ROWS or actor.role == Role.SALES_MANAGER:
        return actor.user_id
    return None


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    return text.strip() or None


# ---- accounts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountFilters:
    owner_id: int | None = None
    industry: str | None = None
    region: str | None = None
    tag: str | None = None
    q: str | None = None  # part of the name, any case


ACCOUNT_SORTS: Mapping[str, ColumnElement[Any]] = {
    "id": Account.id,  # type: ignore[dict-item]
    "name": Account.name,  # type: ignore[dict-item]
    "created_at": Account.created_at,  # type: ignore[dict-item]
}


def list_accounts(
    session: Session,
    actor: Actor,
    *,
    filters: AccountFilters,
    sort: ColumnElement[Any],
    descending: bool,
    limit: int,
    cursor: str | None,
) -> Page[Account]:
    """One page of the accounts the actor may see."""
    statement = readable(actor, Account)
    if filters.owner_id is not None:
        statement = statement.where(Account.owner_id == filters.owner_id)
    if filters.industry:
        statement = statement.where(Account.industry == filters.industry)
    if filters.region:
        statement = statement.where(Account.region == filters.region)
    if filters.q:
        statement = statement.where(func.lower(Account.name).contains(filters.q.strip().lower()))
    if filters.tag:
        statement = statement.where(
            exists().where(
                account_tags.c.account_id == Account.id,
                account_tags.c.tag_id == Tag.id,
                Tag.name == filters.tag.strip(),
            )
        )
    return paginate(
        session,
        statement,
        sort=sort,
        id_column=Account.id,  # type: ignore[arg-type]
        descending=descending,
        limit=limit,
        cursor=cursor,
    )


def tags_of(session: Session, account_ids: Iterable[int]) -> dict[int, list[str]]:
    """The tag names of each account, sorted (one query for a whole page)."""
    ids = list(account_ids)
    found: dict[int, list[str]] = {account_id: [] for account_id in ids}
    if not ids:
        return found
    rows = session.execute(
        select(account_tags.c.account_id, Tag.name)
        .join(Tag, Tag.id == account_tags.c.tag_id)
        .where(account_tags.c.account_id.in_(ids))
        .order_by(Tag.name)
    )
    for account_id, name in rows:
        found[account_id].append(name)
    return found


def get_account(session: Session, actor: Actor, account_id: int) -> Account:
    """One account the actor may see (404 otherwise)."""
    return get_readable(session, actor, Account, account_id)


def create_account(session: Session, actor: Actor, *, values: Mapping[str, Any]) -> Account:
    """A new account; a seller who names no owner owns it."""
    require(actor, Area.ACCOUNTS, WRITE)
    owner_id = values.get("owner_id")
    owner_id = check_owner(session, actor, owner_id) if owner_id else default_owner(actor)
    account = Account(
        name=str(values["name"]).strip(),
        industry=_clean(values.get("industry")),
        employees=values.get("employees"),
        region=values.get("region"),
        city=_clean(values.get("city")),
        owner_id=owner_id,
    )
    if not account.name:
        raise Invalid(N_("an account needs a name"), field="name")
    session.add(account)
    record_row_change(
        session, actor, account, entity="account", fields=ACCOUNT_FIELDS, action="create"
    )
    return account


def update_account(
    session: Session, actor: Actor, *, account_id: int, changes: Mapping[str, Any]
) -> Account:
    """Change the fields in ``changes`` (only those) of an account the actor may see."""
    account = get_readable(session, actor, Account, account_id)
    require(actor, Area.ACCOUNTS, WRITE)
    before = snapshot(account, ACCOUNT_FIELDS)
    for name, value in changes.items():
        if name == "name":
            if value is None or not str(value).strip():
                raise Invalid(N_("an account needs a name"), field="name")
            value = str(value).strip()
        elif name == "owner_id":
            value = check_owner(session, actor, value)
        elif name in ("industry", "city"):
            value = _clean(value)
        setattr(account, name, value)
    record_row_change(
        session,
        actor,
        account,
        entity="account",
        fields=ACCOUNT_FIELDS,
        action="update",
        before=before,
    )
    return account


def add_account_tag(session: Session, actor: Actor, *, account_id: int, name: str) -> list[str]:
    """The account's tags plus ``name`` (the rules of ``set_account_tags`` apply)."""
    now = tags_of(session, [account_id]).get(account_id, [])
    return set_account_tags(session, actor, account_id=account_id, tags=[*now, name])


def remove_account_tag(session: Session, actor: Actor, *, account_id: int, name: str) -> list[str]:
    """The account's tags without ``name`` (any case)."""
    now = tags_of(session, [account_id]).get(account_id, [])
    kept = [t for t in now if t.casefold() != name.casefold()]
    return set_account_tags(session, actor, account_id=account_id, tags=kept)


def set_account_tags(
    session: Session, actor: Actor, *, account_id: int, tags: Sequence[str]
) -> list[str]:
    """Replace the account's tags with ``tags`` (new tag names are created); the sorted result."""
    account = get_readable(session, actor, Account, account_id)
    require(actor, Area.ACCOUNTS, WRITE)
    wanted: dict[str, str] = {}
    for index, raw in enumerate(tags):
        name = " ".join(raw.split())
        if not name:
            raise Invalid(N_("a tag cannot be empty"), field=f"tags.{index}")
        if len(name) > MAX_TAG_LENGTH:
            raise Invalid(
                N_("at most %(max)s characters"), field=f"tags.{index}", max=MAX_TAG_LENGTH
            )
        wanted.setdefault(name.casefold(), name)
    before = tags_of(session, [account.id])[account.id]
    existing = {
        tag.name.casefold(): tag
        for tag in session.scalars(
            select(Tag).where(func.lower(Tag.name).in_([func.lower(k) for k in wanted.values()]))
        )
    }
    tag_ids = []
    for key, name in wanted.items():
        tag = existing.get(key)
        if tag is None:
            tag = Tag(name=name)
            session.add(tag)
            session.flush()
        tag_ids.append(tag.id)
    session.execute(delete(account_tags).where(account_tags.c.account_id == account.id))
    if tag_ids:
        session.execute(
            insert(account_tags), [{"account_id": account.id, "tag_id": i} for i in tag_ids]
        )
    after = tags_of(session, [account.id])[account.id]
    record_change(
        session,
        actor,
        entity="account",
        entity_id=account.id,
        action="update",
        before={"tags": before},
        after={"tags": after},
    )
    return after


# ---- contacts ----------------------------------------------------------------------------------

CONTACT_SORTS: Mapping[str, ColumnElement[Any]] = {
    "id": Contact.id,  # type: ignore[dict-item]
    "full_name": Contact.full_name,  # type: ignore[dict-item]
    "created_at": Contact.created_at,  # type: ignore[dict-item]
}


def list_contacts(
    session: Session,
    actor: Actor,
    *,
    account_id: int | None,
    email: str | None,
    sort: ColumnElement[Any],
    descending: bool,
    limit: int,
    cursor: str | None,
) -> Page[Contact]:
    """One page of the contacts the actor may see."""
    statement = readable(actor, Contact)
    if account_id is not None:
        statement = statement.where(Contact.account_id == account_id)
    if email:
        statement = statement.where(Contact.email == email.strip().lower())
    return paginate(
        session,
        statement,
        sort=sort,
        id_column=Contact.id,  # type: ignore[arg-type]
        descending=descending,
        limit=limit,
        cursor=cursor,
    )


def get_contact(session: Session, actor: Actor, contact_id: int) -> Contact:
    return get_readable(session, actor, Contact, contact_id)


def _contact_value(session: Session, actor: Actor, name: str, value: Any) -> Any:
    if name == "account_id" and value is not None:
        try:
            get_readable(session, actor, Account, value)
        except NotFound:
            raise Invalid(N_("no account %(id)s"), field="account_id", id=value) from None
    if name == "email" and value is not None and str(value).strip():
        return canonical_email(str(value))
    if name == "full_name":
        if value is None or not str(value).strip():
            raise Invalid(N_("a contact needs a name"), field="full_name")
        return str(value).strip()
    if name in ("email", "phone", "title"):
        return _clean(value)
    return value


def create_contact(session: Session, actor: Actor, *, values: Mapping[str, Any]) -> Contact:
    """A new contact, of an account the actor may see (or of none)."""
    require(actor, Area.ACCOUNTS, WRITE)
    contact = Contact(
        **{name: _contact_value(session, actor, name, values.get(name)) for name in CONTACT_FIELDS}
    )
    session.add(contact)
    record_row_change(
        session, actor, contact, entity="contact", fields=CONTACT_FIELDS, action="create"
    )
    return contact


def update_contact(
    session: Session, actor: Actor, *, contact_id: int, changes: Mapping[str, Any]
) -> Contact:
    """Change the fields in ``changes`` of a contact the actor may see."""
    contact = get_readable(session, actor, Contact, contact_id)
    require(actor, Area.ACCOUNTS, WRITE)
    before = snapshot(contact, CONTACT_FIELDS)
    for name, value in changes.items():
        setattr(contact, name, _contact_value(session, actor, name, value))
    record_row_change(
        session,
        actor,
        contact,
        entity="contact",
        fields=CONTACT_FIELDS,
        action="update",
        before=before,
    )
    return contact


def user_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of some users (for timelines)."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())
