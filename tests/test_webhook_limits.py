"""L1 and L4 for the Event Webhook, as the review sent them: a signed post nested
100,000 "[" deep, and a signed post of 60,000 events (7.9 MB) that held a web thread
for 45 s. Posts are bounded in size and nesting before parsing, and in the number of
new events kept per post; a batch over that number is kept in parts over SendGrid's
retries, nothing lost and nothing kept twice."""

from __future__ import annotations

import json
import secrets
import time

import pytest

from campaign.core.extensions import db
from campaign.models import DeliveryEvent

from . import tracking_helpers as th

# The limits the privacy statement (docs/privacy.md) states for the events webhook.
MAX_EVENTS_BYTES = 2 * 1024 * 1024
MAX_EVENTS_PER_POST = 5000


@pytest.fixture
def keys():
    return th.keypair()


@pytest.fixture
def signed(make_app, keys):
    app = make_app(SENDGRID_WEBHOOK_PUBLIC_KEY=keys[1])
    with app.app_context():
        yield app


def stored() -> int:
    return db.session.execute(db.select(db.func.count(DeliveryEvent.id))).scalar_one()


def events(count: int, **extra) -> list[dict]:
    now = int(time.time())
    return [
        {
            "email": f"mp{i}@parliament.example.org",
            "timestamp": now,
            "event": "delivered",
            "sg_event_id": secrets.token_urlsafe(16),
            **extra,
        }
        for i in range(count)
    ]


def test_a_post_nested_100000_deep_is_a_bad_request(signed, keys):
    body = b"[" * 100_000 + b"]" * 100_000
    response = th.post_events(signed.test_client(), keys[0], None, body=body)
    assert response.status_code == 400
    assert "nested deeper than" in response.get_json()["error"]
    assert stored() == 0


def test_brackets_inside_strings_are_not_nesting(signed, keys):
    item = th.event(
        None, "delivered", reason='[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ \\"{{{{{{{{{{{{{{{{{{{{{{'
    )
    response = th.post_events(signed.test_client(), keys[0], [item])
    assert response.status_code == 200 and stored() == 1


def test_the_reviewers_60000_event_post_is_refused_whole(signed, keys):
    batch = events(60_000)
    body = json.dumps(batch).encode()
    assert 7_800_000 < len(body) < 8_000_000  # the review's 7.9 MB
    response = th.post_events(signed.test_client(), keys[0], None, body=body)
    assert response.status_code == 413
    assert stored() == 0
    assert len(body) > MAX_EVENTS_BYTES


def test_a_batch_over_the_limit_is_kept_in_parts_over_sendgrids_retries(signed, keys):
    batch = events(MAX_EVENTS_PER_POST + 500, sg_message_id="unknown.filter0001.1.0")
    body = json.dumps(batch).encode()
    assert len(body) < MAX_EVENTS_BYTES
    client = signed.test_client()
    first = th.post_events(client, keys[0], None, body=body)
    assert first.status_code == 503  # not 2xx: SendGrid posts the batch again
    assert first.get_json()["stored"] == MAX_EVENTS_PER_POST
    assert first.get_json()["deferred"] == 500
    assert stored() == MAX_EVENTS_PER_POST
    again = th.post_events(client, keys[0], None, body=body)
    assert again.status_code == 200
    assert again.get_json() == {
        "received": MAX_EVENTS_PER_POST + 500,
        "stored": 500,
        "duplicates": MAX_EVENTS_PER_POST,
    }
    assert stored() == MAX_EVENTS_PER_POST + 500
    ids = set(db.session.execute(db.select(DeliveryEvent.sg_event_id)).scalars())
    assert ids == {item["sg_event_id"] for item in batch}
