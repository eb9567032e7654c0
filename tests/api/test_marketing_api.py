"""/api/v1/channels, /campaigns, /contents and /spend: a marketer sets up

    Search (paid_search) ── Brand (USD) ── Ad A
    Webinar (webinar)    ── Spring (USD)

and books spend against them; other roles stay out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine

from closeloop.db.engine import unit_of_work
from closeloop.models import Role
from tests.api.helpers_accounts import (
    Headers,
    TestClient,
    all_pages,
    api_client,
    audit_of,
    bearer,
    ids,
    locs,
    make_user,
)


@dataclass
class Setup:
    client: TestClient
    engine: Engine
    marketing: Headers
    admin: Headers
    rep: Headers
    finance: Headers
    manager: Headers
    search: int = 0
    webinar: int = 0
    brand: int = 0
    spring: int = 0
    ad_a: int = 0

    def post(self, url: str, body: dict[str, Any]) -> Any:
        response = self.client.post(url, json=body, headers=self.marketing)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def setup(db_url: str, engine: Engine) -> Iterator[Setup]:
    with unit_of_work(engine) as s:
        headers = {
            "marketing": bearer(s, make_user(s, Role.MARKETING)),
            "admin": bearer(s, make_user(s, Role.ADMIN)),
            "rep": bearer(s, make_user(s, Role.SALES_REP)),
            "finance": bearer(s, make_user(s, Role.FINANCE)),
            "manager": bearer(s, make_user(s, Role.SALES_MANAGER)),
        }
    with api_client(db_url) as client:
        setup = Setup(client, engine, **headers)
        setup.search = setup.post(
            "/api/v1/channels",
            {"code": "paid_search", "name": "Search", "kind": "paid_search", "utm_source": "baidu"},
        )["id"]
        setup.webinar = setup.post(
            "/api/v1/channels", {"code": "webinar", "name": "Webinar", "kind": "webinar"}
        )["id"]
        setup.brand = setup.post(
            "/api/v1/campaigns",
            {"channel_id": setup.search, "code": "brand", "name": "Brand", "currency": "USD"},
        )["id"]
        setup.spring = setup.post(
            "/api/v1/campaigns",
            {
                "channel_id": setup.webinar,
                "code": "spring",
                "name": "Spring",
                "currency": "USD",
                "budget": "5000.00",
                "starts_on": "2026-03-01",
                "ends_on": "2026-05-31",
            },
        )["id"]
        setup.ad_a = setup.post(
            "/api/v1/contents",
            {"campaign_id": setup.brand, "code": "ad-a", "name": "Ad A", "kind": "ad"},
        )["id"]
        yield setup


def test_reference_data_lists_with_filters(setup: Setup) -> None:
    c, h = setup.client, setup.marketing
    assert ids(c.get("/api/v1/channels", headers=h)) == [setup.search, setup.webinar]  # by name
    assert ids(c.get("/api/v1/channels?kind=webinar", headers=h)) == [setup.webinar]
    assert ids(c.get(f"/api/v1/campaigns?channel_id={setup.webinar}", headers=h)) == [setup.spring]
    assert ids(c.get(f"/api/v1/contents?campaign_id={setup.brand}", headers=h)) == [setup.ad_a]
    assert ids(c.get(f"/api/v1/contents?campaign_id={setup.spring}", headers=h)) == []
    spring = c.get(f"/api/v1/campaigns/{setup.spring}", headers=h).json()
    assert (spring["budget"], spring["currency"]) == ("5000.00", "USD")


def test_every_change_is_audited(setup: Setup) -> None:
    patched = setup.client.patch(
        f"/api/v1/channels/{setup.search}", json={"name": "Paid search"}, headers=setup.marketing
    )
    assert patched.json()["name"] == "Paid search"
    trail = audit_of(setup.engine, "channel", setup.search)
    assert [(e.action, e.before) for e in trail] == [
        ("create", None),
        ("update", {"name": "Search"}),
    ]
    assert [e.action for e in audit_of(setup.engine, "campaign", setup.spring)] == ["create"]
    assert [e.action for e in audit_of(setup.engine, "content", setup.ad_a)] == ["create"]


def test_duplicates_are_409(setup: Setup) -> None:
    c, h = setup.client, setup.marketing
    same_code = c.post(
        "/api/v1/channels", json={"code": "WEBINAR", "name": "Other", "kind": "x"}, headers=h
    )
    same_campaign = c.post(
        "/api/v1/campaigns",
        json={"channel_id": setup.search, "code": "brand", "name": "B2", "currency": "USD"},
        headers=h,
    )
    assert (same_code.status_code, same_campaign.status_code) == (409, 409)
    assert "webinar" in same_code.json()["detail"].lower()
    renamed = c.patch(f"/api/v1/channels/{setup.search}", json={"code": "webinar"}, headers=h)
    other = setup.post("/api/v1/campaigns", {"channel_id": setup.search, "code": "generic",
                                             "name": "Generic", "currency": "USD"})  # fmt: skip
    moved = c.patch(f"/api/v1/campaigns/{other['id']}", json={"code": "brand"}, headers=h)
    assert (renamed.status_code, moved.status_code) == (409, 409)
    assert c.get(f"/api/v1/channels/{setup.search}", headers=h).json()["code"] == "paid_search"


def test_out_of_range_ids_and_unreadable_bodies_are_422(setup: Setup) -> None:
    """What a fuzzer sends: ids past the database's integer range, bodies that are not UTF-8."""
    c, h = setup.client, setup.admin
    too_big = "99999999999999999999"
    for url in (f"/api/v1/channels/{too_big}", "/api/v1/orders/2147483648",
                "/api/v1/invoices/-5", f"/api/v1/spend?channel_id={too_big}"):  # fmt: skip
        response = c.get(url, headers=h)
        assert response.status_code == 422, (url, response.text)
    booked = {"spent_on": "2026-01-05", "amount": "1.00", "currency": "USD"}
    spend = setup.post("/api/v1/spend", {**booked, "channel_id": setup.search})
    moved = c.patch(f"/api/v1/spend/{spend['id']}", json={"content_id": 104986224}, headers=h)
    assert locs(moved) == [["body", "content_id"]]
    blank_kind = c.post(
        "/api/v1/channels", json={"code": "x", "name": "X", "kind": "\u00a0"}, headers=h
    )
    assert locs(blank_kind) == [["body", "kind"]]
    garbled = c.post(
        "/api/v1/channels",
        content=b"\xff\xfe{",
        headers={**h, "Content-Type": "application/json"},
    )
    assert locs(garbled) == [["body"]]


