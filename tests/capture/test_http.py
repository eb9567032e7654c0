"""POST /api/v1/leads through the real app (TestClient over ASGI), with an API key of the webinar
channel: 201 new, 200 merged, 401, 422 for a lead that cannot be cleaned, idempotency keys, UTM.
(Bodies of the wrong shape, 413, /healthz and /openapi.json: test_http_requests.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from closeloop.db.engine import unit_of_work
from closeloop.db.types import utcnow
from closeloop.models import ApiKey, Lead
from tests.capture.conftest import Marketing
from tests.capture.helpers import TestClient, issue_key, leads_of, row_counts, touches_of

WANG_WEI = {
    "full_name": "Wang Wei",
    "email": "Wang.Wei@Huaxin.cn",
    "company": "Huaxin Tech Co., Ltd.",
}


def post(client: TestClient, key: str | None, body: Any, **headers: str) -> Any:
    if key is not None:
        headers["X-API-Key"] = key
    return client.post("/api/v1/leads", json=body, headers=headers)


def lead_count(read: Session) -> int:
    read.rollback()
    return read.scalar(select(func.count()).select_from(Lead)) or 0


# ---- capture -----------------------------------------------------------------------------------


def test_a_new_lead_is_201_with_the_lead(
    client: TestClient, key: str, marketing: Marketing, read: Session
) -> None:
    response = post(client, key, WANG_WEI)

    assert response.status_code == 201, response.text
    body = response.json()
    assert {k: body[k] for k in ("status", "full_name", "email", "company", "channel_id")} == {
        "status": "new",
        "full_name": "Wang Wei",
        "email": "wang.wei@huaxin.cn",
        "company": "Huaxin Tech Co., Ltd.",
        "channel_id": marketing.webinar,
    }
    assert body["merged"] is False
    assert [lead.id for lead in leads_of(read)] == [body["id"]]


def test_the_same_email_again_is_200_with_the_lead_it_merged_into(
    client: TestClient, key: str, read: Session
) -> None:
    first = post(client, key, WANG_WEI).json()

    response = post(client, key, {"full_name": "W. Wang", "email": "wang.wei@huaxin.cn"})

    assert response.status_code == 200, response.text
    assert (response.json()["id"], response.json()["merged"]) == (first["id"], True)
    assert [lead.status for lead in leads_of(read)] == ["new", "merged"]


def test_the_same_phone_written_differently_is_200_with_the_lead_it_merged_into(
    client: TestClient, key: str
) -> None:
    first = post(client, key, {"full_name": "王伟", "phone": "13800138000", "default_region": "CN"})

    response = post(client, key, {"full_name": "王伟", "phone": "(+86)138-0013-8000"})

    assert response.status_code == 200, response.text
    assert response.json()["id"] == first.json()["id"]


def test_the_same_body_twice_without_idempotency_key_is_one_lead(
    client: TestClient, key: str, read: Session
) -> None:
    first = post(client, key, WANG_WEI)

    second = post(client, key, WANG_WEI)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert lead_count(read) == 1


def test_utm_values_resolve_the_campaign_of_the_keys_channel(
    client: TestClient, key: str, marketing: Marketing, read: Session
) -> None:
    touch = {"utm_source": "newsletter", "utm_campaign": "spring_2026", "form_name": "signup"}

    response = post(client, key, {**WANG_WEI, "touch": touch})

    body = response.json()
    assert (body["channel_id"], body["campaign_id"]) == (
        marketing.webinar,
        marketing.spring_webinar,
    )
    [first_touch] = touches_of(read, body["id"])
    assert (first_touch.campaign_id, first_touch.utm_campaign, first_touch.kind) == (
        marketing.spring_webinar,
        "spring_2026",
        "form_fill",
    )


def test_a_campaign_of_another_channel_is_not_taken_from_the_utm_values(
    client: TestClient, key: str, marketing: Marketing
) -> None:
    touch = {"utm_campaign": "china-industrial-fair"}

    body = post(client, key, {**WANG_WEI, "touch": touch}).json()

    assert (body["channel_id"], body["campaign_id"]) == (marketing.webinar, None)


def test_a_malformed_email_with_a_valid_phone_is_201(client: TestClient, key: str) -> None:
    response = post(client, key, {"email": "wang.at.huaxin.cn", "phone": "+86 138 0013 8000"})

    assert response.status_code == 201, response.text
    assert (response.json()["email"], response.json()["phone"]) == (None, "+8613800138000")


def test_a_cn_mobile_without_country_code_is_taken_as_the_import_takes_it(
    client: TestClient, key: str
) -> None:
    response = post(client, key, {"full_name": "王伟", "phone": "138 0013 8000"})

    assert response.status_code == 201, response.text
    assert response.json()["phone"] == "+8613800138000"


def test_the_same_national_phone_in_another_country_is_another_lead(
    client: TestClient, key: str
) -> None:
    dutch = post(client, key, {"phone": "0612345678", "default_region": "NL"})

    french = post(client, key, {"phone": "0612345678", "default_region": "FR"})

    assert dutch.json()["phone"] == "+31612345678"
    assert (french.status_code, french.json()["phone"]) == (201, "+33612345678")


# ---- keys --------------------------------------------------------------------------------------


def test_no_api_key_is_401(client: TestClient, read: Session) -> None:
    response = post(client, None, WANG_WEI)

    assert response.status_code == 401
    assert response.json() == {"detail": "missing X-API-Key header"}
    assert response.headers["www-authenticate"] == "X-API-Key"
    assert lead_count(read) == 0


def test_a_wrong_api_key_is_401(client: TestClient, key: str, read: Session) -> None:
    response = post(client, key + "x", WANG_WEI)

    assert response.status_code == 401
    assert lead_count(read) == 0


def test_a_revoked_api_key_is_401(
    client: TestClient, key: str, engine: Engine, read: Session
) -> None:
    with unit_of_work(engine) as session:
        session.scalars(select(ApiKey)).one().revoked_at = utcnow()

    response = post(client, key, WANG_WEI)

    assert (response.status_code, response.json()) == (
        401,
        {"detail": "invalid or revoked API key"},
    )
    assert lead_count(read) == 0


# ---- leads that cannot be cleaned ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"full_name": "Wang Wei", "company": "Huaxin"}, ["body", "email"]),
        ({"full_name": "Wang Wei", "email": "wang.at.huaxin.cn"}, ["body", "email"]),
        ({"phone": "12345"}, ["body", "phone"]),
    ],
    ids=["no-contact", "malformed-email", "bad-phone"],
)
def test_a_lead_that_cannot_be_cleaned_is_422_with_the_fields_path(
    client: TestClient, key: str, engine: Engine, body: dict[str, Any], loc: list[str]
) -> None:
    before = row_counts(engine)

    response = post(client, key, body)

    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [loc]
    assert row_counts(engine) == before


# ---- idempotency -------------------------------------------------------------------------------


def test_the_same_idempotency_key_and_body_twice_gives_the_same_answer(
    client: TestClient, key: str, read: Session
) -> None:
    first = post(client, key, WANG_WEI, **{"Idempotency-Key": "form-1"})

    again = post(client, key, WANG_WEI, **{"Idempotency-Key": "form-1"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert lead_count(read) == 1


def test_a_replayed_merge_is_200_again(client: TestClient, key: str, read: Session) -> None:
    post(client, key, WANG_WEI)
    merged = post(client, key, {"email": "wang.wei@huaxin.cn"}, **{"Idempotency-Key": "form-2"})

    again = post(client, key, {"email": "wang.wei@huaxin.cn"}, **{"Idempotency-Key": "form-2"})

    assert (merged.status_code, again.status_code) == (200, 200)
    assert again.json()["id"] == merged.json()["id"]
    assert lead_count(read) == 2


def test_the_same_idempotency_key_with_another_body_is_409(
    client: TestClient, key: str, read: Session
) -> None:
    post(client, key, WANG_WEI, **{"Idempotency-Key": "form-1"})

    response = post(client, key, {"email": "li.na@huaxin.cn"}, **{"Idempotency-Key": "form-1"})

    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["detail"]
    assert lead_count(read) == 1


def test_the_same_idempotency_key_of_another_api_key_is_another_request(
    client: TestClient, key: str, engine: Engine, read: Session
) -> None:
    other = issue_key(engine, "paid_search")
    post(client, key, WANG_WEI, **{"Idempotency-Key": "form-1"})

    response = post(client, other, {"email": "li.na@huaxin.cn"}, **{"Idempotency-Key": "form-1"})

    assert response.status_code == 201
    assert lead_count(read) == 2
