"""The lead inbox and the public pool in the browser: own leads by score, SLA clocks, accept,
return with a required reason, claim within the cap, 403 for finance, and the page in Chinese."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.users import create_user
from closeloop.config import Settings
from closeloop.db.engine import unit_of_work
from closeloop.db.types import utcnow
from closeloop.models import AuditEntry, Lead, LeadStatus, Team, User
from closeloop.web.app import create_app
from tests import factories as f

PASSWORD = "a long enough secret"


def add_user(
    session: Session,
    email: str,
    role: str,
    *,
    team: Team | None = None,
    cap: int | None = None,
) -> User:
    created = create_user(
        session, Actor.operator(), email=email, full_name=email.split("@")[0].title(),
        role=role, password=PASSWORD, team_id=team.id if team else None, max_open_leads=cap,
    )  # fmt: skip
    return session.get_one(User, created.user.id)


def add_lead(
    session: Session,
    name: str,
    score: int,
    *,
    owner: User | None = None,
    status: LeadStatus = LeadStatus.WORKING,
    due_in: timedelta | None = None,
    factors: list[list[object]] | None = None,
) -> Lead:
    now = utcnow()
    lead = f.lead(session, now - timedelta(days=1), status=status, owner=owner)
    lead.full_name = name
    lead.company = f"{name} Ltd"
    lead.score = score
    lead.score_factors = factors
    lead.team_id = owner.team_id if owner else None
    if due_in is not None:
        lead.sla_kind, lead.sla_due_at = "first_contact", now + due_in
    session.flush()
    return lead


def signed_in(db_url: str, email: str, language: str | None = None) -> TestClient:
    """A browser session signed in through the real /signin form."""
    client = TestClient(create_app(Settings(database_url=db_url)), follow_redirects=False)
    if language:
        client.headers["Accept-Language"] = language
    page = client.get("/signin").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, page
    answer = client.post(
        "/signin",
        data={"email": email, "password": PASSWORD, "next": "/leads", "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.text
    return client


def csrf(html: str) -> str:
    """The page's CSRF token — the same one in every form of the page (each action posts it)."""
    hidden = re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', html)
    tokens = {value for name, value in hidden if name in ("csrf_token", "")}
    assert len(tokens) == 1 and "" not in tokens, f"forms without the CSRF token: {tokens}"
    return tokens.pop()


def names_in_order(html: str) -> list[str]:
    return re.findall(
        r'<td class="lead-name"><strong><a href="/leads/\d+">([^<]+)</a></strong>', html
    )


def row_of(html: str, lead_id: int) -> str:
    found = re.search(rf'<tr id="lead-{lead_id}".*?</tr>', html, re.S)
    assert found, f"no row for lead {lead_id}"
    return found.group(0)


def build(engine: Engine) -> dict[str, int]:
    """Team North: reps Ana (cap 3) and Bo; Ana owns three open leads and one closed one; Bo owns
    one; the pool holds two."""
    with unit_of_work(engine) as session:
        north = Team(name="North")
        session.add(north)
        session.flush()
        ana = add_user(session, "ana@example.com", "sales_rep", team=north, cap=3)
        bo = add_user(session, "bo@example.com", "sales_rep", team=north)
        add_user(session, "fay@example.com", "finance")
        ids = {
            "low": add_lead(session, "Low Li", 20, owner=ana, due_in=timedelta(hours=30)).id,
            "high": add_lead(
                session,
                "High Hu",
                90,
                owner=ana,
                due_in=-timedelta(hours=3, minutes=5),
                factors=[["title: director", 25], ["visited pricing", 15], ["free mail", -5]],
            ).id,
            "mid": add_lead(
                session, "Mid Ma", 55, owner=ana, due_in=timedelta(hours=1, minutes=20, seconds=30)
            ).id,
            "closed": add_lead(session, "Done Du", 99, owner=ana, status=LeadStatus.SQL).id,
            "bos": add_lead(session, "Bo Bai", 70, owner=bo).id,
            "pool_a": add_lead(session, "Pool Pan", 40, status=LeadStatus.POOL).id,
            "pool_b": add_lead(session, "Pool Qi", 80, status=LeadStatus.POOL).id,
            "ana": ana.id,
        }
    return ids


