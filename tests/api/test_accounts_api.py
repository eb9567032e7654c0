"""/api/v1/accounts, /contacts and the account timeline, on a small book of accounts:

team East: rep Ann, rep Bob, manager Meg; team West: rep Wes
Acme      owner Ann
Globex    owner Bob
Initech   no owner
Umbrella  owner Bob, with an opportunity owned by Ann (so Ann sees it too)
Hooli     owner Wes
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from closeloop.access.actor import Actor
from closeloop.accounts.timeline import account_timeline, lead_timeline
from closeloop.db.engine import session_factory, unit_of_work
from closeloop.leads.decisions import DecisionKind, record_decision
from closeloop.models import (
    Account,
    LeadStatus,
    LeadStatusChange,
    OpportunityStageChange,
    Role,
    StageOutcome,
    Touch,
)
from tests import factories as f
from tests.api.helpers_accounts import (
    Headers,
    TestClient,
    all_pages,
    api_client,
    audit_of,
    bearer,
    ids,
    locs,
    make_team,
    make_user,
)
from tests.factories import at


@dataclass
class Book:
    client: TestClient
    engine: Engine
    acme: int
    globex: int
    initech: int
    umbrella: int
    hooli: int
    ann_id: int
    bob_id: int
    admin: Headers
    ann: Headers
    bob: Headers
    meg: Headers
    marketing: Headers
    finance: Headers
    executive: Headers
    sdr: Headers


@pytest.fixture
def book(db_url: str, engine: Engine) -> Iterator[Book]:
    with unit_of_work(engine) as s:
        east, west = make_team(s, "East"), make_team(s, "West")
        ann = make_user(s, Role.SALES_REP, team=east, name="Ann")
        bob = make_user(s, Role.SALES_REP, team=east, name="Bob")
        meg = make_user(s, Role.SALES_MANAGER, team=east, name="Meg")
        wes = make_user(s, Role.SALES_REP, team=west, name="Wes")
        accounts = {}
        for name, owner in (
            ("Acme", ann),
            ("Globex", bob),
            ("Initech", None),
            ("Umbrella", bob),
            ("Hooli", wes),
        ):
            account = Account(name=name, owner_id=owner.id if owner else None)
            s.add(account)
            s.flush()
            accounts[name] = account.id
        stages = f.pipeline(s)
        opportunity = f.opportunity(
            s,
            lead=None,
            account=s.get_one(Account, accounts["Umbrella"]),
            stage=stages["Qualify"],
            amount=Decimal("100.00"),
        )
        opportunity.owner_id = ann.id
        headers = {
            "admin": bearer(s, make_user(s, Role.ADMIN)),
            "ann": bearer(s, ann),
            "bob": bearer(s, bob),
            "meg": bearer(s, meg),
            "marketing": bearer(s, make_user(s, Role.MARKETING)),
            "finance": bearer(s, make_user(s, Role.FINANCE)),
            "executive": bearer(s, make_user(s, Role.EXECUTIVE)),
            "sdr": bearer(s, make_user(s, Role.SDR)),
        }
        ann_id, bob_id = ann.id, bob.id
    with api_client(db_url) as client:
        yield Book(
            client,
            engine,
            accounts["Acme"],
            accounts["Globex"],
            accounts["Initech"],
            accounts["Umbrella"],
            accounts["Hooli"],
            ann_id,
            bob_id,
            **headers,
        )


# ---- lists -------------------------------------------------------------------------------------


def test_admin_pages_through_accounts_by_name(book: Book) -> None:
    pages = all_pages(book.client, "/api/v1/accounts", book.admin, sort="name", limit=2)

    assert pages == [[book.acme, book.globex], [book.hooli, book.initech], [book.umbrella]]


def test_descending_sort_and_the_default_newest_first(book: Book) -> None:
    by_name = book.client.get("/api/v1/accounts?sort=-name", headers=book.admin)
    newest = book.client.get("/api/v1/accounts", headers=book.admin)

    assert ids(by_name) == [book.umbrella, book.initech, book.hooli, book.globex, book.acme]
    assert ids(newest) == [book.hooli, book.umbrella, book.initech, book.globex, book.acme]


def test_filters_by_owner_and_name(book: Book) -> None:
    c, h = book.client, book.admin

    assert ids(c.get(f"/api/v1/accounts?owner_id={book.bob_id}&sort=id", headers=h)) == [
        book.globex,
        book.umbrella,
    ]
    assert ids(c.get("/api/v1/accounts?q=ME&sort=id", headers=h)) == [book.acme]


def test_an_unknown_sort_field_or_a_bad_cursor_is_422_with_the_query_path(book: Book) -> None:
    assert locs(book.client.get("/api/v1/accounts?sort=owner", headers=book.admin)) == [
        ["query", "sort"]
    ]
    assert locs(book.client.get("/api/v1/accounts?cursor=nonsense", headers=book.admin)) == [
        ["query", "cursor"]
    ]


def test_a_rep_sees_own_accounts_and_those_with_own_deals(book: Book) -> None:
    listed = book.client.get("/api/v1/accounts?sort=id", headers=book.ann)

    assert ids(listed) == [book.acme, book.umbrella]
    assert book.client.get(f"/api/v1/accounts/{book.acme}", headers=book.ann).status_code == 200
    other = book.client.get(f"/api/v1/accounts/{book.globex}", headers=book.ann)
    assert other.status_code == 404
    assert "Globex" not in other.text


def test_a_manager_sees_the_team_and_not_the_other_team(book: Book) -> None:
    listed = book.client.get("/api/v1/accounts?sort=id", headers=book.meg)

    assert ids(listed) == [book.acme, book.globex, book.umbrella]
    assert book.client.get(f"/api/v1/accounts/{book.hooli}", headers=book.meg).status_code == 404


def test_who_may_read_and_who_may_change_accounts(book: Book) -> None:
    c = book.client
    assert c.get("/api/v1/accounts", headers=book.executive).status_code == 403
    assert c.get("/api/v1/accounts", headers=book.finance).status_code == 200
    assert c.post("/api/v1/accounts", json={"name": "X"}, headers=book.finance).status_code == 403
    assert c.post("/api/v1/accounts", json={"name": "X"}, headers=book.sdr).status_code == 403
    assert c.get("/api/v1/accounts").status_code == 401


# ---- writes ------------------------------------------------------------------------------------


def test_a_rep_creates_an_account_they_own_and_it_is_audited(book: Book) -> None:
    body = {"name": "  Wayne Enterprises ", "region": "US", "employees": 120}
    created = book.client.post("/api/v1/accounts", json=body, headers=book.ann)

    assert created.status_code == 201, created.text
    account = created.json()
    assert (account["name"], account["owner_id"], account["tags"]) == (
        "Wayne Enterprises",
        book.ann_id,
        [],
    )
    (entry,) = audit_of(book.engine, "account", account["id"])
    assert entry.action == "create"
    assert entry.after is not None and entry.after["owner_id"] == book.ann_id


def test_bad_account_input_is_422_with_field_paths(book: Book) -> None:
    c, h = book.client, book.ann
    assert locs(c.post("/api/v1/accounts", json={"name": "X", "region": "usa"}, headers=h)) == [
        ["body", "region"]
    ]
    assert locs(c.post("/api/v1/accounts", json={"name": ""}, headers=h)) == [["body", "name"]]
    assert locs(
        c.post("/api/v1/accounts", json={"name": "X", "owner_id": book.bob_id}, headers=h)
    ) == [["body", "owner_id"]]
    assert locs(
        c.post("/api/v1/accounts", json={"name": "X", "owner_id": 99999}, headers=book.admin)
    ) == [["body", "owner_id"]]
    too_many = {"name": "X", "employees": 14096182719342264188928}  # what a fuzzer sent
    assert locs(c.post("/api/v1/accounts", json=too_many, headers=h)) == [["body", "employees"]]


def test_patch_changes_only_the_fields_sent_and_audits_before_and_after(book: Book) -> None:
    changed = book.client.patch(
        f"/api/v1/accounts/{book.acme}", json={"city": "上海"}, headers=book.ann
    )

    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["city"]) == ("Acme", "上海")
    (entry,) = audit_of(book.engine, "account", book.acme)
    assert (entry.before, entry.after) == ({"city": None}, {"city": "上海"})


def test_a_rep_cannot_change_someone_elses_account(book: Book) -> None:
    response = book.client.patch(
        f"/api/v1/accounts/{book.globex}", json={"name": "Mine"}, headers=book.ann
    )

    assert response.status_code == 404
    assert audit_of(book.engine, "account", book.globex) == []


def test_tags_replace_the_set_and_filter_the_list(book: Book) -> None:
    put = book.client.put(
        f"/api/v1/accounts/{book.acme}/tags",
        json={"tags": ["VIP", " vip ", "制造业"]},
        headers=book.ann,
    )
    assert put.status_code == 200, put.text
    assert put.json()["tags"] == ["VIP", "制造业"]

    again = book.client.put(
        f"/api/v1/accounts/{book.acme}/tags", json={"tags": ["制造业"]}, headers=book.ann
    )
    assert again.json()["tags"] == ["制造业"]
    tagged = book.client.get("/api/v1/accounts?tag=制造业", headers=book.admin)
    assert ids(tagged) == [book.acme]
    assert book.client.get("/api/v1/accounts?tag=VIP", headers=book.admin).json()["items"] == []
    trail = audit_of(book.engine, "account", book.acme)
    assert [(e.before, e.after) for e in trail] == [
        ({"tags": []}, {"tags": ["VIP", "制造业"]}),
        ({"tags": ["VIP", "制造业"]}, {"tags": ["制造业"]}),
    ]
    blank = book.client.put(
        f"/api/v1/accounts/{book.acme}/tags", json={"tags": ["ok", "  "]}, headers=book.ann
    )
    assert locs(blank) == [["body", "tags", "1"]]


# ---- contacts ----------------------------------------------------------------------------------


def test_contacts_of_visible_accounts_only(book: Book) -> None:
    c = book.client
    mine = c.post(
        "/api/v1/contacts",
        json={"account_id": book.acme, "full_name": "王伟", "email": "Wang.Wei@Acme.cn"},
        headers=book.ann,
    )
    theirs = c.post(
        "/api/v1/contacts",
        json={"account_id": book.globex, "full_name": "Gil"},
        headers=book.bob,
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["email"] == "wang.wei@acme.cn"

    assert ids(c.get("/api/v1/contacts", headers=book.ann)) == [mine.json()["id"]]
    assert ids(c.get(f"/api/v1/contacts?account_id={book.globex}", headers=book.admin)) == [
        theirs.json()["id"]
    ]
    assert c.get(f"/api/v1/contacts/{theirs.json()['id']}", headers=book.ann).status_code == 404
    patched = c.patch(
        f"/api/v1/contacts/{mine.json()['id']}", json={"title": "CTO"}, headers=book.ann
    )
    assert patched.json()["title"] == "CTO"
    assert [e.action for e in audit_of(book.engine, "contact", mine.json()["id"])] == [
        "create",
        "update",
    ]


def test_bad_contacts_are_422_with_field_paths(book: Book) -> None:
    c, h = book.client, book.ann
    assert locs(
        c.post("/api/v1/contacts", json={"account_id": book.globex, "full_name": "X"}, headers=h)
    ) == [["body", "account_id"]]
    assert locs(
        c.post("/api/v1/contacts", json={"full_name": "X", "email": "not-an-email"}, headers=h)
    ) == [["body", "email"]]
    assert locs(
        c.post("/api/v1/contacts", json={"full_name": "X", "account_id": 2**70}, headers=h)
    ) == [["body", "account_id"]]


# ---- the 360° timeline -------------------------------------------------------------------------


@dataclass
class History:
    account_id: int
    lead_id: int


def build_history(engine: Engine) -> History:
    """touch → lead → MQL → assigned → opportunity → stage → won → order → invoice → payment."""
    with unit_of_work(engine) as s:
        admin = make_user(s, Role.ADMIN, name="Ada")
        search = f.channel(s, "Search")
        account = f.account(s, "Initrode")
        lead = f.lead(s, at(2026, 1, 5, 9), channel=search, account=account)
        lead.full_name = "Li Lei"
        s.add(
            Touch(
                lead_id=lead.id,
                channel_id=search.id,
                kind="form_fill",
                occurred_at=at(2026, 1, 5, 8),
            )
        )
        s.add(
            LeadStatusChange(
                lead_id=lead.id,
                from_status=LeadStatus.NEW,
                to_status=LeadStatus.MQL,
                changed_at=at(2026, 1, 5, 10),
            )
        )
        record_decision(
            s,
            lead_id=lead.id,
            kind=DecisionKind.ASSIGNED,
            at=at(2026, 1, 5, 11),
            rule="routing v1",
            detail={"owner_id": admin.id},
        )
        stages = f.pipeline(s, "History")
        deal = f.opportunity(
            s, lead=lead, account=account, stage=stages["Won"], amount=Decimal("5000.00")
        )
        deal.created_at = at(2026, 1, 8)
        deal.closed_at = at(2026, 1, 20)
        deal.status = StageOutcome.WON
        s.add(
            OpportunityStageChange(
                opportunity_id=deal.id,
                from_stage_id=stages["Qualify"].id,
                to_stage_id=stages["Won"].id,
                changed_at=at(2026, 1, 20),
            )
        )
        order = f.order(s, deal, signed_at=at(2026, 1, 21), amount=Decimal("5000.00"))
        bill = f.invoice(s, order, Decimal("5000.00"), issued_on=date(2026, 1, 22))
        money = f.payment(s, account, Decimal("5000.00"), received_at=at(2026, 2, 1))
        f.allocation(s, money, bill, Decimal("5000.00"))
        return History(account.id, lead.id)


EVERYTHING = [
    ("touch", "form fill"),
    ("lead", "Lead Li Lei created"),
    ("status", "new → mql"),
    ("assigned", "assigned"),
    ("opportunity", "Opportunity Deal"),
    ("stage", "Qualify → Won"),
    ("won", "Opportunity Deal"),
    ("order", "Order SO-"),
    ("invoice", "Invoice INV-"),
    ("payment", "Payment received"),
]


def kinds_and_titles(entries: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(e["kind"], e["title"]) for e in entries]


def test_the_account_timeline_is_the_whole_chain_in_time_order(book: Book) -> None:
    history = build_history(book.engine)

    response = book.client.get(
        f"/api/v1/accounts/{history.account_id}/timeline", headers=book.admin
    )

    assert response.status_code == 200, response.text
    entries = response.json()
    assert [kind for kind, _ in kinds_and_titles(entries)] == [k for k, _ in EVERYTHING]
    for (kind, title), (want_kind, want_title) in zip(
        kinds_and_titles(entries), EVERYTHING, strict=True
    ):
        assert kind == want_kind and title.startswith(want_title), (kind, title)
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    by_kind = {e["kind"]: e for e in entries}
    assert by_kind["order"]["detail"] == "5000.00 USD"
    assert by_kind["invoice"]["detail"] == "5000.00 USD; due 2026-02-21"
    assert by_kind["payment"]["ref"].startswith("payment:")
    assert by_kind["assigned"]["detail"].startswith("owner_id=")
    assert by_kind["touch"]["detail"] == "Search"


def test_marketing_sees_the_timeline_without_cash_or_deals(book: Book) -> None:
    history = build_history(book.engine)

    response = book.client.get(
        f"/api/v1/accounts/{history.account_id}/timeline", headers=book.marketing
    )

    assert [kind for kind, _ in kinds_and_titles(response.json())] == [
        "touch",
        "lead",
        "status",
        "assigned",
    ]


def test_finance_sees_the_cash_of_the_timeline(book: Book) -> None:
    history = build_history(book.engine)

    response = book.client.get(
        f"/api/v1/accounts/{history.account_id}/timeline", headers=book.finance
    )

    assert [e["kind"] for e in response.json()] == ["order", "invoice", "payment"]


def test_a_rep_gets_404_for_the_timeline_of_an_account_not_theirs(book: Book) -> None:
    history = build_history(book.engine)

    response = book.client.get(f"/api/v1/accounts/{history.account_id}/timeline", headers=book.ann)

    assert response.status_code == 404


def test_the_lead_timeline_follows_the_lead_into_cash(book: Book) -> None:
    history = build_history(book.engine)
    with session_factory(book.engine)() as session:
        everything = lead_timeline(session, Actor.operator(), history.lead_id)
        marketing = lead_timeline(
            session, Actor(user_id=None, role=Role.MARKETING), history.lead_id
        )
        same_as_account = account_timeline(session, Actor.operator(), history.account_id)

    assert [e.kind for e in everything] == [k for k, _ in EVERYTHING]
    assert everything == same_as_account
    assert [e.kind for e in marketing] == ["touch", "lead", "status", "assigned"]
