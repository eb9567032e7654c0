"""The 360° pages in a real browser: a rep opens a lead from the inbox and reads its timeline;
an admin opens the account with the most history (screenshot)."""

from __future__ import annotations

from sqlalchemy import func, select

from closeloop.db.engine import make_engine, unit_of_work
from closeloop.models import Order
from tests.browser.conftest import LiveServer, screenshot, sign_in


def test_a_rep_opens_a_lead_from_the_inbox_and_sees_its_timeline(
    page: object, live_server: LiveServer
) -> None:
    from closeloop.models import Role

    sign_in(page, live_server, Role.SALES_REP, next_path="/leads")
    link = page.locator("td.lead-name a").first  # type: ignore[attr-defined]
    name = link.inner_text()
    with page.expect_navigation():  # type: ignore[attr-defined]
        link.click()
    assert page.locator(".record-name").inner_text() == name  # type: ignore[attr-defined]
    entries = page.locator(".record-timeline li")  # type: ignore[attr-defined]
    assert entries.count() >= 1
    assert page.locator(".record-timeline li[data-kind=lead]").count() == 1  # type: ignore[attr-defined]
    screenshot(page, "lead-360")


def test_the_account_360_page(page: object, live_server: LiveServer) -> None:
    from closeloop.models import Role

    engine = make_engine(live_server.db_url)
    with unit_of_work(engine) as session:
        account_id = session.execute(
            select(Order.account_id)
            .group_by(Order.account_id)
            .order_by(func.count().desc(), Order.account_id)
            .limit(1)
        ).scalar_one()
    engine.dispose()
    sign_in(page, live_server, Role.ADMIN, next_path=f"/accounts/{account_id}")
    assert page.locator("h2", has_text="Invoices").count() == 1  # type: ignore[attr-defined]
    assert page.locator(".record-timeline li[data-kind=payment]").count() >= 1  # type: ignore[attr-defined]
    screenshot(page, "account-360")
