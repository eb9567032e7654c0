"""The settings pages in the browser's place: channel → campaign → content → spend, bad amounts,
scoring rules refused whole or saved as a new version, users and teams, who may open what, CSRF,
and the page in Chinese."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from closeloop.db.engine import unit_of_work
from closeloop.leads.scoring.service import current_rules
from closeloop.models import (
    AuditEntry,
    Campaign,
    Channel,
    Content,
    RuleSet,
    SpendEntry,
    Team,
    User,
)
from closeloop.money import from_minor
from tests.web.test_inbox_pages import add_user, csrf, signed_in


def textarea(html: str) -> str:
    found = re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', html, re.S)
    assert found
    return unescape(found.group(1))


@pytest.fixture
def people(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        north = Team(name="North")
        session.add(north)
        session.flush()
        add_user(session, "ada@example.com", "admin")
        add_user(session, "mia@example.com", "marketing")
        add_user(session, "rex@example.com", "sales_rep", team=north)
        add_user(session, "max@example.com", "sales_manager", team=north)


def post(client: TestClient, path: str, data: dict[str, str], *, page: str | None = None):  # type: ignore[no-untyped-def]
    """Submit a form of ``page`` (default: the path itself) with that page's CSRF token."""
    token = csrf(client.get(page or path).text)
    return client.post(path, data={**data, "csrf_token": token})


def error_next_to(html: str, name: str) -> str:
    """The error message shown right under the field ``name``."""
    found = re.search(rf'name="{name}"[^>]*>.*?<small class="error"[^>]*>(.*?)</small>', html, re.S)
    assert found, f"no error next to {name}"
    return unescape(re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_channel_campaign_content_and_spend_are_listed_and_stored_exactly(
    db_url: str, engine: Engine, people: None
) -> None:
    client = signed_in(db_url, "mia@example.com")
    answer = post(client, "/settings/channels", {"code": "baidu_sem", "name": "Baidu SEM",
                  "kind": "paid_search", "utm_source": "baidu", "utm_medium": "cpc"})  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/settings/channels"
    listed = client.get("/settings/channels").text
    assert "Channel Baidu SEM added." in listed and "<strong>Baidu SEM</strong>" in listed
    with unit_of_work(engine) as session:
        channel_id = session.scalars(select(Channel.id).where(Channel.code == "baidu_sem")).one()

    answer = post(client, "/settings/campaigns", {"channel_id": str(channel_id), "code": "q3",
                  "name": "Q3 launch", "starts_on": "2026-07-01", "ends_on": "2026-09-30",
                  "budget": "50000.50"})  # fmt: skip
    assert answer.status_code == 303
    listed = client.get("/settings/campaigns").text
    assert "Q3 launch" in listed and "$50,000.50" in listed
    with unit_of_work(engine) as session:
        campaign = session.scalars(select(Campaign)).one()
        assert (campaign.channel_id, campaign.budget_minor, campaign.currency) == (
            channel_id, 5_000_050, "USD",
        )  # fmt: skip
        campaign_id = campaign.id

    answer = post(client, "/settings/contents", {"campaign_id": str(campaign_id), "code": "wp1",
                  "name": "CRM white paper", "kind": "white_paper"})  # fmt: skip
    assert answer.status_code == 303
    assert "CRM white paper" in client.get("/settings/contents").text
    with unit_of_work(engine) as session:
        content_id = session.scalars(select(Content.id)).one()

    answer = post(client, "/settings/spend", {"spent_on": "2026-08-03", "amount": "1250.35",
                  "channel_id": str(channel_id), "campaign_id": str(campaign_id),
                  "content_id": str(content_id), "note": "August banner"})  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/settings/spend"
    page = client.get("/settings/spend").text
    assert "Spend of $1,250.35 on Aug 3, 2026 booked." in page
    row = re.search(r'<tr id="spend-\d+">.*?</tr>', page, re.S)
    assert row and "$1,250.35" in row.group(0) and "CRM white paper" in row.group(0)
    with unit_of_work(engine) as session:
        entry = session.scalars(select(SpendEntry)).one()
        assert entry.amount_minor == 125_035
        assert from_minor(entry.amount_minor, entry.currency) == Decimal("1250.35")
        assert (entry.channel_id, entry.campaign_id, entry.content_id) == (
            channel_id, campaign_id, content_id,
        )  # fmt: skip
        audited = session.scalars(
            select(AuditEntry.entity).where(AuditEntry.action == "create", AuditEntry.via == "web")
        ).all()
        assert sorted(audited) == ["campaign", "channel", "content", "spend"]

    # The filters: another day range hides the entry.
    assert "spend-" not in client.get("/settings/spend?from=2026-09-01").text
    assert "spend-" in client.get(f"/settings/spend?channel={channel_id}&to=2026-08-31").text


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("12,3x", "Enter an amount such as 1250.00 (digits and one dot)."),
        ("-5", "Enter zero or more."),
        ("10.005", "USD amounts have at most 2 decimal places"),
    ],
)
def test_a_bad_amount_is_refused_next_to_the_field_with_the_typed_text_kept(
    db_url: str, engine: Engine, people: None, amount: str, message: str
) -> None:
    with unit_of_work(engine) as session:
        channel = Channel(code="seo", name="SEO", kind="seo")
        session.add(channel)
        session.flush()
        channel_id = channel.id
    client = signed_in(db_url, "mia@example.com")
    answer = post(client, "/settings/spend", {"spent_on": "2026-08-03", "amount": amount,
                  "channel_id": str(channel_id), "note": "typed note"})  # fmt: skip
    assert answer.status_code == 422
    assert error_next_to(answer.text, "amount") == message
    assert f'name="amount" value="{amount}"' in answer.text
    assert 'value="typed note"' in answer.text and 'value="2026-08-03"' in answer.text
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(SpendEntry)) == 0


