"""SendGrid's Event Webhook: signed batches are kept once and move letters forward;
anything unsigned, tampered with or stale is refused."""

from __future__ import annotations

import json
import time

import pytest

from campaign.core.extensions import db
from campaign.models import AddressFlag, DeliveryEvent, LetterEvent
from campaign.tracking import catch_up, letter_progress, reports, rollups
from campaign.tracking import events as event_service

from . import tracking_helpers as th


@pytest.fixture
def keys():
    return th.keypair()


@pytest.fixture
def tracked(make_app, keys):
    app = make_app(
        SENDGRID_WEBHOOK_PUBLIC_KEY=keys[1],
        INBOUND_DOMAIN=th.INBOUND_DOMAIN,
        INBOUND_SECRET=th.INBOUND_SECRET,
    )
    with app.app_context():
        from campaign.seed import seed_demo

        seed_demo()
        yield app


def _count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def test_a_signed_batch_is_kept_and_moves_letters_forward(tracked, keys):
    private, _ = keys
    a, b, c, d, e, f = th.send_letters(th.reps_of("DE")[:4] + th.reps_of("FR")[:2])
    batch = [
        th.event(a, "processed"),
        th.event(a, "delivered"),
        th.event(b, "bounce", type="bounce", reason="550 5.1.1 user unknown"),
        th.event(c, "dropped", reason="Bounced Address"),
        th.event(d, "deferred", response="451 try again later"),
        th.event(e, "bounce", type="blocked", reason="452 mailbox busy"),
        th.event(f, "spamreport"),
        th.event(a, "group_resubscribe"),  # not one we act on: kept all the same
        {"event": "delivered", "letter_id": "999999", "sg_event_id": "for-nobody", "timestamp": 1},
    ]
    response = th.post_events(tracked.test_client(), private, batch)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"received": 9, "stored": 9, "duplicates": 0}
    assert _count(DeliveryEvent) == 9
    assert [th.state_of(x.id) for x in (a, b, c, d, e, f)] == [
        "delivered",
        "bounced",
        "bounced",
        "sent",
        "sent",
        "delivered",
    ]
    unknown = db.session.execute(
        db.select(DeliveryEvent).filter_by(sg_event_id="for-nobody")
    ).scalar_one()
    assert unknown.letter_id is None and unknown.payload["letter_id"] == "999999"
    stored = db.session.execute(db.select(DeliveryEvent).filter_by(letter_id=b.id)).scalar_one()
    assert (stored.event, stored.severity, stored.reason) == (
        "bounce",
        "hard",
        "550 5.1.1 user unknown",
    )

    # A hard bounce and a drop flag the address; a soft bounce and a deferral do not.
    flags = {f.representative_id: f for f in db.session.execute(db.select(AddressFlag)).scalars()}
    assert set(flags) == {b.representative_id, c.representative_id}
    assert flags[b.representative_id].email == b.representative.email.lower()
    assert flags[b.representative_id].source == "event"

    rows = {row.ident: row for row in reports.responses("representative")}
    assert rows[a.representative_id].counts["delivered"] == 1
    assert rows[b.representative_id].counts["bounced"] == 1
    assert rows[d.representative_id].counts == {
        **rows[d.representative_id].counts,
        "sent": 1,
        "delivered": 0,
    }


def test_events_posted_twice_are_kept_once(tracked, keys):
    private, _ = keys
    (letter,) = th.send_letters(th.reps_of("IE")[:1])
    batch = [th.event(letter, "processed"), th.event(letter, "delivered")]
    client = tracked.test_client()
    assert th.post_events(client, private, batch).get_json()["stored"] == 2
    again = th.post_events(client, private, batch + batch)
    assert again.status_code == 200
    assert again.get_json() == {"received": 4, "stored": 0, "duplicates": 4}
    assert _count(DeliveryEvent) == 2
    moves = (
        db.session.execute(
            db.select(LetterEvent.to_state).filter_by(letter_id=letter.id).order_by(LetterEvent.id)
        )
        .scalars()
        .all()
    )
    assert moves == ["sent", "delivered"]


def test_state_only_moves_forward_whatever_the_order(tracked, keys):
    private, _ = keys
    bounced_first, replied = th.send_letters(th.reps_of("PL")[:2])
    client = tracked.test_client()
    # The bounce overtakes the delivery: a late "delivered" does not undo it.
    th.post_events(client, private, [th.event(bounced_first, "bounce", type="bounce")])
    th.post_events(client, private, [th.event(bounced_first, "delivered")])
    assert th.state_of(bounced_first.id) == "bounced"
    # A replied letter stays replied when a delivery or a bounce arrives later.
    letter_progress.advance_letter(replied.id, event_service.LetterState.REPLIED, "test")
    db.session.commit()
    th.post_events(client, private, [th.event(replied, "delivered"), th.event(replied, "bounce")])
    assert th.state_of(replied.id) == "replied"
    assert _count(DeliveryEvent) == 4  # every event is kept


def test_an_event_that_overtakes_the_worker_is_applied_later(tracked, keys):
    private, _ = keys
    (letter,) = th.send_letters(th.reps_of("LT")[:1])
    letter.state = "sending"  # as if the worker had not recorded the send yet
    db.session.commit()
    th.post_events(tracked.test_client(), private, [th.event(letter, "delivered")])
    assert th.state_of(letter.id) == "sending"
    letter = db.session.get(type(letter), letter.id)
    letter.state = "sent"
    db.session.commit()
    assert catch_up.reconcile_states() == 1
    assert th.state_of(letter.id) == "delivered"


