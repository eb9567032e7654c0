"""Signing in and out in the browser: redirects there and back, errors in the user's language,
lock-out, CSRF, and the language switch."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from closeloop.access.actor import Actor
from closeloop.access.users import MAX_FAILED_SIGN_INS, create_user
from closeloop.config import Settings
from closeloop.db.engine import unit_of_work
from closeloop.models import User
from closeloop.web.app import create_app

PASSWORD = "a long enough secret"


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[TestClient]:
    with unit_of_work(engine) as session:
        create_user(
            session,
            Actor.operator(),
            email="ana@example.com",
            full_name="Ana Li",
            role="sales_rep",
            password=PASSWORD,
        )
    with TestClient(create_app(Settings(database_url=db_url)), follow_redirects=False) as c:
        yield c


def csrf_of(client: TestClient, path: str = "/signin") -> str:
    page = client.get(path).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def sign_in(client: TestClient, password: str = PASSWORD, next_url: str = "/leads") -> object:
    return client.post(
        "/signin",
        data={
            "email": "Ana@Example.com",
            "password": password,
            "next": next_url,
            "csrf_token": csrf_of(client),
        },
    )


def test_a_page_without_a_session_sends_the_browser_to_sign_in_and_back(
    client: TestClient,
) -> None:
    home = client.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/signin"
    signed = sign_in(client, next_url="/leads?status=new")
    assert signed.status_code == 303
    assert signed.headers["location"] == "/leads?status=new"
    assert client.get("/").headers["location"] == "/dashboard"


def test_a_wrong_password_keeps_the_email_and_says_so(client: TestClient) -> None:
    answer = sign_in(client, password="not the password")
    assert answer.status_code == 401
    assert "Wrong e-mail or password." in answer.text
    assert 'value="Ana@Example.com"' in answer.text


def test_errors_come_in_chinese_for_a_chinese_browser(client: TestClient) -> None:
    client.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
    answer = sign_in(client, password="not the password")
    assert "邮箱或密码错误。" in answer.text
    assert "登录" in client.get("/signin").text


def test_repeated_failures_lock_the_account_out(client: TestClient, engine: Engine) -> None:
    for _ in range(MAX_FAILED_SIGN_INS):
        sign_in(client, password="guessing again")
    locked = sign_in(client)  # even the right password, for now
    assert locked.status_code == 401
    assert "Too many failed sign-ins" in locked.text
    with unit_of_work(engine) as session:
        user = session.query(User).filter_by(email="ana@example.com").one()
        assert user.locked_until is not None


def test_a_form_without_the_csrf_token_is_refused(client: TestClient) -> None:
    answer = client.post("/signin", data={"email": "ana@example.com", "password": PASSWORD})
    assert answer.status_code == 401
    assert "The form expired" in answer.text
    sign_in(client)
    assert client.post("/signout").status_code == 403  # no token: still signed in
    assert client.get("/").headers["location"] == "/dashboard"


def test_signing_out_ends_the_session(client: TestClient) -> None:
    sign_in(client)
    token = csrf_of(client, "/signin")
    assert client.post("/signout", data={"csrf_token": token}).headers["location"] == "/signin"
    assert client.get("/").headers["location"] == "/signin"


def test_the_language_switch_is_kept_on_the_users_profile(
    client: TestClient, engine: Engine
) -> None:
    sign_in(client)
    token = csrf_of(client, "/signin")
    switched = client.post(
        "/locale", data={"locale": "zh_CN", "next": "https://evil.example/", "csrf_token": token}
    )
    assert switched.headers["location"] == "/"  # never to another site
    with unit_of_work(engine) as session:
        assert session.query(User).filter_by(email="ana@example.com").one().locale == "zh_CN"
