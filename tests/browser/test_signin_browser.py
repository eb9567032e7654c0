"""Sign-in in a real browser: the form, a wrong password, the language switch."""

from __future__ import annotations

from closeloop.models import Role
from tests.browser.conftest import PASSWORD, LiveServer, screenshot, sign_in


def test_a_wrong_password_shows_the_error_and_keeps_the_email(
    page: object, live_server: LiveServer
) -> None:
    page.goto("/signin")  # type: ignore[attr-defined]
    page.fill("input[name=email]", live_server.users[Role.SALES_REP])  # type: ignore[attr-defined]
    page.fill("input[name=password]", "not-" + PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit].primary")  # type: ignore[attr-defined]
    alert = page.locator("[role=alert]")  # type: ignore[attr-defined]
    assert alert.inner_text() == "Wrong e-mail or password."
    email = page.input_value("input[name=email]")  # type: ignore[attr-defined]
    assert email == live_server.users[Role.SALES_REP]
    screenshot(page, "signin-error")


def test_signing_in_lands_where_the_user_was_going_and_out_again(
    page: object, live_server: LiveServer
) -> None:
    sign_in(page, live_server, Role.ADMIN, next_path="/dashboard")
    assert page.url.endswith("/dashboard")  # type: ignore[attr-defined]
    page.click("text=Sign out")  # type: ignore[attr-defined]
    page.wait_for_url("**/signin")  # type: ignore[attr-defined]


def test_the_sign_in_page_switches_to_chinese(page: object, live_server: LiveServer) -> None:
    page.goto("/signin")  # type: ignore[attr-defined]
    page.click("button[name=locale][value=zh_CN]")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]
    assert page.locator("button[type=submit].primary").inner_text() == "登录"  # type: ignore[attr-defined]
