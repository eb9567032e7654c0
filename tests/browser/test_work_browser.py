"""A working day in a real browser: each role's menu, a rep accepts a lead and claims one from
the pool, the dashboard in Chinese (screenshot), a report exported to Excel."""

from __future__ import annotations

import pytest

from closeloop.models import Role
from tests.browser.conftest import LiveServer, screenshot, sign_in

# The demo's last quarter (it ends on DEMO_END): the screenshots show a period with data.
WITH_DATA = "/dashboard?period=custom&from=2026-08-01&to=2026-10-31"
# The menu each role sees (by its links).
MENUS = {
    Role.SALES_REP: ["/dashboard", "/leads", "/pool", "/accounts"],
    Role.FINANCE: ["/dashboard", "/accounts", "/reports"],
    Role.EXECUTIVE: ["/dashboard", "/reports"],
    Role.ADMIN: ["/dashboard", "/leads", "/pool", "/accounts", "/reports", "/settings"],
}


@pytest.mark.parametrize("role", list(MENUS))
def test_each_role_sees_only_its_menu_and_is_refused_elsewhere(
    page: object, live_server: LiveServer, role: Role
) -> None:
    sign_in(page, live_server, role, next_path="/dashboard")
    links = page.eval_on_selector_all(  # type: ignore[attr-defined]
        ".sidebar nav a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert links == MENUS[role]
    if "/reports" not in MENUS[role]:
        response = page.goto("/reports")  # type: ignore[attr-defined]
        assert response.status == 403


def test_a_rep_accepts_a_lead_from_the_inbox(page: object, live_server: LiveServer) -> None:
    sign_in(page, live_server, Role.SALES_REP, next_path="/leads")
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.locator("form[action$='/accept'] button").first.click()  # type: ignore[attr-defined]
    screenshot(page, "lead-inbox-after-accept")
    # A success, not "already accepted": only leads that can be accepted offer the button.
    flash = page.locator(".flash.ok").inner_text()  # type: ignore[attr-defined]
    assert flash.endswith("accepted."), flash
    screenshot(page, "lead-inbox")


def test_a_rep_claims_from_the_pool(page: object, live_server: LiveServer) -> None:
    sign_in(page, live_server, Role.SALES_REP, next_path="/pool")
    assert "open leads" in page.content()  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.locator("form[action$='/claim'] button").first.click()  # type: ignore[attr-defined]
    flash = page.locator(".flash").inner_text()  # type: ignore[attr-defined]
    assert "is yours now" in flash, flash


def test_the_dashboard_in_chinese_with_its_charts(page: object, live_server: LiveServer) -> None:
    sign_in(page, live_server, Role.EXECUTIVE, next_path=WITH_DATA)
    page.select_option("select[name=locale]", "zh_CN")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]
    page.wait_for_selector("body[data-charts-ready]", state="attached", timeout=30_000)  # type: ignore[attr-defined]
    assert "仪表盘" in page.content()  # type: ignore[attr-defined]
    screenshot(page, "dashboard-zh")


def test_the_dashboard_screenshot_and_a_report_export(
    page: object, live_server: LiveServer
) -> None:
    sign_in(page, live_server, Role.MARKETING, next_path=WITH_DATA)
    page.wait_for_selector("body[data-charts-ready]", state="attached", timeout=30_000)  # type: ignore[attr-defined]
    assert page.locator("#chart-roi").count() == 1  # type: ignore[attr-defined]
    screenshot(page, "dashboard")
    page.goto("/reports")  # type: ignore[attr-defined]
    with page.expect_download() as download:  # type: ignore[attr-defined]
        page.click("a[href*='.xlsx']")  # type: ignore[attr-defined]
    saved = download.value.path()
    with open(saved, "rb") as workbook:
        assert workbook.read(2) == b"PK"  # an XLSX is a zip archive