def test_bad_reference_data_is_422_with_field_paths(setup: Setup) -> None:
    c, h = setup.client, setup.marketing
    campaign = {"channel_id": setup.search, "code": "c", "name": "C", "currency": "USD"}
    for change, path in (
        ({"channel_id": 99999}, ["body", "channel_id"]),
        ({"currency": "US"}, ["body", "currency"]),
        ({"budget": "-1"}, ["body", "budget"]),
        ({"budget": "1.001"}, ["body", "budget"]),
        ({"starts_on": "2026-05-01", "ends_on": "2026-04-01"}, ["body", "ends_on"]),
        ({"code": "has space"}, ["body", "code"]),
    ):
        assert locs(c.post("/api/v1/campaigns", json={**campaign, **change}, headers=h)) == [
            path
        ], change
    content = {"campaign_id": 99999, "code": "x", "name": "X", "kind": "ad"}
    assert locs(c.post("/api/v1/contents", json=content, headers=h)) == [["body", "campaign_id"]]


# ---- spend -------------------------------------------------------------------------------------


def book_spend(setup: Setup) -> dict[str, int]:
    entries = {
        "s1": {"spent_on": "2026-01-05", "amount": "600.00", "channel_id": setup.search,
               "campaign_id": setup.brand, "content_id": setup.ad_a},
        "s2": {"spent_on": "2026-01-31", "amount": "400.00", "channel_id": setup.search},
        "s3": {"spent_on": "2026-02-01", "amount": "200.00", "channel_id": setup.webinar,
               "campaign_id": setup.spring},
        "s4": {"spent_on": "2025-12-31", "amount": "100.00", "channel_id": setup.search,
               "content_id": setup.ad_a},
    }  # fmt: skip
    return {
        name: setup.post("/api/v1/spend", {**body, "currency": "USD"})["id"]
        for name, body in entries.items()
    }


