"""How a webhook is signed: the Standard Webhooks scheme (standardwebhooks.com).

Each request carries ``webhook-id`` (the delivery's id, the same on every retry),
``webhook-timestamp`` (Unix seconds when it was sent) and ``webhook-signature``:
``v1,`` then the base64 HMAC-SHA256, keyed with the endpoint's secret, of
``<webhook-id>.<webhook-timestamp>.<body>``. The secret is ``whsec_`` followed by
the base64 of 32 random bytes, the key. docs/partners-api.md shows how to verify."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(os.urandom(32)).decode("ascii")


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def message_id(delivery_id: int) -> str:
    return f"delivery_{delivery_id}"


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def headers(secret: str, delivery_id: int, event: str, timestamp: int, body: bytes) -> dict:
    """The headers that sign one request of delivery ``delivery_id``."""
    msg_id = message_id(delivery_id)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id, timestamp, body),
        "webhook-event": event,
    }


def verify(secret: str, received: dict, body: bytes, tolerance: int, now: int) -> bool:
    """What a receiver does (docs/partners-api.md), for the tests and the docs' example."""
    msg_id = received.get("webhook-id", "")
    try:
        timestamp = int(received.get("webhook-timestamp", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, msg_id, timestamp, body)
    offered = received.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)
