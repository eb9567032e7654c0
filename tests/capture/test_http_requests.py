"""What the capture app answers before a lead reaches the database: bodies of the wrong shape
(422 with the field's path), bodies too large (413), /healthz and /openapi.json.

None of this depends on the database, so it runs on SQLite only; test_http.py has the captures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from closeloop.config import Settings
from closeloop.web.app import create_app
from tests.capture.conftest import Marketing
from tests.capture.helpers import SQLITE_ONLY, TestClient, row_counts

pytestmark = SQLITE_ONLY

WANG_WEI = {"full_name": "Wang Wei", "email": "wang.wei@huaxin.cn"}


def post(client: TestClient, key: str, body: Any) -> Any:
    return client.post("/api/v1/leads", json=body, headers={"X-API-Key": key})


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"email": 123}, ["body", "email"]),
        ({"email": "w@huaxin.cn", "fax": "010-1234"}, ["body", "fax"]),
        ({"email": "w@huaxin.cn", "touch": {"utm_term": "crm"}}, ["body", "touch", "utm_term"]),
        ({"email": "w@huaxin.cn", "company_size": -1}, ["body", "company_size"]),
        ({"email": "w@huaxin.cn", "default_region": "CHN"}, ["body", "default_region"]),
    ],
    ids=["wrong-type", "extra-field", "extra-touch-field", "negative-size", "long-region"],
)
def test_a_body_of_the_wrong_shape_is_422_with_the_fields_path(
    client: TestClient, key: str, engine: Engine, body: dict[str, Any], loc: list[str]
) -> None:
    before = row_counts(engine)

    response = post(client, key, body)

    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [loc]
    assert row_counts(engine) == before


def test_a_body_that_is_no_json_object_is_422(client: TestClient, key: str) -> None:
    response = post(client, key, ["w@huaxin.cn"])

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


LIMIT = 1_000


@pytest.fixture
def small_client(db_url: str, marketing: Marketing) -> Iterator[TestClient]:
    """The app with a request body limit of LIMIT bytes."""
    app = create_app(Settings(database_url=db_url, max_request_bytes=LIMIT))
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def body_of(size: int) -> bytes:
    """A valid lead of exactly ``size`` bytes of JSON (its notes are padding)."""
    start, end = b'{"email": "w@huaxin.cn", "notes": "', b'"}'
    return start + b"x" * (size - len(start) - len(end)) + end


def post_bytes(client: TestClient, key: str, content: bytes | Iterator[bytes]) -> Any:
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    return client.post("/api/v1/leads", content=content, headers=headers)


def test_a_body_one_byte_over_the_limit_is_413(small_client: TestClient, key: str) -> None:
    response = post_bytes(small_client, key, body_of(LIMIT + 1))

    assert response.status_code == 413
    assert response.json() == {"detail": "request body larger than 1000 bytes"}


def test_a_body_of_exactly_the_limit_is_taken(small_client: TestClient, key: str) -> None:
    response = post_bytes(small_client, key, body_of(LIMIT))

    assert response.status_code == 201, response.text


def test_a_chunked_body_over_the_limit_is_413(small_client: TestClient, key: str) -> None:
    body = body_of(LIMIT + 1)
    chunks = (body[i : i + 200] for i in range(0, len(body), 200))  # no Content-Length

    response = post_bytes(small_client, key, chunks)

    assert response.status_code == 413


# ---- the app -----------------------------------------------------------------------------------


def test_healthz_is_200(client: TestClient) -> None:
    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_openapi_lists_post_leads_with_its_answers(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/leads"]["post"]

    assert {"201", "200", "401", "422"} <= set(operation["responses"])
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LeadOut"
    }
