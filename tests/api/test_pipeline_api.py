"""/api/v1/opportunities on a small pipeline (Qualify 10 %, Proposal 50 %, Won, Lost):

O1  Acme    Ann  Qualify   1,000.00 USD  close 2026-03-10
O2  Acme    Ann  Proposal  5,000.00 USD  close 2026-02-01
O3  Globex  Bob  Proposal  2,500.00 USD  no expected close
O4  Globex  Bob  Won       9,000.00 USD  close 2026-01-15
O5  Hooli   Wes  Qualify     750.00 USD  close 2026-02-20   (Wes is in another team)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from closeloop.db.engine import session_factory, unit_of_work
from closeloop.models import Opportunity, OpportunityStageChange, Role
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


@dataclass
class Deals:
    client: TestClient
    engine: Engine
    o: dict[int, int]  # O-number → id
    stage: dict[str, int]
    acme: int
    globex: int
    ann_id: int
    bob_id: int
    admin: Headers
    ann: Headers
    meg: Headers
    finance: Headers
    marketing: Headers
    executive: Headers


@pytest.fixture
def deals(db_url: str, engine: Engine) -> Iterator[Deals]:
    with unit_of_work(engine) as s:
        east, west = make_team(s, "East"), make_team(s, "West")
        ann = make_user(s, Role.SALES_REP, team=east)
        bob = make_user(s, Role.SALES_REP, team=east)
        wes = make_user(s, Role.SALES_REP, team=west)
        meg = make_user(s, Role.SALES_MANAGER, team=east)
        stages = f.pipeline(s)
        acme, globex, hooli = f.account(s, "Acme"), f.account(s, "Globex"), f.account(s, "Hooli")
        acme.owner_id, globex.owner_id, hooli.owner_id = ann.id, bob.id, wes.id
        o = {}
        for number, (account, owner, stage, amount, close) in enumerate(
            (
                (acme, ann, "Qualify", "1000.00", date(2026, 3, 10)),
                (acme, ann, "Proposal", "5000.00", date(2026, 2, 1)),
                (globex, bob, "Proposal", "2500.00", None),
                (globex, bob, "Won", "9000.00", date(2026, 1, 15)),
                (hooli, wes, "Qualify", "750.00", date(2026, 2, 20)),
            ),
            start=1,
        ):
            row = f.opportunity(
                s, lead=None, account=account, stage=stages[stage], amount=Decimal(amount)
            )
            row.owner_id, row.expected_close = owner.id, close
            o[number] = row.id
        headers = {
            "admin": bearer(s, make_user(s, Role.ADMIN)),
            "ann": bearer(s, ann),
            "meg": bearer(s, meg),
            "finance": bearer(s, make_user(s, Role.FINANCE)),
            "marketing": bearer(s, make_user(s, Role.MARKETING)),
            "executive": bearer(s, make_user(s, Role.EXECUTIVE)),
        }
        stage_ids = {name: stage.id for name, stage in stages.items()}
        acme_id, globex_id, ann_id, bob_id = acme.id, globex.id, ann.id, bob.id
    with api_client(db_url) as client:
        yield Deals(client, engine, o, stage_ids, acme_id, globex_id, ann_id, bob_id, **headers)


URL = "/api/v1/opportunities"


def test_the_list_is_sorted_and_paged_by_expected_close_with_no_date_last(deals: Deals) -> None:
    o = deals.o
    pages = all_pages(deals.client, URL, deals.admin, sort="expected_close", limit=2)

    assert pages == [[o[4], o[2]], [o[5], o[1]], [o[3]]]
    descending = deals.client.get(f"{URL}?sort=-amount", headers=deals.admin)
    assert ids(descending) == [o[4], o[2], o[3], o[1], o[5]]


def test_filters(deals: Deals) -> None:
    c, h, o = deals.client, deals.admin, deals.o

    assert ids(c.get(f"{URL}?status=won", headers=h)) == [o[4]]
    assert ids(c.get(f"{URL}?stage_id={deals.stage['Proposal']}&sort=id", headers=h)) == [
        o[2],
        o[3],
    ]
    assert ids(c.get(f"{URL}?owner_id={deals.bob_id}&sort=id", headers=h)) == [o[3], o[4]]
    assert ids(c.get(f"{URL}?account_id={deals.acme}&sort=id", headers=h)) == [o[1], o[2]]
    in_february = c.get(f"{URL}?close_from=2026-02-01&close_to=2026-02-28&sort=id", headers=h)
    assert ids(in_february) == [o[2], o[5]]
    assert locs(c.get(f"{URL}?status=maybe", headers=h)) == [["query", "status"]]
    assert locs(c.get(f"{URL}?close_from=2026-03-01&close_to=2026-02-01", headers=h)) == [
        ["query", "close_from"]
    ]


def test_money_is_a_decimal_string_with_its_currency(deals: Deals) -> None:
    body = deals.client.get(f"{URL}/{deals.o[2]}", headers=deals.admin).json()

    assert (body["amount"], body["currency"], body["probability"]) == ("5000.00", "USD", 50)


def test_a_rep_sees_own_opportunities_only(deals: Deals) -> None:
    o = deals.o
    assert ids(deals.client.get(f"{URL}?sort=id", headers=deals.ann)) == [o[1], o[2]]
    assert deals.client.get(f"{URL}/{o[3]}", headers=deals.ann).status_code == 404


def test_a_manager_sees_the_team(deals: Deals) -> None:
    o = deals.o
    assert ids(deals.client.get(f"{URL}?sort=id", headers=deals.meg)) == [o[1], o[2], o[3], o[4]]
    assert deals.client.get(f"{URL}/{o[5]}", headers=deals.meg).status_code == 404


def test_finance_marketing_and_executives_stay_out_of_the_pipeline(deals: Deals) -> None:
    body = {
        "name": "X",
        "account_id": deals.acme,
        "stage_id": deals.stage["Qualify"],
        "amount": "1.00",
        "currency": "USD",
    }
    for headers in (deals.finance, deals.marketing, deals.executive):
        assert deals.client.get(URL, headers=headers).status_code == 403
        assert deals.client.post(URL, json=body, headers=headers).status_code == 403
        assert (
            deals.client.patch(f"{URL}/{deals.o[1]}", json={"name": "Y"}, headers=headers)
        ).status_code == 403


def test_a_rep_opens_an_opportunity_they_own_at_the_stages_probability(deals: Deals) -> None:
    body = {
        "name": "Acme expansion",
        "account_id": deals.acme,
        "stage_id": deals.stage["Qualify"],
        "amount": "12500.50",
        "currency": "USD",
        "expected_close": "2026-06-30",
    }
    created = deals.client.post(URL, json=body, headers=deals.ann)

    assert created.status_code == 201, created.text
    out = created.json()
    assert (out["amount"], out["owner_id"], out["probability"], out["status"]) == (
        "12500.50",
        deals.ann_id,
        10,
        "open",
    )
    with session_factory(deals.engine)() as session:
        changes = session.scalars(
            select(OpportunityStageChange).where(OpportunityStageChange.opportunity_id == out["id"])
        ).all()
        assert [(c.from_stage_id, c.to_stage_id) for c in changes] == [
            (None, deals.stage["Qualify"])
        ]
    (entry,) = audit_of(deals.engine, "opportunity", out["id"])
    assert entry.after is not None and entry.after["amount_minor"] == 1250050


def test_bad_opportunities_are_422_with_field_paths(deals: Deals) -> None:
    good = {
        "name": "Deal",
        "account_id": deals.acme,
        "stage_id": deals.stage["Qualify"],
        "amount": "10.00",
        "currency": "USD",
    }
    for change, path in (
        ({"amount": "-5"}, ["body", "amount"]),
        ({"amount": "10.005"}, ["body", "amount"]),
        ({"currency": "usd"}, ["body", "currency"]),
        ({"account_id": deals.globex}, ["body", "account_id"]),  # not Ann's
        ({"stage_id": 99999}, ["body", "stage_id"]),
        ({"owner_id": deals.bob_id}, ["body", "owner_id"]),
        ({"expected_close": "2026-02-30"}, ["body", "expected_close"]),
        ({"stage_id": deals.stage["Lost"]}, ["body", "stage_id"]),
    ):
        response = deals.client.post(URL, json={**good, **change}, headers=deals.ann)
        assert locs(response) == [path], change
    # What a fuzzer sends to a change: a probability taken away, an owner id past the range.
    url = f"{URL}/{deals.o[1]}"
    for change, path in (
        ({"probability": None}, ["body", "probability"]),
        ({"owner_id": 2**70}, ["body", "owner_id"]),
    ):
        response = deals.client.patch(url, json=change, headers=deals.ann)
        assert locs(response) == [path], change


def test_moving_through_the_stages_records_them_and_lost_closes_it(deals: Deals) -> None:
    url = f"{URL}/{deals.o[1]}"
    c, h = deals.client, deals.ann

    moved = c.patch(url, json={"stage_id": deals.stage["Proposal"]}, headers=h)
    assert (moved.json()["probability"], moved.json()["status"]) == (50, "open")
    assert locs(c.patch(url, json={"stage_id": deals.stage["Lost"]}, headers=h)) == [
        ["body", "lost_reason"]
    ]
    lost = c.patch(
        url,
        json={"stage_id": deals.stage["Lost"], "lost_reason": "price", "competitor": "Initech"},
        headers=h,
    )
    assert lost.status_code == 200, lost.text
    assert (lost.json()["status"], lost.json()["probability"]) == ("lost", 0)
    assert lost.json()["closed_at"] is not None

    again = c.patch(url, json={"name": "Revived"}, headers=h)
    assert again.status_code == 409
    with session_factory(deals.engine)() as session:
        stages = [
            (c.from_stage_id, c.to_stage_id)
            for c in session.scalars(
                select(OpportunityStageChange)
                .where(OpportunityStageChange.opportunity_id == deals.o[1])
                .order_by(OpportunityStageChange.id)
            )
        ]
        assert session.get_one(Opportunity, deals.o[1]).lost_reason == "price"
    qualify, proposal, lost_stage = (deals.stage[n] for n in ("Qualify", "Proposal", "Lost"))
    assert stages == [(qualify, proposal), (proposal, lost_stage)]
    trail = audit_of(deals.engine, "opportunity", deals.o[1])
    assert [e.action for e in trail] == ["update", "update"]
    assert trail[1].after is not None and trail[1].after["status"] == "lost"


def test_a_rep_cannot_patch_another_reps_opportunity(deals: Deals) -> None:
    response = deals.client.patch(f"{URL}/{deals.o[3]}", json={"amount": "1.00"}, headers=deals.ann)
    assert response.status_code == 404
    assert audit_of(deals.engine, "opportunity", deals.o[3]) == []
