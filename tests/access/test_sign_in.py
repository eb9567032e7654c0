"""Users sign in with a password; five wrong ones lock the account for a while."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.audit import entries_for
from closeloop.access.users import (
    LOCK_OUT_FOR,
    MAX_FAILED_SIGN_INS,
    LockedOut,
    SignInFailed,
    create_user,
    give_admin_a_password,
    set_password,
    sign_in,
)
from closeloop.errors import Conflict, Invalid
from closeloop.models import Role, User

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def _user(session: Session, email: str = "Ana@Example.com", role: str = "sales_rep") -> User:
    created = create_user(
        session, Actor.operator(), email=email, full_name="Ana", role=role, password=PASSWORD
    )
    return created.user


def test_the_right_password_signs_in_and_the_hash_is_not_the_password(session: Session) -> None:
    user = _user(session)
    assert user.password_hash and PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")
    assert sign_in(session, email="ana@example.COM", password=PASSWORD, now=NOW).id == user.id
    assert user.last_sign_in_at == NOW


def test_wrong_password_and_unknown_email_get_the_same_message(session: Session) -> None:
    _user(session)
    with pytest.raises(SignInFailed) as wrong:
        sign_in(session, email="ana@example.com", password="not it at all", now=NOW)
    with pytest.raises(SignInFailed) as unknown:
        sign_in(session, email="bob@example.com", password=PASSWORD, now=NOW)
    assert wrong.value.message == unknown.value.message == "wrong e-mail or password"


def test_five_failures_lock_out_even_the_right_password_until_the_time_passes(
    session: Session,
) -> None:
    user = _user(session)
    for _ in range(MAX_FAILED_SIGN_INS - 1):
        with pytest.raises(SignInFailed):
            sign_in(session, email=user.email, password="guess guess", now=NOW)
    with pytest.raises(LockedOut):
        sign_in(session, email=user.email, password="guess guess", now=NOW)
    with pytest.raises(LockedOut):
        sign_in(session, email=user.email, password=PASSWORD, now=NOW + timedelta(minutes=1))
    later = NOW + LOCK_OUT_FOR + timedelta(seconds=1)
    assert sign_in(session, email=user.email, password=PASSWORD, now=later).id == user.id


def test_a_success_resets_the_failure_count(session: Session) -> None:
    user = _user(session)
    for _ in range(MAX_FAILED_SIGN_INS - 1):
        with pytest.raises(SignInFailed):
            sign_in(session, email=user.email, password="guess guess", now=NOW)
    sign_in(session, email=user.email, password=PASSWORD, now=NOW)
    with pytest.raises(SignInFailed):  # a fresh count: one failure is not a lock-out
        sign_in(session, email=user.email, password="guess guess", now=NOW)


def test_a_deactivated_user_cannot_sign_in(session: Session) -> None:
    user = _user(session)
    user.is_active = False
    with pytest.raises(SignInFailed):
        sign_in(session, email=user.email, password=PASSWORD, now=NOW)


def test_bad_users_are_refused_with_the_field(session: Session) -> None:
    _user(session)
    with pytest.raises(Conflict) as duplicate:
        _user(session, email="ANA@example.com")
    assert duplicate.value.field == "email"
    with pytest.raises(Invalid) as role:
        _user(session, email="x@example.com", role="boss")
    assert role.value.field == "role"
    with pytest.raises(Invalid) as short:
        create_user(
            session,
            Actor.operator(),
            email="y@example.com",
            full_name="Y",
            role="admin",
            password="short",
        )
    assert short.value.field == "password"


def test_creation_and_password_changes_are_audited_without_the_password(session: Session) -> None:
    user = _user(session)
    set_password(session, Actor.operator(), user_id=user.id, password="another long one")
    session.flush()
    trail = entries_for(session, "user", user.id)
    assert [entry.action for entry in trail] == ["create", "set_password"]
    assert trail[0].after and trail[0].after["role"] == "sales_rep"
    assert all("password" not in str(entry.after) for entry in trail)


def test_the_first_admin_without_a_password_gets_one_once(session: Session) -> None:
    session.add(User(email="admin@demo.test", full_name="Admin", role=Role.ADMIN.value))
    session.flush()
    email, password = give_admin_a_password(session) or ("", "")
    assert email == "admin@demo.test"
    assert sign_in(session, email=email, password=password, now=NOW).email == email
    assert give_admin_a_password(session) is None
