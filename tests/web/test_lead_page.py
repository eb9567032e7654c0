"""The lead 360° page: fields and source, one timeline newest first (touches, status changes,
decisions with their rule, the deal and its cash for who may see it), tags, actions, access."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine, select

from closeloop.db.engine import unit_of_work
from closeloop.models import Lead, LeadDecision, LeadStatus, LeadStatusChange, Team, Touch
from tests import factories as f
from tests.web.test_inbox_pages import add_lead, add_user, csrf, signed_in


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def build(engine: Engine) -> dict[str, int]:
    """Ana's lead Wu Wei (from Search / Spring launch / Pricing ad): a touch on 2 March, scored
    and assigned by rule "routing v3: team North" on 3 March, new → working on 4 March, an
    opportunity won into order SO-1 of 12,000.00 USD, invoiced 5,000.00, paid 2,000.00.
    Bo owns another lead."""
    with unit_of_work(engine) as session:
        north = Team(name="North")
        session.add(north)
        session.flush()
        ana = add_user(session, "ana@example.com", "sales_rep", team=north)
        bo = add_user(session, "bo@example.com", "sales_rep", team=north)
        add_user(session, "fay@example.com", "finance")
        add_user(session, "mia@example.com", "marketing")
        add_user(session, "root@example.com", "admin")
        add_user(session, "eve@example.com", "executive")
        search = f.channel(session, "Search")
        spring = f.campaign(session, search, "Spring launch")
        ad = f.content(session, spring, "Pricing ad")
        lead = add_lead(
            session, "Wu Wei", 72, owner=ana, factors=[["title: director", 25], ["free mail", -5]]
        )
        lead.email, lead.phone, lead.title = "wu@example.cn", "+8613800000000", "Director"
        lead.industry, lead.region = "Software", "CN"
        lead.channel_id, lead.campaign_id, lead.content_id = search.id, spring.id, ad.id
        lead.created_at = at(2, 8)
        account = f.account(session, "Wu Trading")
        lead.account_id = account.id
        session.add(
            Touch(
                lead_id=lead.id, channel_id=search.id, campaign_id=spring.id, content_id=ad.id,
                kind="form_fill", occurred_at=at(2), form_name="demo request",
            )
        )  # fmt: skip
        session.add(
            LeadDecision(
                lead_id=lead.id, kind="assigned", decided_at=at(3), actor_id=None,
                rule="routing v3: team North", rule_version=3, detail={"owner_id": ana.id},
            )
        )  # fmt: skip
        session.add(
            LeadStatusChange(
                lead_id=lead.id, from_status="new", to_status="working", changed_at=at(4),
                changed_by_id=ana.id,
            )
        )  # fmt: skip
        stages = f.pipeline(session)
        deal = f.opportunity(
            session, lead=lead, account=account, stage=stages["Won"], amount=Decimal("12000"),
            closed_at=at(10),
        )  # fmt: skip
        deal.created_at = at(5)
        deal.owner_id = ana.id
        order = f.order(session, deal, signed_at=at(11), amount=Decimal("12000"))
        f.paid_invoice(
            session, order, Decimal("5000"), issued_on=date(2026, 3, 12), paid=Decimal("2000")
        )
        other = add_lead(session, "Bo Bai", 50, owner=bo)
        return {"lead": lead.id, "other": other.id, "account": account.id}


def titles(html: str) -> list[str]:
    return re.findall(r'<div class="what">([^<]+)</div>', html)


def test_the_timeline_is_newest_first_with_the_rule_of_each_decision(
    engine: Engine, db_url: str
) -> None:
    ids = build(engine)
    page = signed_in(db_url, "ana@example.com").get(f"/leads/{ids['lead']}")
    assert page.status_code == 200
    html = page.text
    # A rep sees the deal but not the cash (no cash area).
    assert titles(html) == [
        f"Opportunity Deal {_deal_number(engine, ids)} won",
        f"Opportunity Deal {_deal_number(engine, ids)} opened",
        "new → working",
        "Assigned",
        "form filled in",
        "Lead Wu Wei created",
    ]
    assert "Rule: routing v3: team North" in html
    assert "Search / Spring launch / Pricing ad; form demo request" in html
    assert "Order SO-" not in html
    for text in ("wu@example.cn", "+8613800000000", "Director", "Software", "Spring launch"):
        assert text in html, text
    assert "title: director" in html and "+25" in html
    assert 'href="/accounts/' in html  # Ana may see the account: she has a deal there


def _deal_number(engine: Engine, ids: dict[str, int]) -> str:
    from closeloop.models import Opportunity

    with unit_of_work(engine) as session:
        name = session.scalars(
            select(Opportunity.name).where(Opportunity.lead_id == ids["lead"])
        ).one()
    return name.removeprefix("Deal ")


def test_an_admin_sees_the_order_invoice_and_payment_formatted(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    html = signed_in(db_url, "root@example.com").get(f"/leads/{ids['lead']}").text
    shown = titles(html)
    assert shown[0] == "Payment received"
    assert re.fullmatch(r"Invoice INV-\d+ issued", shown[1])
    assert re.fullmatch(r"Order SO-\d+ signed", shown[2])
    assert shown[3].endswith(" won")
    assert "$12,000.00" in html  # the order, in the locale's format
    assert "$5,000.00; due Apr 11, 2026" in html  # due 30 days after 12 March
    assert "$2,000.00" in html


def test_a_rep_gets_404_for_another_reps_lead(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    ana = signed_in(db_url, "ana@example.com")
    page = ana.get(f"/leads/{ids['other']}")
    assert page.status_code == 404
    assert "Bo Bai" not in page.text
    assert ana.get("/leads/999999").status_code == 404


def test_marketing_reads_the_lead_finance_and_executives_get_403(
    engine: Engine, db_url: str
) -> None:
    ids = build(engine)
    marketing = signed_in(db_url, "mia@example.com").get(f"/leads/{ids['lead']}")
    assert marketing.status_code == 200
    assert "Lead Wu Wei created" in marketing.text
    assert "Opportunity Deal" not in marketing.text  # no pipeline area
    for action in ("/accept", "/contact", "/return", "/release", "/claim"):
        assert f'{action}"' not in marketing.text, action  # a rep's actions, not marketing's
    assert signed_in(db_url, "fay@example.com").get(f"/leads/{ids['lead']}").status_code == 403
    assert signed_in(db_url, "eve@example.com").get(f"/leads/{ids['lead']}").status_code == 403


def test_a_tag_added_appears_and_a_removed_one_goes(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    ana = signed_in(db_url, "ana@example.com")
    url = f"/leads/{ids['lead']}"
    token = csrf(ana.get(url).text)
    answer = ana.post(f"{url}/tags", data={"csrf_token": token, "add": "  hot  deal "})
    assert answer.status_code == 303 and answer.headers["location"] == url
    html = ana.get(url).text
    assert re.search(r'<span class="tag">hot deal', html)
    assert "Tag hot deal added." in html
    ana.post(f"{url}/tags", data={"csrf_token": token, "remove": "HOT DEAL"})
    assert '<span class="tag">' not in ana.get(url).text
    # Without the token nothing changes.
    assert ana.post(f"{url}/tags", data={"add": "x"}).status_code == 403
    assert '<span class="tag">' not in ana.get(url).text


def test_log_contact_from_the_lead_page_lands_on_its_timeline(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    ana = signed_in(db_url, "ana@example.com")
    url = f"/leads/{ids['lead']}"
    token = csrf(ana.get(url).text)
    answer = ana.post(f"{url}/contact", data={"csrf_token": token, "note": "called", "next": url})
    assert answer.status_code == 303 and answer.headers["location"] == url
    html = ana.get(url).text
    assert titles(html)[0] == "Contact logged"
    with unit_of_work(engine) as session:
        assert session.get_one(Lead, ids["lead"]).first_contact_at is not None


def test_release_gives_the_lead_to_the_pool(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    ana = signed_in(db_url, "ana@example.com")
    url = f"/leads/{ids['lead']}"
    answer = ana.post(f"{url}/release", data={"csrf_token": csrf(ana.get(url).text)})
    assert answer.status_code == 303
    with unit_of_work(engine) as session:
        lead = session.get_one(Lead, ids["lead"])
        assert lead.status == LeadStatus.POOL and lead.owner_id is None
    assert "released to the public pool" in ana.get(url).text


def test_the_inbox_links_each_name_to_its_page(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    inbox = signed_in(db_url, "ana@example.com").get("/leads").text
    assert f'<a href="/leads/{ids["lead"]}">Wu Wei</a>' in inbox


def test_the_lead_page_in_chinese(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    client = signed_in(db_url, "ana@example.com", language="zh-CN,zh;q=0.9")
    html = client.get(f"/leads/{ids['lead']}").text
    for label in (
        "时间线",
        "首次触达",
        "标签",
        "渠道",
        "活动",
        "已分配",
        "规则",
        "线索 Wu Wei 已创建",
        "填写表单",  # the form_fill touch
        "表单 demo request",
        "新建 → 跟进中",  # new → working
        "操作人 ana@example.com",
    ):
        assert label in html, label
    assert "Timeline" not in html and "First touch" not in html
