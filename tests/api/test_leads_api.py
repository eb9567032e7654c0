"""The leads API through the real app: who sees which leads, filters, sorts and pages computed by
hand, edits cleaned and audited, tags, transitions and their errors, touches, history, and the
session cookie with its CSRF token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from closeloop.access.audit import entries_for
from closeloop.db.engine import unit_of_work
from closeloop.models import Channel, Lead, Touch, User
from tests.api.conftest import PASSWORD, Caller, MakeCaller, TestClient


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


@dataclass
class World:
    admin: Caller
    rep_a: Caller  # East
    rep_b: Caller  # East
    rep_c: Caller  # West
    manager: Caller  # East
    search: int  # channel ids
    webinar: int
    lead: dict[int, int]  # number in the table below → lead id


# number: (day, score, status, owner, team, name, email, company, channel, sla due day)
LEADS: dict[int, tuple[Any, ...]] = {
    1: (5, 80, "working", "a", "East", "Ana Li", "ana@acme.com", "Acme Ltd", "s", None),
    2: (6, 40, "mql", "a", "East", "Bo Wu", "bo@globex.com", "Globex", "w", 7),
    3: (7, 90, "pool", None, "East", "Cai Xu", "cai@acme.com", "ACME Inc", "s", None),
    4: (8, 60, "working", "b", "East", "Dan Ma", "dan@initech.com", None, "w", 9),
    5: (9, 70, "sal", "c", "West", "Eve Zhou", "eve@hooli.com", "Hooli", "s", None),
    6: (10, 40, "nurture", None, None, "Fay Qi", "fay@acme.com", None, "w", None),
}


@pytest.fixture
def world(client_as: MakeCaller, engine: Engine) -> World:
    admin = client_as("admin")
    rep_a = client_as("sales_rep", team="East")
    rep_b = client_as("sales_rep", team="East")
    rep_c = client_as("sales_rep", team="West")
    manager = client_as("sales_manager", team="East")
    owners = {"a": rep_a, "b": rep_b, "c": rep_c}
    with unit_of_work(engine) as session:
        search = Channel(code="search", name="Search", kind="paid_search")
        webinar = Channel(code="webinar", name="Webinar", kind="webinar")
        session.add_all([search, webinar])
        session.flush()
        channels = {"s": search.id, "w": webinar.id}
        teams = {"East": rep_a.team_id, "West": rep_c.team_id, None: None}
        ids = {}
        for number, row in LEADS.items():
            day, score, status, owner, team, name, email, company, channel, due = row
            lead = Lead(
                created_at=at(day),
                score=score,
                status=status,
                owner_id=owners[owner].user_id if owner else None,
                team_id=teams[team],
                full_name=name,
                email=email,
                company=company,
                company_key=company.split()[0].lower() if company else None,
                channel_id=channels[channel],
                sla_kind="first_contact" if due else None,
                sla_due_at=at(due) if due else None,
            )
            session.add(lead)
            session.flush()
            ids[number] = lead.id
    return World(admin, rep_a, rep_b, rep_c, manager, search.id, webinar.id, ids)


def numbers(world: World, response: Any) -> list[int]:
    """The table numbers of the leads in a list answer, in order."""
    assert response.status_code == 200, response.text
    by_id = {lead_id: number for number, lead_id in world.lead.items()}
    return [by_id[item["id"]] for item in response.json()["items"]]


# ---- who sees what ---------------------------------------------------------------------------


def test_admin_sees_every_lead_newest_first(world: World) -> None:
    assert numbers(world, world.admin.get("/api/v1/leads")) == [6, 5, 4, 3, 2, 1]


def test_a_rep_sees_own_leads_and_the_pool_and_404_for_anothers(world: World) -> None:
    rep = world.rep_a
    assert numbers(world, rep.get("/api/v1/leads", params={"sort": "-score"})) == [3, 1, 2]
    assert rep.get(f"/api/v1/leads/{world.lead[1]}").json()["email"] == "ana@acme.com"
    other = rep.get(f"/api/v1/leads/{world.lead[4]}")
    assert other.status_code == 404
    assert "dan" not in other.text


def test_a_manager_sees_the_teams_leads_and_the_pool(world: World) -> None:
    response = world.manager.get("/api/v1/leads", params={"sort": "created_at"})
    assert numbers(world, response) == [1, 2, 3, 4]
    assert world.manager.get(f"/api/v1/leads/{world.lead[5]}").status_code == 404


@pytest.mark.parametrize("role", ["finance", "executive"])
def test_finance_and_executive_may_not_see_leads(client_as: MakeCaller, role: str) -> None:
    caller = client_as(role)
    response = caller.get("/api/v1/leads")
    assert response.status_code == 403
    assert response.json() == {"detail": f"a {role} may not see leads"}


def test_without_credentials_the_api_answers_401(client: TestClient) -> None:
    response = client.get("/api/v1/leads")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


# ---- filters, sorts, pages -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": ["working", "sal"]}, [1, 4, 5]),
        ({"channel_id": "search"}, [1, 3, 5]),
        ({"min_score": 60}, [1, 3, 4, 5]),
        ({"created_from": "2026-01-07", "created_to": "2026-01-08"}, [3, 4]),
        ({"q": "acme"}, [1, 3]),  # company prefix (legal form ignored); not fay@acme.com
        ({"q": "BO"}, [2]),  # name prefix, any case
        ({"q": "cai@"}, [3]),  # e-mail prefix
        ({"owner_id": "rep_a"}, [1, 2]),
        ({"team_id": "East"}, [1, 2, 3, 4]),
        ({"q": "%"}, []),  # a LIKE wildcard is just a character
    ],
)
def test_filters(world: World, params: dict[str, Any], expected: list[int]) -> None:
    if params.get("channel_id") == "search":
        params["channel_id"] = world.search
    if params.get("owner_id") == "rep_a":
        params["owner_id"] = world.rep_a.user_id
    if params.get("team_id") == "East":
        params["team_id"] = world.rep_a.team_id
    response = world.admin.get("/api/v1/leads", params={**params, "sort": "created_at"})
    assert numbers(world, response) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-score", [3, 1, 5, 4, 6, 2]),  # the tie at 40 by id, descending
        ("score", [2, 6, 4, 5, 1, 3]),
        ("sla_due_at", [2, 4, 1, 3, 5, 6]),  # leads without a clock last
        ("-created_at", [6, 5, 4, 3, 2, 1]),
    ],
)
def test_sorts(world: World, sort: str, expected: list[int]) -> None:
    assert numbers(world, world.admin.get("/api/v1/leads", params={"sort": sort})) == expected


def test_cursor_pages_walk_the_whole_list_once(world: World) -> None:
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"sort": "sla_due_at", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = world.admin.get("/api/v1/leads", params=params)
        pages.append(numbers(world, response))
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert pages == [[2, 4], [1, 3], [5, 6]]


@pytest.mark.parametrize(
    ("params", "location"),
    [
        ({"sort": "email"}, ["query", "sort"]),
        ({"status": "won"}, ["query", "status"]),
        ({"cursor": "not-a-cursor"}, ["query", "cursor"]),
        ({"limit": 0}, ["query", "limit"]),
        ({"created_from": "2026-02-01", "created_to": "2026-01-01"}, ["query", "created_to"]),
    ],
)
def test_bad_list_parameters_are_422_with_the_parameter(
    world: World, params: dict[str, Any], location: list[str]
) -> None:
    response = world.admin.get("/api/v1/leads", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == location


# ---- editing ---------------------------------------------------------------------------------


def test_patch_cleans_the_values_and_audits_before_and_after(world: World, engine: Engine) -> None:
    lead_id = world.lead[1]
    response = world.rep_a.patch(
        f"/api/v1/leads/{lead_id}",
        json={"email": "  Ana.New@ACME.com ", "phone": "138 0013 8000", "company": "Acme Ｃorp"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["email"], body["phone"], body["company"]) == (
        "ana.new@acme.com",
        "+8613800138000",
        "Acme Corp",
    )
    with unit_of_work(engine) as session:
        (entry,) = entries_for(session, "lead", lead_id)
        assert entry.action == "update"
        assert entry.user_id == world.rep_a.user_id
        assert entry.before == {
            "email": "ana@acme.com",
            "phone": None,
            "company": "Acme Ltd",
        }  # the company key ("acme") did not change, so it is not in the entry
        assert entry.after == {
            "email": "ana.new@acme.com",
            "phone": "+8613800138000",
            "company": "Acme Corp",
        }


def test_patch_with_a_bad_email_is_422_at_body_email_and_changes_nothing(
    world: World, engine: Engine
) -> None:
    lead_id = world.lead[1]
    response = world.rep_a.patch(f"/api/v1/leads/{lead_id}", json={"email": "ana@", "city": "X"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]
    with unit_of_work(engine) as session:
        lead = session.get_one(Lead, lead_id)
        assert (lead.email, lead.city) == ("ana@acme.com", None)
        assert entries_for(session, "lead", lead_id) == []


def test_patch_refuses_unknown_fields_and_removing_the_last_way_to_reach(world: World) -> None:
    url = f"/api/v1/leads/{world.lead[1]}"
    unknown = world.rep_a.patch(url, json={"score": 100})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "score"]
    unreachable = world.rep_a.patch(url, json={"email": None})
    assert unreachable.status_code == 422
    assert unreachable.json()["detail"][0]["loc"] == ["body", "email"]


def test_a_rep_may_not_edit_a_pool_lead_and_a_read_token_may_not_edit_at_all(
    world: World, client_as: MakeCaller
) -> None:
    pool = world.rep_a.patch(f"/api/v1/leads/{world.lead[3]}", json={"city": "Shanghai"})
    assert pool.status_code == 403
    reader = client_as("admin", scopes="read")
    assert reader.get(f"/api/v1/leads/{world.lead[1]}").status_code == 200
    refused = reader.patch(f"/api/v1/leads/{world.lead[1]}", json={"city": "Shanghai"})
    assert refused.status_code == 403
    assert reader.post(f"/api/v1/leads/{world.lead[1]}/accept").status_code == 403


def test_tags_are_replaced_created_once_and_filterable(world: World, engine: Engine) -> None:
    url = f"/api/v1/leads/{world.lead[1]}/tags"
    first = world.rep_a.put(url, json={"tags": ["VIP", " vip ", "Q1"]})
    assert first.status_code == 200, first.text
    assert first.json()["tags"] == ["Q1", "VIP"]
    world.admin.put(f"/api/v1/leads/{world.lead[5]}/tags", json={"tags": ["vip"]})
    tagged = world.admin.get("/api/v1/leads", params={"tag": "VIP", "sort": "id"})
    assert numbers(world, tagged) == [1, 5]
    second = world.rep_a.put(url, json={"tags": []})
    assert second.json()["tags"] == []
    empty = world.rep_a.put(url, json={"tags": ["ok", "  "]})
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "tags", "1"]
    with unit_of_work(engine) as session:
        actions = [
            (e.action, e.before, e.after) for e in entries_for(session, "lead", world.lead[1])
        ]
    assert actions == [
        ("tag", {"tags": []}, {"tags": ["Q1", "VIP"]}),
        ("tag", {"tags": ["Q1", "VIP"]}, {"tags": []}),
    ]


# ---- entering a lead by hand -----------------------------------------------------------------


def test_tags_beyond_ascii_are_found_again(world: World) -> None:
    """A tag spelled with letters beyond ASCII is the same tag the next time, not a new one."""
    url = f"/api/v1/leads/{world.lead[1]}/tags"
    world.admin.put(f"/api/v1/leads/{world.lead[5]}/tags", json={"tags": ["Ærø"]})
    again = world.rep_a.put(url, json={"tags": ["Ærø"]})
    assert (again.status_code, again.json()["tags"]) == (200, ["Ærø"])
    tagged = world.admin.get("/api/v1/leads", params={"tag": "Ærø", "sort": "id"})
    assert numbers(world, tagged) == [1, 5]


def test_a_rep_enters_a_lead_by_hand_and_owns_it(world: World) -> None:
    response = world.rep_a.post(
        "/api/v1/leads/manual",
        json={"full_name": " 王  伟 ", "phone": "13900139000", "company": "华信科技有限公司"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["full_name"], body["phone"], body["owner_id"], body["status"]) == (
        "王伟",
        "+8613900139000",
        world.rep_a.user_id,
        "new",
    )
    assert body["sla_kind"] == "first_contact"
    again = world.rep_b.post("/api/v1/leads/manual", json={"phone": "+86 139 0013 9000"})
    assert again.status_code == 409
    nothing = world.rep_a.post("/api/v1/leads/manual", json={"full_name": "Nobody"})
    assert nothing.status_code == 422
    assert nothing.json()["detail"][0]["loc"] == ["body", "email"]


# ---- transitions -----------------------------------------------------------------------------


def test_claim_from_the_pool_is_audited_and_in_the_history(world: World, engine: Engine) -> None:
    lead_id = world.lead[3]
    response = world.rep_a.post(f"/api/v1/leads/{lead_id}/claim")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["owner_id"]) == ("working", world.rep_a.user_id)
    assert body["lead"]["sla_kind"] == "first_contact"
    with unit_of_work(engine) as session:
        (entry,) = entries_for(session, "lead", lead_id)
    assert (entry.action, entry.before, entry.after) == (
        "claim",
        {"status": "pool", "owner_id": None, "team_id": world.rep_a.team_id},
        {"status": "working", "owner_id": world.rep_a.user_id, "team_id": world.rep_a.team_id},
    )
    history = world.rep_a.get(f"/api/v1/leads/{lead_id}/history").json()
    assert (history[0]["what"], history[0]["summary"]) == (
        "status",
        "pool → working (claimed from the pool)",
    )
    assert history[1]["what"] == "claimed"
    again = world.rep_b.post(f"/api/v1/leads/{lead_id}/claim")
    assert again.status_code == 404  # no longer in the pool, and not rep B's


def test_claim_beyond_the_cap_is_409(world: World, engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.get_one(User, world.rep_a.user_id).max_open_leads = 2  # owns leads 1 and 2
    response = world.rep_a.post(f"/api/v1/leads/{world.lead[3]}/claim")
    assert response.status_code == 409
    assert "the cap is 2" in response.json()["detail"]


def test_release_of_a_lead_not_ones_own_is_refused(world: World) -> None:
    assert world.rep_a.post(f"/api/v1/leads/{world.lead[3]}/release").status_code == 403
    assert world.rep_a.post(f"/api/v1/leads/{world.lead[4]}/release").status_code == 404
    assert world.manager.post(f"/api/v1/leads/{world.lead[4]}/release").status_code == 403
    released = world.rep_a.post(f"/api/v1/leads/{world.lead[1]}/release", json={"reason": "dup"})
    assert released.status_code == 200
    assert (released.json()["status"], released.json()["owner_id"]) == ("pool", None)


def test_return_needs_a_reason(world: World, engine: Engine) -> None:
    url = f"/api/v1/leads/{world.lead[2]}/return"
    for body in ({}, {"reason": ""}):
        response = world.rep_a.post(url, json=body)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "reason"]
    blank = world.rep_a.post(url, json={"reason": "   "})
    assert blank.status_code == 422
    done = world.rep_a.post(url, json={"reason": "no budget this year"})
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["owner_id"]) == ("nurture", None)
    with unit_of_work(engine) as session:
        (entry,) = entries_for(session, "lead", world.lead[2])
    assert entry.after["reason"] == "no budget this year"


def test_accept_then_accept_again_is_409(world: World) -> None:
    url = f"/api/v1/leads/{world.lead[1]}/accept"
    first = world.rep_a.post(url)
    assert first.status_code == 200
    assert first.json()["lead"]["sal_at"] is not None
    assert world.rep_a.post(url).status_code == 409


def test_contact_stamps_the_first_contact(world: World) -> None:
    response = world.rep_a.post(
        f"/api/v1/leads/{world.lead[2]}/contact",
        json={"note": "left a voicemail", "channel": "Call"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["lead"]["first_contact_at"] is not None
    history = world.rep_a.get(f"/api/v1/leads/{world.lead[2]}/history").json()
    contacted = [h for h in history if h["what"] == "contacted"]
    assert "note=[call] left a voicemail" in contacted[0]["summary"]


def test_a_manager_assigns_within_the_team_only(world: World, engine: Engine) -> None:
    url = f"/api/v1/leads/{world.lead[3]}/assign"
    other_team = world.manager.post(url, json={"owner_id": world.rep_c.user_id})
    assert other_team.status_code == 422
    assert other_team.json()["detail"][0]["loc"] == ["body", "owner_id"]
    assert world.rep_a.post(url, json={"owner_id": world.rep_a.user_id}).status_code == 403
    done = world.manager.post(url, json={"owner_id": world.rep_b.user_id})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["owner_id"]) == ("working", world.rep_b.user_id)
    with unit_of_work(engine) as session:
        (entry,) = entries_for(session, "lead", world.lead[3])
    assert (entry.action, entry.before["owner_id"], entry.after["owner_id"]) == (
        "assign",
        None,
        world.rep_b.user_id,
    )
    closed = world.admin.post(
        f"/api/v1/leads/{world.lead[5]}/assign", json={"owner_id": world.rep_b.user_id}
    )
    assert closed.status_code == 200  # sal is open: an admin may move it across teams


# ---- touches ---------------------------------------------------------------------------------


def test_touches_only_of_leads_one_may_see(world: World, engine: Engine) -> None:
    with unit_of_work(engine) as session:
        rows = [
            Touch(lead_id=world.lead[1], kind="visit", occurred_at=at(5, 8)),
            Touch(lead_id=world.lead[1], kind="form", occurred_at=at(5, 9)),
            Touch(lead_id=world.lead[4], kind="visit", occurred_at=at(8)),
        ]
        session.add_all(rows)
        session.flush()
        ids = [t.id for t in rows]
    mine = world.rep_a.get("/api/v1/touches")
    assert [t["id"] for t in mine.json()["items"]] == [ids[1], ids[0]]
    assert world.rep_a.get("/api/v1/touches", params={"lead_id": world.lead[4]}).status_code == 404
    visits = world.admin.get("/api/v1/touches", params={"kind": "visit", "sort": "occurred_at"})
    assert [t["id"] for t in visits.json()["items"]] == [ids[0], ids[2]]
    day = world.admin.get("/api/v1/touches", params={"from": "2026-01-08", "to": "2026-01-08"})
    assert [t["id"] for t in day.json()["items"]] == [ids[2]]
    of_lead = world.rep_a.get(f"/api/v1/leads/{world.lead[1]}/touches", params={"limit": 1})
    assert [t["kind"] for t in of_lead.json()["items"]] == ["form"]
    assert of_lead.json()["next_cursor"] is not None
    assert world.rep_a.get(f"/api/v1/leads/{world.lead[4]}/touches").status_code == 404


# ---- the session cookie ----------------------------------------------------------------------


def test_cookie_changes_need_the_csrf_token(world: World, client: TestClient) -> None:
    client.cookies.clear()
    wrong = client.post("/api/v1/session", json={"email": world.rep_a.email, "password": "nope"})
    assert wrong.status_code == 401
    signed = client.post("/api/v1/session", json={"email": world.rep_a.email, "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    csrf = signed.json()["csrf_token"]
    assert signed.json()["user"]["id"] == world.rep_a.user_id
    assert "password_hash" not in signed.text
    url = f"/api/v1/leads/{world.lead[1]}/accept"
    assert client.get("/api/v1/leads").status_code == 200  # reading needs no token
    refused = client.post(url)
    assert refused.status_code == 403
    assert client.post(url, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post(url, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.delete("/api/v1/session").status_code == 204
    assert client.get("/api/v1/leads").status_code == 401


def test_failed_sign_ins_count_and_lock_out_with_429(
    world: World, client: TestClient, engine: Engine
) -> None:
    body = {"email": world.rep_b.email, "password": "wrong password"}
    assert client.post("/api/v1/session", json=body).status_code == 401
    with unit_of_work(engine) as session:
        assert session.get_one(User, world.rep_b.user_id).failed_sign_ins == 1
    codes = [client.post("/api/v1/session", json=body).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    right = client.post("/api/v1/session", json={**body, "password": PASSWORD})
    assert right.status_code == 429


def test_the_capture_endpoint_still_wants_an_api_key(world: World) -> None:
    response = world.admin.post("/api/v1/leads", json={"email": "x@example.com"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "X-API-Key"


@pytest.mark.parametrize(
    ("method", "url", "body", "location"),
    [
        ("get", "/api/v1/leads/99999999999", None, ["path", "lead_id"]),
        ("get", "/api/v1/leads?owner_id=99999999999", None, ["query", "owner_id"]),
        ("get", "/api/v1/leads?q=a%00b", None, ["query", "q"]),
        ("patch", "/api/v1/leads/{lead}", {"notes": "a\u0000b"}, ["body", "notes"]),
        ("put", "/api/v1/leads/{lead}/tags", {"tags": ["a\u0000"]}, ["body", "tags"]),
        ("post", "/api/v1/leads/{lead}/assign", {"owner_id": 2**40}, ["body", "owner_id"]),
    ],
)
def test_out_of_range_ids_and_nul_characters_are_422_not_500(
    world: World, method: str, url: str, body: Any, location: list[str]
) -> None:
    kwargs = {"json": body} if body is not None else {}
    response = getattr(world.admin, method)(url.format(lead=world.lead[1]), **kwargs)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][: len(location)] == location
