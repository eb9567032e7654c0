"""Users, teams and API tokens over the API: who may list and change them, what a user may change
about themself, that no password hash ever leaves, and that tokens are shown once and revocable."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from closeloop.access.audit import entries_for
from closeloop.db.engine import unit_of_work
from tests.api.conftest import MakeCaller, TestClient


def test_me_is_the_caller_without_a_password_hash(client_as: MakeCaller) -> None:
    rep = client_as("sales_rep", team="East")
    response = rep.get("/api/v1/users/me")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["email"], body["role"], body["team_id"]) == (
        rep.user_id,
        rep.email,
        "sales_rep",
        rep.team_id,
    )
    assert "password" not in response.text


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("sales_manager", 200), ("sales_rep", 403)]
)
def test_who_may_list_users(client_as: MakeCaller, role: str, status: int) -> None:
    caller = client_as(role)
    other = client_as("finance")
    response = caller.get("/api/v1/users")
    assert response.status_code == status
    if status == 200:
        ids = [u["id"] for u in response.json()]
        assert ids == sorted(ids) and {caller.user_id, other.user_id} <= set(ids)
        assert "password_hash" not in response.text
    assert caller.get(f"/api/v1/users/{other.user_id}").status_code == status
    assert caller.get(f"/api/v1/users/{caller.user_id}").status_code == 200


def test_an_admin_creates_a_user_and_the_generated_password_is_shown_once(
    client_as: MakeCaller, client: TestClient
) -> None:
    admin = client_as("admin")
    response = admin.post(
        "/api/v1/users",
        json={"email": "Li.Na@Example.com", "full_name": "李娜", "role": "sdr", "locale": "zh_CN"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["email"], body["role"], body["locale"]) == ("li.na@example.com", "sdr", "zh_CN")
    password = body["password"]
    assert len(password) >= 10
    signed = client.post(
        "/api/v1/session", json={"email": "li.na@example.com", "password": password}
    )
    assert signed.status_code == 200
    assert "password" not in admin.get(f"/api/v1/users/{body['id']}").json()
    again = admin.post(
        "/api/v1/users", json={"email": "li.na@example.com", "full_name": "X", "role": "sdr"}
    )
    assert again.status_code == 409
    bad_role = admin.post(
        "/api/v1/users", json={"email": "a@example.com", "full_name": "A", "role": "boss"}
    )
    assert bad_role.status_code == 422
    assert bad_role.json()["detail"][0]["loc"] == ["body", "role"]


@pytest.mark.parametrize("role", ["sales_manager", "sales_rep"])
def test_only_admins_create_users(client_as: MakeCaller, role: str) -> None:
    caller = client_as(role)
    body = {"email": "new@example.com", "full_name": "New", "role": "admin"}
    assert caller.post("/api/v1/users", json=body).status_code == 403


def test_a_user_changes_own_name_and_language_but_not_own_role(
    client_as: MakeCaller, engine: Engine
) -> None:
    rep = client_as("sales_rep")
    url = f"/api/v1/users/{rep.user_id}"
    old_name = rep.get("/api/v1/users/me").json()["full_name"]
    changed = rep.patch(url, json={"full_name": " Zhang San ", "locale": "zh_CN"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["full_name"], changed.json()["locale"]) == ("Zhang San", "zh_CN")
    assert rep.patch(url, json={"role": "admin"}).status_code == 403
    assert rep.patch(url, json={"locale": "fr"}).status_code == 422
    other = client_as("sales_rep")
    assert rep.patch(f"/api/v1/users/{other.user_id}", json={"full_name": "X"}).status_code == 403
    with unit_of_work(engine) as session:
        (entry,) = entries_for(session, "user", rep.user_id)
    assert (entry.before, entry.after) == (
        {"full_name": old_name, "locale": None},
        {"full_name": "Zhang San", "locale": "zh_CN"},
    )


def test_an_admin_deactivates_a_user_and_their_token_stops_working(
    client_as: MakeCaller,
) -> None:
    admin = client_as("admin")
    rep = client_as("sales_rep")
    assert rep.get("/api/v1/users/me").status_code == 200
    response = admin.patch(f"/api/v1/users/{rep.user_id}", json={"is_active": False})
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert rep.get("/api/v1/users/me").status_code == 401
    yourself = admin.patch(f"/api/v1/users/{admin.user_id}", json={"is_active": False})
    assert yourself.status_code == 422


def test_teams_are_made_and_renamed_by_admins(client_as: MakeCaller) -> None:
    admin = client_as("admin")
    manager = client_as("sales_manager")
    made = admin.post(
        "/api/v1/teams", json={"name": " North  China ", "manager_id": manager.user_id}
    )
    assert made.status_code == 201, made.text
    team = made.json()
    assert (team["name"], team["manager_id"]) == ("North China", manager.user_id)
    assert admin.post("/api/v1/teams", json={"name": "north china"}).status_code == 409
    # Letters beyond ASCII: the same spelling again is a 409, never a database error.
    assert admin.post("/api/v1/teams", json={"name": "ØRSTED Øst"}).status_code == 201
    assert admin.post("/api/v1/teams", json={"name": "ØRSTED Øst"}).status_code == 409
    assert manager.post("/api/v1/teams", json={"name": "Mine"}).status_code == 403
    renamed = admin.patch(f"/api/v1/teams/{team['id']}", json={"name": "华北"})
    assert renamed.json()["name"] == "华北"
    assert [t["name"] for t in manager.get("/api/v1/teams").json()] == ["ØRSTED Øst", "华北"]
    rep = client_as("sales_rep")
    not_a_manager = admin.patch(f"/api/v1/teams/{team['id']}", json={"manager_id": rep.user_id})
    assert not_a_manager.status_code == 422
    assert not_a_manager.json()["detail"][0]["loc"] == ["body", "manager_id"]
    assert admin.patch("/api/v1/teams/999999", json={"name": "X"}).status_code == 404


def test_tokens_are_shown_once_listed_without_secret_and_revocable(
    client_as: MakeCaller, client: TestClient
) -> None:
    rep = client_as("sales_rep")
    made = rep.post("/api/v1/tokens", json={"name": "crm sync", "scopes": ["read"]})
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    listed = rep.get("/api/v1/tokens").json()
    assert [(t["name"], t["scopes"]) for t in listed] == [
        ("tests", "read write"),
        ("crm sync", "read"),
    ]
    assert token not in str(listed)
    new_headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/users/me", headers=new_headers).status_code == 200
    assert (
        client.post(
            "/api/v1/tokens", json={"name": "escalate", "scopes": ["write"]}, headers=new_headers
        ).status_code
        == 403
    )
    other = client_as("sales_rep")
    assert other.delete(f"/api/v1/tokens/{made.json()['id']}").status_code == 404
    assert rep.delete(f"/api/v1/tokens/{made.json()['id']}").status_code == 204
    assert client.get("/api/v1/users/me", headers=new_headers).status_code == 401
    admin = client_as("admin")
    everyone = {t["user_id"] for t in admin.get("/api/v1/tokens").json()}
    assert {rep.user_id, other.user_id, admin.user_id} <= everyone


def test_a_read_only_token_may_not_write_users(client_as: MakeCaller) -> None:
    reader = client_as("admin", scopes="read")
    assert reader.get("/api/v1/users").status_code == 200
    assert reader.post("/api/v1/teams", json={"name": "Team"}).status_code == 403
    assert (
        reader.patch(f"/api/v1/users/{reader.user_id}", json={"full_name": "Reader"}).status_code
        == 403
    )