def test_an_invalid_scoring_text_is_refused_whole_and_a_valid_one_is_a_new_version(
    db_url: str, engine: Engine, people: None
) -> None:
    client = signed_in(db_url, "ada@example.com")
    page = client.get("/settings/scoring").text
    assert "built-in default in force" in page
    default = textarea(page)  # the built-in rules as `closeloop scoring show` prints them
    assert default.startswith("mql_threshold: 60\nhalf_life_days: 30.0\n")
    assert default.splitlines()[12:14] == ["company_size:", "- min_employees: 0"]
    v1 = default.replace("mql_threshold: 60", "mql_threshold: 65")

    answer = post(client, "/settings/scoring", {"text": v1})
    assert answer.status_code == 303
    page = client.get("/settings/scoring").text
    assert "Version 1 is in force now." in page
    assert "version 1 in force" in page and "saved by Ada" in page

    # The second band now starts at 5: it overlaps the first, whose list starts on line 14.
    overlapping = v1.replace("- min_employees: 10\n", "- min_employees: 5\n")
    answer = post(client, "/settings/scoring", {"text": overlapping})
    assert answer.status_code == 422
    shown = error_next_to(answer.text, "text")
    assert shown.startswith("Not saved; the version in force stays as it was.")
    assert shown.endswith(
        "company_size: YAML line 14: Value error, size bands 0-9 and 5-49 overlap"
    )
    assert textarea(answer.text) == overlapping  # the typed text is kept
    assert "version 1 in force" in answer.text
    with unit_of_work(engine) as session:
        assert current_rules(session).version == 1
        assert current_rules(session).rules.mql_threshold == 65
        assert session.scalar(select(func.count()).select_from(RuleSet)) == 1

    answer = post(client, "/settings/scoring", {"text": v1.replace(": 65", ": 70")})
    assert answer.status_code == 303
    with unit_of_work(engine) as session:
        assert current_rules(session).version == 2
        assert current_rules(session).rules.mql_threshold == 70
        saved = session.scalars(select(RuleSet).where(RuleSet.version == 2)).one()
        assert saved.source_text == v1.replace(": 65", ": 70")
        ada = session.scalars(select(User.id).where(User.email == "ada@example.com")).one()
        assert saved.created_by_id == ada
        assert session.scalars(
            select(AuditEntry.entity_id).where(AuditEntry.entity == "rule_set")
        ).all() == ["scoring:1", "scoring:2"]


def test_marketing_may_read_the_rules_but_not_save_them(
    db_url: str, engine: Engine, people: None
) -> None:
    client = signed_in(db_url, "mia@example.com")
    page = client.get("/settings/routing").text
    assert "readonly" in page and "Validate and save" not in page
    answer = post(client, "/settings/routing", {"text": "x: 1"})
    assert answer.status_code == 403
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(RuleSet)) == 0