def test_a_rep_sees_own_open_leads_by_score_with_factors_and_clocks(
    engine: Engine, db_url: str
) -> None:
    ids = build(engine)
    client = signed_in(db_url, "ana@example.com")
    page = client.get("/leads")
    assert page.status_code == 200
    # Own open leads only, highest score first; not Bo's, not the SQL one, not the pool.
    assert names_in_order(page.text) == ["High Hu", "Mid Ma", "Low Li"]
    high = row_of(page.text, ids["high"])
    assert "title: director" in high and "+25" in high and "-5" in high
    assert re.search(r'class="badge bad"[^>]*>overdue by 3 h 5 min<', high)
    assert '<div class="muted small">first contact</div>' in high  # the clock's promise, in words
    mid = row_of(page.text, ids["mid"])
    assert re.search(r'class="badge warn"[^>]*>due in 1 h 20 min<', mid)
    low = row_of(page.text, ids["low"])
    assert re.search(r'class="badge ok"[^>]*>due in 1 d 5 h', low)
    # Filters: a minimum score and a search.
    assert names_in_order(client.get("/leads?min_score=50").text) == ["High Hu", "Mid Ma"]
    assert names_in_order(client.get("/leads?q=low").text) == ["Low Li"]
    bad = client.get("/leads?min_score=abc")
    assert "Enter a whole number from 0 to 100." in bad.text


def test_the_inbox_pages_with_a_next_page_link(
    engine: Engine, db_url: str, monkeypatch: object
) -> None:
    build(engine)
    import closeloop.leads.page_parts as pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 2)  # type: ignore[attr-defined]
    client = signed_in(db_url, "ana@example.com")
    first = client.get("/leads").text
    assert names_in_order(first) == ["High Hu", "Mid Ma"]
    link = re.search(r'<a class="button" href="([^"]+)" rel="next">Next page</a>', first)
    assert link
    second = client.get(link.group(1).replace("&amp;", "&")).text
    assert names_in_order(second) == ["Low Li"]
    assert 'rel="next"' not in second
    # A broken page link shows the first page with the error, not an error page.
    broken = client.get("/leads?cursor=garbage")
    assert broken.status_code == 200 and "not a cursor this API gave out" in broken.text
    assert names_in_order(broken.text) == ["High Hu", "Mid Ma"]
    nul = client.get("/leads?q=a%00b")
    assert nul.status_code == 200 and "contains a NUL character" in nul.text


