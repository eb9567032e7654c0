"""Webhook calls: a signed JSON POST; any 2xx answer is delivered, anything else failed.

The signature header is ``X-Closeloop-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
the HMAC-SHA256, keyed with the subscription's secret, of ``"<t>.<body>"`` (the raw body bytes).
A receiver recomputes it over the body it got, compares in constant time, and refuses a ``t``
too far from its clock (replays). Delivery is at least once: receivers de-duplicate by the
``X-Closeloop-Event-Id`` header (the body's ``id``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any

import httpx

SIGNATURE_HEADER = "X-Closeloop-Signature"
USER_AGENT = "closeloop-webhooks/1"


class DeliveryFailed(Exception):
    """A send did not succeed; the message says why (kept as the delivery's last error)."""


def new_secret() -> str:
    """A random signing secret for a subscription."""
    return "whsec_" + secrets.token_urlsafe(32)


def event_body(event_id: int, topic: str, created_at: datetime, payload: dict[str, Any]) -> bytes:
    """The JSON body of a webhook call: ``{id, topic, created_at, payload}``."""
    document = {
        "id": event_id,
        "topic": topic,
        "created_at": created_at.isoformat(),
        "payload": payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, now: float, tolerance: float = 300) -> bool:
    """What a receiver does: the header's ``v1`` matches and ``t`` is within ``tolerance`` s."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def post_webhook(
    client: httpx.Client,
    *,
    url: str,
    secret: str,
    body: bytes,
    topic: str,
    event_id: int,
    delivery_id: int,
    timestamp: int,
) -> None:
    """POST one signed event; raise ``DeliveryFailed`` unless the answer is 2xx."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Closeloop-Event": topic,
        "X-Closeloop-Event-Id": str(event_id),
        "X-Closeloop-Delivery": str(delivery_id),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}".strip()) from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code} from {url}")


def http_client(timeout_seconds: float) -> httpx.Client:
    """The client webhook calls share (thread-safe; redirects are failures, not followed)."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 5.0)),
        follow_redirects=False,
    )
