"""The access matrix: every role against every endpoint of /api/v1.

The expectations are written here from the issue's words, not read from the policy table: a rep
sees own leads, own opportunities and the public pool; a manager sees the team; marketing sees
leads and spend but not receivables; finance sees orders, invoices and payments; the executive
sees reports. A role outside an area gets 403 for every endpoint of it (before its body is even
read); inside, a row that is not theirs is 404 — never its contents.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from closeloop.db.engine import unit_of_work
from closeloop.models import Contact, LeadStatus, Team
from tests import factories
from tests.api.conftest import Caller, MakeCaller

ROLES = ("admin", "marketing", "sdr", "sales_rep", "sales_manager", "finance", "executive")
T0 = datetime(2026, 10, 1, tzinfo=UTC)

# Who may read / change each area (from the text).
READERS = {
    "leads": {"admin", "marketing", "sdr", "sales_rep", "sales_manager"},
    "accounts": {"admin", "marketing", "sdr", "sales_rep", "sales_manager", "finance"},
    "pipeline": {"admin", "sales_rep", "sales_manager"},
    "marketing": {"admin", "marketing"},
    "cash": {"admin", "finance"},
    "reports": {"admin", "marketing", "sales_manager", "finance", "executive"},
}
WRITERS = {
    "leads": {"admin", "marketing", "sdr", "sales_rep", "sales_manager"},
    "accounts": {"admin", "sales_rep", "sales_manager"},
    "pipeline": {"admin", "sales_rep", "sales_manager"},
    "marketing": {"admin", "marketing"},
    "cash": {"admin", "finance"},
}

# (method, path, area, body). Paths name rows of another rep in another team: {lead} etc.
ENDPOINTS: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/leads", "leads", None),
    ("POST", "/api/v1/leads/manual", "leads", {}),
    ("GET", "/api/v1/leads/{lead}", "leads", None),
    ("PATCH", "/api/v1/leads/{lead}", "leads", {}),
    ("PUT", "/api/v1/leads/{lead}/tags", "leads", {}),
    ("POST", "/api/v1/leads/{lead}/claim", "leads", {}),
    ("POST", "/api/v1/leads/{lead}/release", "leads", {}),
    ("POST", "/api/v1/leads/{lead}/return", "leads", {}),
    ("POST", "/api/v1/leads/{lead}/accept", "leads", {}),
    ("POST", "/api/v1/leads/{lead}/contact", "leads", {}),
    ("POST", "/api/v1/leads/{lead}/assign", "leads", {}),
    ("GET", "/api/v1/leads/{lead}/history", "leads", None),
    ("GET", "/api/v1/leads/{lead}/touches", "leads", None),
    ("GET", "/api/v1/touches", "leads", None),
    ("GET", "/api/v1/accounts", "accounts", None),
    ("POST", "/api/v1/accounts", "accounts", {}),
    ("GET", "/api/v1/accounts/{account}", "accounts", None),
    ("PATCH", "/api/v1/accounts/{account}", "accounts", {}),
    ("PUT", "/api/v1/accounts/{account}/tags", "accounts", {}),
    ("GET", "/api/v1/accounts/{account}/timeline", "accounts", None),
    ("GET", "/api/v1/contacts", "accounts", None),
    ("POST", "/api/v1/contacts", "accounts", {}),
    ("GET", "/api/v1/contacts/{contact}", "accounts", None),
    ("PATCH", "/api/v1/contacts/{contact}", "accounts", {}),
    ("GET", "/api/v1/opportunities", "pipeline", None),
    ("POST", "/api/v1/opportunities", "pipeline", {}),
    ("GET", "/api/v1/opportunities/{opportunity}", "pipeline", None),
    ("PATCH", "/api/v1/opportunities/{opportunity}", "pipeline", {}),
    ("GET", "/api/v1/channels", "marketing", None),
    ("POST", "/api/v1/channels", "marketing", {}),
    ("GET", "/api/v1/channels/{channel}", "marketing", None),
    ("PATCH", "/api/v1/channels/{channel}", "marketing", {}),
    ("GET", "/api/v1/campaigns", "marketing", None),
    ("POST", "/api/v1/campaigns", "marketing", {}),
    ("GET", "/api/v1/campaigns/{campaign}", "marketing", None),
    ("PATCH", "/api/v1/campaigns/{campaign}", "marketing", {}),
    ("GET", "/api/v1/contents", "marketing", None),
    ("POST", "/api/v1/contents", "marketing", {}),
    ("GET", "/api/v1/contents/{content}", "marketing", None),
    ("PATCH", "/api/v1/contents/{content}", "marketing", {}),
    ("GET", "/api/v1/spend", "marketing", None),
    ("POST", "/api/v1/spend", "marketing", {}),
    ("GET", "/api/v1/spend/{spend}", "marketing", None),
    ("PATCH", "/api/v1/spend/{spend}", "marketing", {}),
    ("DELETE", "/api/v1/spend/{spend}", "marketing", None),
    ("GET", "/api/v1/orders", "cash", None),
    ("GET", "/api/v1/orders/{order}", "cash", None),
    ("GET", "/api/v1/invoices", "cash", None),
    ("GET", "/api/v1/invoices/{invoice}", "cash", None),
    ("GET", "/api/v1/payments", "cash", None),
    ("GET", "/api/v1/payments/{payment}", "cash", None),
    ("GET", "/api/v1/reports/roi", "reports", None),
    ("GET", "/api/v1/reports/funnel", "reports", None),
    ("GET", "/api/v1/reports/leaderboard", "reports", None),
]

# Users, teams, tokens and the session: (method, path, body, roles that get a non-403 answer).
EVERYONE = set(ROLES)
ACCOUNT_ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("GET", "/api/v1/users/me", None, EVERYONE),
    ("GET", "/api/v1/users", None, {"admin", "sales_manager"}),
    ("GET", "/api/v1/users/{user}", None, {"admin", "sales_manager"}),
    (
        "POST",
        "/api/v1/users",
        {"email": "new.person@example.com", "full_name": "New Person", "role": "sales_rep"},
        {"admin"},
    ),
    ("PATCH", "/api/v1/users/{user}", {"full_name": "Renamed"}, {"admin"}),
    ("GET", "/api/v1/teams", None, {"admin", "sales_manager"}),
    ("POST", "/api/v1/teams", {"name": "North"}, {"admin"}),
    ("PATCH", "/api/v1/teams/{team}", {"name": "West 2"}, {"admin"}),
    ("GET", "/api/v1/tokens", None, EVERYONE),
    ("POST", "/api/v1/tokens", {"name": "mine", "scopes": ["read"]}, EVERYONE),
    ("DELETE", "/api/v1/tokens/{token}", None, {"admin"}),  # another user's token
]
# Capture (X-API-Key) and sign-in/out are open to anyone with the right credentials.
NOT_ROLE_BASED = {
    ("POST", "/api/v1/leads"),
    ("POST", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
}


def _world(engine: Engine, client_as: MakeCaller) -> tuple[dict[str, Caller], dict[str, int]]:
    """One user per role (the sales people in team East) and rows owned by a West rep."""
    callers = {role: client_as(role, team="East") for role in ROLES}
    other = client_as("sales_rep", team="West")
    with unit_of_work(engine) as session:
        west = session.query(Team).filter_by(name="West").one()
        channel = factories.channel(session, "Search")
        campaign = factories.campaign(session, channel, "Autumn")
        content = factories.content(session, campaign, "Ad one")
        spend = factories.spend(session, Decimal("100"), date(2026, 10, 1), channel=channel)
        account = factories.account(session, "West Corp")
        account.owner_id = other.user_id
        contact = Contact(account_id=account.id, full_name="Wu Lin", email="wu@westcorp.example")
        session.add(contact)
        lead = factories.lead(session, T0, channel=channel, status=LeadStatus.WORKING)
        lead.owner_id, lead.team_id, lead.account_id = other.user_id, west.id, account.id
        stage = factories.pipeline(session)["Won"]
        deal = factories.opportunity(
            session, lead=lead, account=account, stage=stage, amount=Decimal("500")
        )
        deal.owner_id = other.user_id
        order = factories.order(session, deal, signed_at=T0, amount=Decimal("500"))
        invoice = factories.invoice(session, order, Decimal("500"), issued_on=date(2026, 10, 2))
        payment = factories.payment(session, account, Decimal("200"), received_at=T0)
        session.flush()
        ids = {
            "lead": lead.id,
            "account": account.id,
            "contact": contact.id,
            "opportunity": deal.id,
            "channel": channel.id,
            "campaign": campaign.id,
            "content": content.id,
            "spend": spend.id,
            "order": order.id,
            "invoice": invoice.id,
            "payment": payment.id,
            "user": other.user_id,
            "team": west.id,
        }
    token = other.post("/api/v1/tokens", json={"name": "other's", "scopes": ["read"]})
    assert token.status_code == 201, token.text
    ids["token"] = token.json()["id"]
    return callers, ids


def _send(caller: Caller, method: str, path: str, body: dict[str, Any] | None) -> Any:
    send = getattr(caller, method.lower())
    return send(path, json=body) if body is not None else send(path)


def _area_refusal(response: Any) -> bool:
    return response.status_code == 403 and "may not" in str(response.json().get("detail"))


def test_the_matrix_names_every_endpoint(client: TestClient) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in client.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        if path.startswith("/api/v1")
        for method in operations
    }
    named = {(m, p) for m, p, _, _ in ENDPOINTS} | {(m, p) for m, p, _, _ in ACCOUNT_ENDPOINTS}
    named = {(m, p.replace("{", "").replace("}", "")) for m, p in named}
    as_documented = {(m, _placeholders(p)) for m, p in documented}
    assert as_documented - NOT_ROLE_BASED == named


def _placeholders(path: str) -> str:
    # /api/v1/leads/{lead_id}/tags → /api/v1/leads/lead/tags (our names drop the _id)
    parts = []
    for part in path.split("/"):
        if part.startswith("{"):
            part = part[1:-1].removesuffix("_id")
        parts.append(part)
    return "/".join(parts)


def test_each_role_gets_its_areas_and_403_elsewhere(engine: Engine, client_as: MakeCaller) -> None:
    callers, ids = _world(engine, client_as)
    wrong: list[str] = []
    for role, caller in callers.items():
        for method, path, area, body in ENDPOINTS:
            url = path.format(**ids)
            response = _send(caller, method, url, body)
            allowed = role in (READERS if method == "GET" else WRITERS).get(area, set())
            if allowed and (_area_refusal(response) or response.status_code == 401):
                wrong.append(f"{role} {method} {path}: {response.status_code}, expected access")
            if not allowed and response.status_code != 403:
                wrong.append(f"{role} {method} {path}: {response.status_code}, expected 403")
    assert wrong == []


def test_users_teams_and_tokens_by_role(engine: Engine, client_as: MakeCaller) -> None:
    callers, ids = _world(engine, client_as)
    wrong: list[str] = []
    for role, caller in callers.items():
        for method, path, body, allowed_roles in ACCOUNT_ENDPOINTS:
            response = _send(caller, method, path.format(**ids), body)
            refused = response.status_code in (403, 404)
            if (role in allowed_roles) == refused:
                wrong.append(f"{role} {method} {path}: {response.status_code}")
            if response.status_code == 200 and method == "GET":
                assert "password" not in response.text
    assert wrong == []


@pytest.mark.parametrize("role", ["sales_rep", "sdr", "sales_manager"])
def test_another_teams_rows_are_not_found_and_not_listed(
    engine: Engine, client_as: MakeCaller, role: str
) -> None:
    callers, ids = _world(engine, client_as)
    caller = callers[role]
    assert caller.get(f"/api/v1/leads/{ids['lead']}").status_code == 404
    assert ids["lead"] not in [row["id"] for row in caller.get("/api/v1/leads").json()["items"]]
    if role == "sdr":  # SDRs qualify against the whole book of accounts, read-only
        assert caller.get(f"/api/v1/accounts/{ids['account']}").status_code == 200
        return
    for kind in ("account", "opportunity", "contact"):
        plural = {"account": "accounts", "opportunity": "opportunities", "contact": "contacts"}[
            kind
        ]
        assert caller.get(f"/api/v1/{plural}/{ids[kind]}").status_code == 404, kind
        listed = [row["id"] for row in caller.get(f"/api/v1/{plural}").json()["items"]]
        assert ids[kind] not in listed, kind


def test_a_read_only_token_cannot_change_anything(client_as: MakeCaller) -> None:
    reader = client_as("admin", scopes="read")
    assert reader.get("/api/v1/leads").status_code == 200
    assert reader.post("/api/v1/channels", json={}).status_code == 403
    assert reader.patch("/api/v1/leads/1", json={}).status_code == 403
