"""API tokens act as their user within scopes; cursors page through rows without gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.tokens import Unauthenticated, authenticate_token, create_token, revoke_token
from closeloop.db.cursor import paginate
from closeloop.errors import Invalid
from closeloop.models import ApiToken, Lead, Role
from tests import factories

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_a_token_acts_as_its_user_until_revoked(session: Session) -> None:
    user = factories.user(session, "rep@x.test", role=Role.SALES_REP)
    issued = create_token(session, Actor.operator(), user_id=user.id, name="sync", scopes="read")
    stored = session.get(ApiToken, issued.id)
    assert stored is not None and issued.token not in stored.token_hash
    actor = authenticate_token(session, issued.token)
    assert (actor.user_id, actor.role, actor.via, actor.scopes) == (
        user.id,
        Role.SALES_REP,
        "token",
        frozenset({"read"}),
    )
    revoke_token(session, Actor.operator(), token_id=issued.id)
    with pytest.raises(Unauthenticated):
        authenticate_token(session, issued.token)
    with pytest.raises(Unauthenticated):
        authenticate_token(session, "clt_made_up")


def test_unknown_scopes_are_refused(session: Session) -> None:
    user = factories.user(session, "rep@x.test")
    with pytest.raises(Invalid) as error:
        create_token(session, Actor.operator(), user_id=user.id, name="x", scopes="read,admin")
    assert error.value.field == "scopes"


def test_pages_by_cursor_cover_every_row_once_even_with_equal_sort_values(
    session: Session,
) -> None:
    # Seven leads, created at only three distinct times: the id breaks the ties.
    leads = [factories.lead(session, T0 + timedelta(days=i // 3)) for i in range(7)]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = paginate(
            session,
            select(Lead),
            sort=Lead.created_at,
            id_column=Lead.id,
            descending=True,
            limit=3,
            cursor=cursor,
        )
        seen += [lead.id for lead in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    expected = [lead.id for lead in sorted(leads, key=lambda x: (x.created_at, x.id), reverse=True)]
    assert seen == expected
    assert pages == 3


def test_a_forged_cursor_is_a_422_on_the_cursor_parameter(session: Session) -> None:
    with pytest.raises(Invalid) as error:
        paginate(session, select(Lead), sort=Lead.id, id_column=Lead.id, cursor="!!nonsense")
    assert error.value.field == "query.cursor"
