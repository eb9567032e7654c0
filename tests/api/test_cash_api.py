"""/api/v1/orders, /invoices, /payments (read-only, finance and admins):

Acme    order SO-A 6,000.00 signed 2020-01-10
        invoice I1 4,000.00 issued 2020-01-10 (due 2020-02-09)  paid 4,000.00      not overdue
        invoice I2 2,000.00 issued 2020-02-10 (due 2020-03-11)  paid   500.00      overdue
Globex  order SO-G 3,000.00 signed 2020-03-01
        invoice I3 3,000.00 issued 2099-01-01 (due 2099-01-31)  nothing paid       not yet due
        invoice I4 1,000.00 issued 2020-03-01 (due 2020-03-31)  written off 1,000  not overdue
payments  P1 Acme 4,500.00 (2020-02-01) → I1 4,000.00 + I2 500.00
          P2 Globex 200.00 (2020-03-05), not allocated
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from closeloop.db.engine import unit_of_work
from closeloop.models import InvoiceAdjustment, Role
from tests import factories as f
from tests.api.helpers_accounts import (
    Headers,
    TestClient,
    all_pages,
    api_client,
    bearer,
    ids,
    locs,
    make_user,
)
from tests.factories import at

D = Decimal


@dataclass
class Cash:
    client: TestClient
    ids: dict[str, int]
    finance: Headers
    admin: Headers
    rep: Headers
    executive: Headers


@pytest.fixture
def cash(db_url: str, engine: Engine) -> Iterator[Cash]:
    with unit_of_work(engine) as s:
        stages = f.pipeline(s)
        acme, globex = f.account(s, "Acme"), f.account(s, "Globex")
        deal_a = f.opportunity(s, lead=None, account=acme, stage=stages["Won"], amount=D(6000))
        deal_g = f.opportunity(s, lead=None, account=globex, stage=stages["Won"], amount=D(3000))
        so_a = f.order(s, deal_a, signed_at=at(2020, 1, 10), amount=D(6000))
        so_g = f.order(s, deal_g, signed_at=at(2020, 3, 1), amount=D(3000))
        i1 = f.invoice(s, so_a, D(4000), issued_on=date(2020, 1, 10))
        i2 = f.invoice(s, so_a, D(2000), issued_on=date(2020, 2, 10))
        i3 = f.invoice(s, so_g, D(3000), issued_on=date(2099, 1, 1))
        i4 = f.invoice(s, so_g, D(1000), issued_on=date(2020, 3, 1))
        s.add(
            InvoiceAdjustment(
                invoice_id=i4.id,
                kind="write_off",
                issued_on=date(2020, 6, 1),
                amount_minor=100000,
                currency="USD",
            )
        )
        p1 = f.payment(s, acme, D(4500), received_at=at(2020, 2, 1))
        p2 = f.payment(s, globex, D(200), received_at=at(2020, 3, 5))
        f.allocation(s, p1, i1, D(4000))
        f.allocation(s, p1, i2, D(500))
        rows = {
            "acme": acme.id,
            "globex": globex.id,
            "so_a": so_a.id,
            "so_g": so_g.id,
            "i1": i1.id,
            "i2": i2.id,
            "i3": i3.id,
            "i4": i4.id,
            "p1": p1.id,
            "p2": p2.id,
        }
        headers = {
            "finance": bearer(s, make_user(s, Role.FINANCE)),
            "admin": bearer(s, make_user(s, Role.ADMIN)),
            "rep": bearer(s, make_user(s, Role.SALES_REP)),
            "executive": bearer(s, make_user(s, Role.EXECUTIVE)),
        }
    with api_client(db_url) as client:
        yield Cash(client, rows, **headers)


def test_orders_with_what_was_invoiced_and_paid(cash: Cash) -> None:
    c, h, i = cash.client, cash.finance, cash.ids
    listed = c.get("/api/v1/orders", headers=h)

    assert ids(listed) == [i["so_g"], i["so_a"]]  # newest signed first
    by_id = {o["id"]: o for o in listed.json()["items"]}
    assert (by_id[i["so_a"]]["amount"], by_id[i["so_a"]]["invoiced"], by_id[i["so_a"]]["paid"]) == (
        "6000.00",
        "6000.00",
        "4500.00",
    )
    assert (by_id[i["so_g"]]["invoiced"], by_id[i["so_g"]]["paid"]) == ("4000.00", "0.00")
    assert ids(c.get(f"/api/v1/orders?account_id={i['acme']}", headers=h)) == [i["so_a"]]
    assert ids(c.get("/api/v1/orders?signed_from=2020-02-01&signed_to=2020-03-01", headers=h)) == [
        i["so_g"]
    ]
    assert c.get(f"/api/v1/orders/{i['so_a']}", headers=h).json()["paid"] == "4500.00"


def test_invoices_overdue_and_by_account(cash: Cash) -> None:
    c, h, i = cash.client, cash.finance, cash.ids

    assert all_pages(c, "/api/v1/invoices", h, limit=3) == [
        [i["i1"], i["i2"], i["i4"]],
        [i["i3"]],
    ]  # by due date
    assert ids(c.get("/api/v1/invoices?overdue=true", headers=h)) == [i["i2"]]
    assert ids(c.get("/api/v1/invoices?overdue=false", headers=h)) == [i["i1"], i["i4"], i["i3"]]
    assert ids(c.get(f"/api/v1/invoices?account_id={i['globex']}", headers=h)) == [
        i["i4"],
        i["i3"],
    ]
    i2 = c.get(f"/api/v1/invoices/{i['i2']}", headers=h).json()
    assert (i2["paid"], i2["outstanding"], i2["overdue"], i2["account_id"]) == (
        "500.00",
        "1500.00",
        True,
        i["acme"],
    )
    i4 = c.get(f"/api/v1/invoices/{i['i4']}", headers=h).json()
    assert (i4["adjusted"], i4["outstanding"], i4["overdue"]) == ("1000.00", "0.00", False)
    assert locs(c.get("/api/v1/invoices?overdue=maybe", headers=h)) == [["query", "overdue"]]


def test_payments_with_allocated_and_unallocated(cash: Cash) -> None:
    c, h, i = cash.client, cash.finance, cash.ids
    listed = c.get("/api/v1/payments?sort=received_at", headers=h)

    assert ids(listed) == [i["p1"], i["p2"]]
    p1, p2 = listed.json()["items"]
    assert (p1["amount"], p1["allocated"], p1["unallocated"]) == ("4500.00", "4500.00", "0.00")
    assert (p2["allocated"], p2["unallocated"]) == ("0.00", "200.00")
    assert ids(c.get(f"/api/v1/payments?account_id={i['globex']}", headers=h)) == [i["p2"]]
    assert ids(c.get("/api/v1/payments?from=2020-03-05&to=2020-03-05", headers=h)) == [i["p2"]]


def test_unknown_rows_are_404(cash: Cash) -> None:
    for url in ("/api/v1/orders/99999", "/api/v1/invoices/99999", "/api/v1/payments/99999"):
        assert cash.client.get(url, headers=cash.finance).status_code == 404


def test_only_finance_and_admins_see_cash(cash: Cash) -> None:
    urls = (
        "/api/v1/orders",
        f"/api/v1/orders/{cash.ids['so_a']}",
        "/api/v1/invoices",
        f"/api/v1/invoices/{cash.ids['i1']}",
        "/api/v1/payments",
        f"/api/v1/payments/{cash.ids['p1']}",
    )
    for url in urls:
        assert cash.client.get(url, headers=cash.admin).status_code == 200, url
        assert cash.client.get(url, headers=cash.rep).status_code == 403, url
        assert cash.client.get(url, headers=cash.executive).status_code == 403, url


def test_finance_may_not_write_to_the_pipeline(cash: Cash) -> None:
    body = {"name": "X", "account_id": cash.ids["acme"], "stage_id": 1, "amount": "1.00",
            "currency": "USD"}  # fmt: skip
    assert (
        cash.client.post("/api/v1/opportunities", json=body, headers=cash.finance).status_code
        == 403
    )
    assert cash.client.get("/api/v1/opportunities", headers=cash.finance).status_code == 403
