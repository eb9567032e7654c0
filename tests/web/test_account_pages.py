"""The accounts list and the account 360° page: what each role sees, figures computed for a page
at once, search and pages, tags, amounts in the locale's format, Chinese."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine

from closeloop.db.engine import unit_of_work
from closeloop.models import Contact, Team
from tests import factories as f
from tests.web.test_inbox_pages import add_lead, add_user, csrf, signed_in

MARCH_20 = datetime(2026, 3, 20, 10, tzinfo=UTC)
MARCH_25 = datetime(2026, 3, 25, 10, tzinfo=UTC)


def build(engine: Engine) -> dict[str, int]:
    """Ana owns Acme (a contact; an open deal of 3,000 USD at Proposal and a won one of 12,000
    USD → order of 12,000, invoice of 5,000 issued 10 Jan 2025 with 2,000 paid: 3,000 owed and
    overdue; a lead last active 25 March 2026) and 30 accounts Zeta 01…30. Bo owns Bo Co."""
    with unit_of_work(engine) as session:
        north = Team(name="North")
        session.add(north)
        session.flush()
        ana = add_user(session, "ana@example.com", "sales_rep", team=north)
        bo = add_user(session, "bo@example.com", "sales_rep", team=north)
        for email, role in (
            ("fay@example.com", "finance"),
            ("mia@example.com", "marketing"),
            ("eve@example.com", "executive"),
            ("sam@example.com", "sdr"),
        ):
            add_user(session, email, role)
        acme = f.account(session, "Acme")
        acme.owner_id, acme.industry, acme.city, acme.employees = ana.id, "Software", "上海", 240
        session.add(
            Contact(account_id=acme.id, full_name="Li Lei", email="li@acme.cn", title="CTO")
        )
        stages = f.pipeline(session)
        lead = add_lead(session, "Li Lei", 60, owner=ana)
        lead.account_id, lead.last_activity_at = acme.id, MARCH_25
        lead.created_at = datetime(2026, 3, 1, 9, tzinfo=UTC)
        open_deal = f.opportunity(
            session, lead=None, account=acme, stage=stages["Proposal"], amount=Decimal("3000")
        )
        won = f.opportunity(
            session, lead=lead, account=acme, stage=stages["Won"], amount=Decimal("12000"),
            closed_at=MARCH_20,
        )  # fmt: skip
        for deal in (open_deal, won):
            deal.owner_id, deal.updated_at = ana.id, MARCH_20
        open_deal.created_at = datetime(2026, 3, 22, 9, tzinfo=UTC)
        won.created_at = datetime(2026, 3, 5, 9, tzinfo=UTC)
        order = f.order(session, won, signed_at=MARCH_20, amount=Decimal("12000"))
        bill = f.paid_invoice(
            session, order, Decimal("5000"), issued_on=date(2025, 1, 10), paid=Decimal("2000")
        )
        for n in range(1, 31):
            f.account(session, f"Zeta {n:02d}").owner_id = ana.id
        bo_co = f.account(session, "Bo Co")
        bo_co.owner_id = bo.id
        session.flush()
        return {"acme": acme.id, "bo_co": bo_co.id, "invoice": bill.id}


def names(html: str) -> list[str]:
    return re.findall(r'<td class="account-name"><strong><a href="/accounts/\d+">([^<]+)</a>', html)


def row(html: str, account_id: int) -> str:
    found = re.search(rf'<tr id="account-{account_id}".*?</tr>', html, re.S)
    assert found, f"no row for account {account_id}"
    return found.group(0)


def test_a_rep_lists_own_accounts_by_name_with_their_figures(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    html = signed_in(db_url, "ana@example.com").get("/accounts").text
    shown = names(html)
    assert shown == ["Acme"] + [f"Zeta {n:02d}" for n in range(1, 25)]  # 25 a page
    acme = row(html, ids["acme"])
    cells = re.findall(r'<td class="num">(.*?)</td>', acme, re.S)
    assert cells[0] == "1"  # the open deal, not the won one
    assert "$12,000.00" in cells[1]  # won revenue, not the open 3,000
    assert "Mar 25, 2026" in acme and "Software" in acme and "Ana" in acme


def test_the_list_pages_and_searches(engine: Engine, db_url: str) -> None:
    build(engine)
    ana = signed_in(db_url, "ana@example.com")
    first = ana.get("/accounts").text
    link = re.search(r'href="(/accounts\?cursor=[^"]+)" rel="next"', first)
    assert link, "no next-page link"
    second = ana.get(link.group(1).replace("&amp;", "&")).text
    assert names(second) == [f"Zeta {n:02d}" for n in range(25, 31)]
    assert 'rel="next"' not in second
    assert names(ana.get("/accounts", params={"q": "zeta 0"}).text) == [
        f"Zeta 0{n}" for n in range(1, 10)
    ]
    assert names(ana.get("/accounts", params={"q": "ACM"}).text) == ["Acme"]
    bad = ana.get("/accounts", params={"cursor": "nonsense"})
    assert bad.status_code == 200 and names(bad.text)[0] == "Acme"


def test_a_rep_gets_404_for_another_reps_account(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    ana = signed_in(db_url, "ana@example.com")
    assert "Bo Co" not in ana.get("/accounts").text
    page = ana.get(f"/accounts/{ids['bo_co']}")
    assert page.status_code == 404 and "Bo Co" not in page.text
    assert ana.get("/accounts/999999").status_code == 404


def test_the_account_page_of_a_rep_shows_deals_not_cash(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    html = signed_in(db_url, "ana@example.com").get(f"/accounts/{ids['acme']}").text
    assert "Li Lei" in html and "li@acme.cn" in html and "CTO" in html
    assert "Proposal" in html and "$3,000.00" in html and "$12,000.00" in html
    assert "Invoices" not in html and "Outstanding" not in html
    whats = re.findall(r'<div class="what">([^<]+)</div>', html)
    assert [re.sub(r"Deal \d+", "Deal", w) for w in whats] == [
        "Opportunity Deal opened",  # 22 March: the open deal
        "Opportunity Deal won",  # 20 March
        "Opportunity Deal opened",  # 5 March: the won deal
        "Lead Li Lei created",  # 1 March
    ]


def test_finance_sees_orders_invoices_payments_and_what_is_owed(
    engine: Engine, db_url: str
) -> None:
    ids = build(engine)
    fay = signed_in(db_url, "fay@example.com")
    listing = fay.get("/accounts").text
    assert "Booked revenue" in listing and "Open opportunities" not in listing
    assert "$12,000.00" in row(listing, ids["acme"])
    html = fay.get(f"/accounts/{ids['acme']}").text
    invoice = re.search(rf'<tr id="invoice-{ids["invoice"]}".*?</tr>', html, re.S)
    assert invoice
    assert "$5,000.00" in invoice.group(0) and "$3,000.00" in invoice.group(0)
    assert "Overdue" in invoice.group(0) and "Feb 9, 2025" in invoice.group(0)
    assert '<strong class="amount-due"><span class="sub">$3,000.00</span>' in html
    assert "Payment received" in html and "Opportunities" not in html
    assert 'action="/accounts/' not in html  # finance reads accounts, does not tag them


def test_marketing_and_sdrs_read_executives_get_403(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    for email in ("mia@example.com", "sam@example.com"):
        client = signed_in(db_url, email)
        assert "Bo Co" in client.get("/accounts").text
        assert client.get(f"/accounts/{ids['acme']}").status_code == 200
    eve = signed_in(db_url, "eve@example.com")
    assert eve.get("/accounts").status_code == 403
    assert eve.get(f"/accounts/{ids['acme']}").status_code == 403


def test_a_tag_added_to_an_account_appears(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    ana = signed_in(db_url, "ana@example.com")
    url = f"/accounts/{ids['acme']}"
    token = csrf(ana.get(url).text)
    answer = ana.post(f"{url}/tags", data={"csrf_token": token, "add": "重点客户"})
    assert answer.status_code == 303 and answer.headers["location"] == url
    assert '<span class="tag">重点客户' in ana.get(url).text
    assert "重点客户" in row(ana.get("/accounts").text, ids["acme"])
    ana.post(f"{url}/tags", data={"csrf_token": token, "remove": "重点客户"})
    assert '<span class="tag">' not in ana.get(url).text
    bo_co = f"/accounts/{ids['bo_co']}/tags"
    assert ana.post(bo_co, data={"csrf_token": token, "add": "x"}).status_code == 404


def test_the_account_pages_in_chinese(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    client = signed_in(db_url, "fay@example.com", language="zh-CN,zh;q=0.9")
    listing = client.get("/accounts").text
    for label in ("客户", "最近活动", "负责人"):
        assert label in listing, label
    html = client.get(f"/accounts/{ids['acme']}").text
    for label in ("时间线", "联系人", "订单", "发票", "回款", "未收款", "逾期"):
        assert label in html, label
    assert "US$3,000.00" in html  # money in the Chinese locale's format
    assert "Timeline" not in html and "Invoices" not in html