def test_spend_is_booked_listed_filtered_and_paged(setup: Setup) -> None:
    s = book_spend(setup)
    c, h = setup.client, setup.marketing

    assert all_pages(c, "/api/v1/spend", h, limit=3) == [[s["s3"], s["s2"], s["s1"]], [s["s4"]]]
    assert ids(c.get("/api/v1/spend?sort=amount", headers=h)) == [
        s["s4"],
        s["s3"],
        s["s2"],
        s["s1"],
    ]
    january = c.get("/api/v1/spend?from=2026-01-01&to=2026-01-31&sort=spent_on", headers=h)
    assert ids(january) == [s["s1"], s["s2"]]
    assert ids(c.get(f"/api/v1/spend?channel_id={setup.webinar}", headers=h)) == [s["s3"]]
    # A content implies its campaign.
    s4 = c.get(f"/api/v1/spend/{s['s4']}", headers=h).json()
    assert (s4["campaign_id"], s4["content_id"], s4["amount"]) == (
        setup.brand,
        setup.ad_a,
        "100.00",
    )
    assert ids(c.get(f"/api/v1/spend?campaign_id={setup.brand}&sort=id", headers=h)) == [
        s["s1"],
        s["s4"],
    ]


def test_bad_spend_is_422_with_field_paths(setup: Setup) -> None:
    good = {"spent_on": "2026-01-05", "amount": "10.00", "currency": "USD",
            "channel_id": setup.search}  # fmt: skip
    for change, path in (
        ({"amount": "-10.00"}, ["body", "amount"]),
        ({"amount": "abc"}, ["body", "amount"]),
        ({"amount": "0.001"}, ["body", "amount"]),
        ({"currency": "usd"}, ["body", "currency"]),
        ({"channel_id": 99999}, ["body", "channel_id"]),
        ({"campaign_id": setup.spring}, ["body", "campaign_id"]),  # Spring is Webinar's
        ({"campaign_id": setup.spring, "content_id": setup.ad_a}, ["body", "content_id"]),
        ({"spent_on": "2026-13-01"}, ["body", "spent_on"]),
        ({"amount": "3.0e307"}, ["body", "amount"]),
    ):
        response = setup.client.post(
            "/api/v1/spend", json={**good, **change}, headers=setup.marketing
        )
        assert locs(response) == [path], change
    jpy = setup.client.post(
        "/api/v1/spend", json={**good, "amount": "1000", "currency": "JPY"}, headers=setup.marketing
    )
    assert (jpy.status_code, jpy.json()["amount"]) == (201, "1000")


def test_spend_is_changed_and_deleted_with_an_audit_trail(setup: Setup) -> None:
    s = book_spend(setup)
    url = f"/api/v1/spend/{s['s2']}"
    c, h = setup.client, setup.marketing

    changed = c.patch(url, json={"amount": "450.50", "note": "invoice 7"}, headers=h)
    assert (changed.json()["amount"], changed.json()["note"]) == ("450.50", "invoice 7")
    assert locs(c.patch(url, json={"amount": "-1"}, headers=h)) == [["body", "amount"]]
    assert c.delete(url, headers=h).status_code == 204
    assert c.get(url, headers=h).status_code == 404
    assert c.delete(url, headers=h).status_code == 404
    trail = audit_of(setup.engine, "spend", s["s2"])
    assert [e.action for e in trail] == ["create", "update", "delete"]
    assert trail[1].before == {"amount_minor": 40000, "note": None}
    assert trail[2].before is not None and trail[2].before["amount_minor"] == 45050


def test_only_marketing_and_admins_work_with_marketing_data(setup: Setup) -> None:
    c = setup.client
    assert c.get("/api/v1/spend", headers=setup.admin).status_code == 200
    for headers in (setup.rep, setup.finance, setup.manager):
        assert c.get("/api/v1/channels", headers=headers).status_code == 403
        assert c.get(f"/api/v1/channels/{setup.search}", headers=headers).status_code == 403
        body = {"spent_on": "2026-01-05", "amount": "1.00", "currency": "USD",
                "channel_id": setup.search}  # fmt: skip
        assert c.post("/api/v1/spend", json=body, headers=headers).status_code == 403


def test_marketing_may_not_see_cash(setup: Setup) -> None:
    for url in ("/api/v1/orders", "/api/v1/invoices", "/api/v1/payments", "/api/v1/orders/1"):
        response = setup.client.get(url, headers=setup.marketing)
        assert response.status_code == 403, url