def test_accept_makes_the_lead_sales_accepted_and_says_so(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    client = signed_in(db_url, "ana@example.com")
    page = client.get("/leads").text
    accept_form = f'action="/leads/{ids["mid"]}/accept"'
    assert accept_form in page
    answer = client.post(
        f"/leads/{ids['mid']}/accept", data={"csrf_token": csrf(page), "next": "/leads"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/leads"
    with unit_of_work(engine) as session:
        assert session.get_one(Lead, ids["mid"]).status == LeadStatus.SAL
        audit = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.entity == "lead", AuditEntry.entity_id == str(ids["mid"])
            )
        ).all()
        assert "accept" in audit
    back = client.get("/leads").text
    assert 'class="flash ok"' in back and "Mid Ma accepted." in back
    # Once accepted, the inbox and the lead's page offer no second accept.
    assert accept_form not in back
    assert accept_form not in client.get(f"/leads/{ids['mid']}").text
    # Accepting again is a domain error: a flash, not a crash.
    client.post(f"/leads/{ids['mid']}/accept", data={"csrf_token": csrf(back)})
    again = client.get("/leads").text
    assert 'class="flash error"' in again and "is already accepted" in again


def test_an_action_without_the_csrf_token_changes_nothing(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    client = signed_in(db_url, "ana@example.com")
    answer = client.post(f"/leads/{ids['mid']}/accept", data={"next": "/leads"})
    assert answer.status_code == 403
    with unit_of_work(engine) as session:
        assert session.get_one(Lead, ids["mid"]).status == LeadStatus.WORKING


def test_return_without_a_reason_shows_the_field_error_and_changes_nothing(
    engine: Engine, db_url: str
) -> None:
    ids = build(engine)
    client = signed_in(db_url, "ana@example.com")
    token = csrf(client.get("/leads").text)
    answer = client.post(
        f"/leads/{ids['low']}/return",
        data={"csrf_token": token, "reason": "   ", "next": "/leads?min_score=10"},
    )
    assert answer.status_code == 422
    row = row_of(answer.text, ids["low"])
    assert "a reason is required to return a lead to marketing" in row
    assert 'value="   "' in row  # what was typed is kept
    assert names_in_order(answer.text) == ["High Hu", "Mid Ma", "Low Li"]
    with unit_of_work(engine) as session:
        lead = session.get_one(Lead, ids["low"])
        assert lead.status == LeadStatus.WORKING and lead.owner_id == ids["ana"]
    # In Chinese, the same error in Chinese.
    zh = signed_in(db_url, "ana@example.com", language="zh-CN")
    answer = zh.post(
        f"/leads/{ids['low']}/return",
        data={"csrf_token": csrf(zh.get("/leads").text), "reason": ""},
    )
    assert answer.status_code == 422 and "退回线索给市场部必须填写原因" in answer.text
    # With a reason, the lead goes to nurture.
    done = client.post(
        f"/leads/{ids['low']}/return", data={"csrf_token": token, "reason": "no budget this year"}
    )
    assert done.status_code == 303
    with unit_of_work(engine) as session:
        assert session.get_one(Lead, ids["low"]).status == LeadStatus.NURTURE
    assert "Low Li" not in names_in_order(client.get("/leads").text)


def test_log_contact_stops_the_first_contact_clock(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    client = signed_in(db_url, "ana@example.com")
    token = csrf(client.get("/leads").text)
    answer = client.post(
        f"/leads/{ids['high']}/contact", data={"csrf_token": token, "note": "called, 电话"}
    )
    assert answer.status_code == 303
    page = client.get("/leads").text
    assert "Contact with High Hu logged." in page
    assert "overdue by" not in row_of(page, ids["high"])


def test_claim_from_the_pool_makes_the_lead_theirs_and_the_cap_stops_the_next(
    engine: Engine, db_url: str
) -> None:
    ids = build(engine)
    with unit_of_work(engine) as session:  # Ana holds 3 open leads: set her cap to 4
        session.get_one(User, ids["ana"]).max_open_leads = 4
    client = signed_in(db_url, "ana@example.com")
    pool = client.get("/pool")
    assert pool.status_code == 200
    assert names_in_order(pool.text) == ["Pool Qi", "Pool Pan"]
    assert "You hold 3 of 4 open leads" in pool.text
    answer = client.post(
        f"/pool/{ids['pool_b']}/claim", data={"csrf_token": csrf(pool.text), "next": "/pool"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/pool"
    with unit_of_work(engine) as session:
        lead = session.get_one(Lead, ids["pool_b"])
        assert lead.owner_id == ids["ana"] and lead.status == LeadStatus.WORKING
    after = client.get("/pool").text
    assert "Pool Qi is yours now" in after
    assert "You hold 4 of 4 open leads" in after and names_in_order(after) == ["Pool Pan"]
    assert "Pool Qi" in names_in_order(client.get("/leads").text)
    # At the cap: the claim is refused with the reason, and the lead stays in the pool.
    client.post(f"/pool/{ids['pool_a']}/claim", data={"csrf_token": csrf(after)})
    refused = client.get("/pool").text
    assert 'class="flash error"' in refused
    assert "has 4 open leads, the cap is 4" in refused
    with unit_of_work(engine) as session:
        lead = session.get_one(Lead, ids["pool_a"])
        assert lead.status == LeadStatus.POOL and lead.owner_id is None


def test_finance_gets_403_and_an_unreadable_lead_is_404(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    finance = signed_in(db_url, "fay@example.com")
    assert finance.get("/leads").status_code == 403
    assert finance.get("/pool").status_code == 403
    token = csrf(finance.get("/dashboard").text)
    assert (
        finance.post(f"/pool/{ids['pool_a']}/claim", data={"csrf_token": token}).status_code == 403
    )
    ana = signed_in(db_url, "ana@example.com")
    answer = ana.post(
        f"/leads/{ids['bos']}/accept", data={"csrf_token": csrf(ana.get("/leads").text)}
    )
    assert answer.status_code == 404
    with unit_of_work(engine) as session:
        assert session.get_one(Lead, ids["bos"]).status == LeadStatus.WORKING


def test_a_manager_sees_the_teams_leads(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    with unit_of_work(engine) as session:
        north = session.scalars(select(Team).where(Team.name == "North")).one()
        add_user(session, "max@example.com", "sales_manager", team=north)
    page = signed_in(db_url, "max@example.com").get("/leads").text
    assert names_in_order(page) == ["High Hu", "Bo Bai", "Mid Ma", "Low Li"]
    assert "My team&#39;s open leads" in page
    assert "Another rep&#39;s lead" in row_of(page, ids["bos"])  # a manager does not act as Bo


def test_the_inbox_in_chinese(engine: Engine, db_url: str) -> None:
    ids = build(engine)
    client = signed_in(db_url, "ana@example.com", language="zh-CN,zh;q=0.9")
    page = client.get("/leads").text
    for label in (
        "线索收件箱",
        "我的未结线索",
        "接受",
        "记录联系",
        "退回培育",
        "最低分数",
        "下一页",
    ):
        if label == "下一页":
            continue  # one page only here
        assert label in page, label
    assert "Accept" not in page and "Log contact" not in page
    assert re.search(r"已逾期 3 小时 5 分钟", row_of(page, ids["high"]))
    pool = client.get("/pool").text
    assert "你持有 3 / 3 条未结线索" in pool and "认领" in pool