def test_an_admin_creates_a_team_and_a_user_and_deactivates_them(
    db_url: str, engine: Engine, people: None
) -> None:
    client = signed_in(db_url, "ada@example.com")
    answer = post(client, "/settings/teams", {"name": "华东销售", "manager_id": ""})
    assert answer.status_code == 303
    assert "Team 华东销售 added." in client.get("/settings/teams").text
    with unit_of_work(engine) as session:
        team_id = session.scalars(select(Team.id).where(Team.name == "华东销售")).one()

    typed = {"full_name": "Wang Fang", "email": "wang@example.com", "role": "sales_rep",
             "team_id": str(team_id), "password": "short"}  # fmt: skip
    answer = post(client, "/settings/users", typed)
    assert answer.status_code == 422
    assert error_next_to(answer.text, "password") == "at least 10 characters"
    assert 'value="Wang Fang"' in answer.text and "short" not in answer.text

    answer = post(client, "/settings/users", {**typed, "password": "a long enough secret 2"})
    assert answer.status_code == 303
    page = client.get("/settings/users").text
    assert "User Wang Fang added." in page and "a long enough secret 2" not in page
    with unit_of_work(engine) as session:
        wang = session.scalars(select(User).where(User.email == "wang@example.com")).one()
        assert (wang.role, wang.team_id, wang.is_active) == ("sales_rep", team_id, True)
        assert wang.password_hash and "secret" not in wang.password_hash
        wang_id = wang.id

    answer = post(client, f"/settings/users/{wang_id}", {"role": "sdr", "team_id": ""},
                  page="/settings/users")  # fmt: skip
    assert answer.status_code == 303
    answer = post(client, f"/settings/users/{wang_id}", {"active": "0"}, page="/settings/users")
    assert answer.status_code == 303
    assert "Wang Fang is deactivated and signed out." in client.get("/settings/users").text
    with unit_of_work(engine) as session:
        wang = session.get_one(User, wang_id)
        assert (wang.role, wang.team_id, wang.is_active) == ("sdr", None, False)
        actions = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.entity == "user", AuditEntry.entity_id == str(wang_id)
            )
        ).all()
        assert actions == ["create", "update", "update"]


def test_who_sees_which_tabs_and_a_rep_gets_the_403_page(db_url: str, people: None) -> None:
    rep = signed_in(db_url, "rex@example.com")
    answer = rep.get("/settings")
    assert answer.status_code == 403 and "Not allowed" in answer.text
    assert rep.get("/settings/spend").status_code == 403

    tabs = r'<nav class="tabs".*?</nav>'
    marketing = re.search(tabs, signed_in(db_url, "mia@example.com").get("/settings").text, re.S)
    assert marketing and "/settings/spend" in marketing.group(0)
    assert "/settings/users" not in marketing.group(0)
    manager = signed_in(db_url, "max@example.com")
    found = re.search(tabs, manager.get("/settings").text, re.S)
    assert found and "/settings/routing" in found.group(0) and "/settings/users" in found.group(0)
    assert "/settings/channels" not in found.group(0)
    users = manager.get("/settings/users").text  # a manager reads users, may not add one
    assert "Add user" not in users and "rex@example.com" in users


def test_a_form_without_its_csrf_token_is_refused(
    db_url: str, engine: Engine, people: None
) -> None:
    client = signed_in(db_url, "mia@example.com")
    answer = client.post("/settings/channels", data={"code": "x", "name": "X", "kind": "seo"})
    assert answer.status_code == 403
    answer = client.post(
        "/settings/channels",
        data={"code": "x", "name": "X", "kind": "seo", "csrf_token": "forged"},
    )
    assert answer.status_code == 403
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(Channel)) == 0


def test_a_duplicate_code_is_shown_next_to_the_field_in_chinese(
    db_url: str, engine: Engine, people: None
) -> None:
    with unit_of_work(engine) as session:
        session.add(Channel(code="seo", name="SEO", kind="seo"))
    client = signed_in(db_url, "mia@example.com", language="zh-CN")
    page = client.get("/settings").text
    for heading in ("设置", "渠道", "活动", "内容", "投入", "评分规则", "分配规则", "服务时限"):
        assert heading in page, heading
    answer = post(client, "/settings/channels", {"code": "SEO", "name": "Organic", "kind": "seo"})
    assert answer.status_code == 422
    assert error_next_to(answer.text, "code") == "已有代码为 'SEO' 的渠道"
    assert 'value="Organic"' in answer.text