def test_events_for_another_installations_letter_are_kept_unmatched(tracked, keys):
    private, _ = keys
    (letter,) = th.send_letters(th.reps_of("IE")[:1])
    letter.provider_message_id = "OurOwnXMessageId12345"
    db.session.commit()
    stranger = th.event(letter, "bounce", email="someone.else@example.net")
    stranger["sg_message_id"] = "TheirXMessageId999999.filter.0"
    th.post_events(tracked.test_client(), private, [stranger])
    assert th.state_of(letter.id) == "sent"
    assert db.session.execute(db.select(DeliveryEvent.letter_id)).scalar_one() is None


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "no-timestamp",
        "malformed",
        "not-base64",
        "wrong-key",
        "tampered",
        "stale",
        "future",
    ],
)
def test_unsigned_tampered_or_stale_batches_are_refused(tracked, keys, case):
    private, _ = keys
    (letter,) = th.send_letters(th.reps_of("FR")[:1])
    client = tracked.test_client()
    batch = [th.event(letter, "delivered")]
    payload = json.dumps(batch).encode()
    now = str(int(time.time()))
    if case == "missing":
        response = client.post(
            "/webhooks/sendgrid/events", data=payload, content_type="application/json"
        )
    elif case == "no-timestamp":
        response = client.post(
            "/webhooks/sendgrid/events",
            data=payload,
            headers={"X-Twilio-Email-Event-Webhook-Signature": th.sign(private, now, payload)},
        )
    elif case == "malformed":
        response = th.post_events(client, private, batch, signature="MEUCIQ==")
    elif case == "not-base64":
        response = th.post_events(client, private, batch, signature="%%% not a signature %%%")
    elif case == "wrong-key":
        other, _ = th.keypair()
        response = th.post_events(
            client, private, batch, signature=th.sign(other, now, payload), timestamp=now
        )
    elif case == "tampered":
        signature = th.sign(private, now, payload)
        forged = payload.replace(b'"delivered"', b'"dropped"')
        response = th.post_events(
            client, private, batch, body=forged, signature=signature, timestamp=now
        )
    elif case == "stale":
        response = th.post_events(client, private, batch, timestamp=str(int(time.time()) - 11 * 60))
    else:
        response = th.post_events(client, private, batch, timestamp=str(int(time.time()) + 11 * 60))
    assert response.status_code == 403
    assert _count(DeliveryEvent) == 0
    assert th.state_of(letter.id) == "sent"


def test_odd_values_are_stored_not_refused(tracked, keys):
    private, _ = keys
    (letter,) = th.send_letters(th.reps_of("FR")[:1])
    batch = [
        th.event(letter, "bounce", type="bounce", reason="550 \x00 odd"),
        th.event(letter, "processed", sg_event_id="x" * 300, letter_id="not-a-number"),
        "not an object",
    ]
    response = th.post_events(tracked.test_client(), private, batch)
    assert response.status_code == 200 and response.get_json()["stored"] == 3
    assert th.state_of(letter.id) == "bounced"


def test_a_batch_ten_minutes_old_is_still_accepted(tracked, keys):
    private, _ = keys
    (letter,) = th.send_letters(th.reps_of("FR")[:1])
    old = str(int(time.time()) - 9 * 60)
    response = th.post_events(
        tracked.test_client(), private, [th.event(letter, "delivered")], timestamp=old
    )
    assert response.status_code == 200


def test_without_a_configured_key_every_post_is_refused(make_app, keys):
    private, _ = keys
    app = make_app()  # no SENDGRID_WEBHOOK_PUBLIC_KEY
    with app.app_context():
        response = th.post_events(app.test_client(), private, [th.event(None, "delivered")])
        assert response.status_code == 403
        assert _count(DeliveryEvent) == 0


def test_signed_but_not_an_array_is_a_bad_request(tracked, keys):
    private, _ = keys
    client = tracked.test_client()
    assert th.post_events(client, private, None, body=b'{"event": "delivered"}').status_code == 400
    assert th.post_events(client, private, None, body=b"not json").status_code == 400
    assert client.get("/webhooks/sendgrid/events").status_code == 200  # a reachability check


def test_database_down_answers_503_so_sendgrid_retries(make_app, keys):
    private, public = keys
    app = make_app(
        SENDGRID_WEBHOOK_PUBLIC_KEY=public,
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none",
    )
    with app.app_context():
        response = th.post_events(app.test_client(), private, [th.event(None, "delivered")])
    assert response.status_code == 503


def test_rollups_follow_every_state_change(tracked, keys):
    private, _ = keys
    letters = th.send_letters(th.reps_of("DE")[:2])
    th.post_events(tracked.test_client(), private, [th.event(letters[0], "delivered")])
    rollups.refresh()
    incremental = {r.ident: r.counts for r in reports.responses("representative", refresh=False)}
    rollups.rebuild()
    rebuilt = {r.ident: r.counts for r in reports.responses("representative", refresh=False)}
    assert incremental == rebuilt
    assert incremental[letters[0].representative_id]["delivered"] == 1
