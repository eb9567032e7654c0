"""Settings in a real browser: an admin books spend through the form and finds it in the list
(screenshot of the settings page for test-artifacts/)."""

from __future__ import annotations

from sqlalchemy import select

from closeloop.db.engine import make_engine, unit_of_work
from closeloop.models import Role, SpendEntry
from tests.browser.conftest import LiveServer, screenshot, sign_in


def test_an_admin_books_spend_and_sees_it_listed(page: object, live_server: LiveServer) -> None:
    sign_in(page, live_server, Role.ADMIN, next_path="/settings")
    screenshot(page, "settings")
    page.click("nav.tabs a[href='/settings/spend']")  # type: ignore[attr-defined]
    page.fill("input[name=spent_on]", "2026-10-30")  # type: ignore[attr-defined]
    page.fill("input[name=amount]", "4321.09")  # type: ignore[attr-defined]
    page.fill("input[name=note]", "Browser test booth")  # type: ignore[attr-defined]
    channel = page.locator("select[name=channel_id] option").first  # type: ignore[attr-defined]
    channel_name = channel.inner_text().strip()
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.click("form[action='/settings/spend'] button.primary")  # type: ignore[attr-defined]
    assert "booked" in page.locator(".flash").inner_text()  # type: ignore[attr-defined]
    row = page.locator("table.spend tr", has_text="Browser test booth")  # type: ignore[attr-defined]
    text = row.inner_text()
    assert "$4,321.09" in text and channel_name in text and "Oct 30, 2026" in text
    screenshot(page, "settings-spend")
    engine = make_engine(live_server.db_url)
    try:
        with unit_of_work(engine) as session:
            entry = session.scalars(
                select(SpendEntry).where(SpendEntry.note == "Browser test booth")
            ).one()
            assert entry.amount_minor == 432_109
    finally:
        engine.dispose()
