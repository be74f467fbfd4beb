"""Partners' webhooks in one process: which URLs may be called (at add time and at
send time), the events recorded, the signature a receiver checks, retries with
backoff and the final `failed`, one delivery per success under two workers, and the
sweep that wakes what Redis forgot."""

# ruff: noqa: F811 - the receiver fixture imported from partners_support is used as an argument

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from campaign.core.extensions import db
from campaign.core.queues import WEBHOOKS, get_queue, redis_connection
from campaign.models import WebhookDelivery, WebhookEndpoint
from campaign.models.base import utcnow
from campaign.partners import events, webhook_sender, webhook_signing, webhook_urls, webhooks

from .partners_support import campaign, make_partner, receiver, supporter_with_letters  # noqa: F401

HOSTILE_URLS = {
    "http://93.184.216.34/hook": "scheme",
    "https://127.0.0.1/hook": "address",
    "https://127.1/hook": "address",
    "https://2130706433/hook": "address",
    "https://0x7f000001/hook": "address",
    "https://[::1]/hook": "address",
    "https://[::ffff:127.0.0.1]/hook": "address",
    "https://[::ffff:10.0.0.1]/hook": "address",
    "https://[64:ff9b::a9fe:a9fe]/hook": "address",
    "https://[2002:7f00:1::]/hook": "address",
    "https://10.1.2.3/hook": "address",
    "https://172.16.0.1/hook": "address",
    "https://192.168.1.1/hook": "address",
    "https://100.64.0.1/hook": "address",
    "https://169.254.169.254/latest/meta-data/": "address",
    "https://[fe80::1]/hook": "address",
    "https://[fd00::1]/hook": "address",
    "https://224.0.0.1/hook": "address",
    "https://240.0.0.1/hook": "address",
    "https://0.0.0.0/hook": "address",
    "https://localhost/hook": "address",
    "https://partner.example@127.0.0.1/hook": "userinfo",
    "https://user:pass@93.184.216.34/hook": "userinfo",
    "https://93.184.216.34\\@127.0.0.1/": "characters",
    "https://93.184.216.34/ho ok": "characters",
    "ftp://93.184.216.34/hook": "scheme",
    "file:///etc/passwd": "scheme",
    "javascript:alert(1)": "scheme",
    "https:///hook": "host",
    "https://93.184.216.34:99999/hook": "port",
    "https://no-such-name.invalid/hook": "resolve",
    "https://" + "a" * 600 + ".org/": "length",
}


@pytest.mark.parametrize("url", sorted(HOSTILE_URLS))
def test_unsafe_urls_are_refused(url):
    with pytest.raises(webhook_urls.UnsafeURL) as refused:
        webhook_urls.check(url, allow_loopback=False)
    assert refused.value.code == HOSTILE_URLS[url]


def test_public_https_urls_pass_and_loopback_only_with_the_setting():
    target = webhook_urls.check("https://93.184.216.34:8443/hook?x=1", allow_loopback=False)
    assert (target.host, target.port, target.path, target.address) == (
        "93.184.216.34",
        8443,
        "/hook?x=1",
        "93.184.216.34",
    )
    assert webhook_urls.check("http://127.0.0.1:9/hook", allow_loopback=True).scheme == "http"
    assert webhook_urls.check("https://localhost/hook", allow_loopback=True).address in (
        "127.0.0.1",
        "::1",
    )
    # Even with loopback allowed, private networks and plain http to the world are not.
    for url, code in (
        ("https://10.0.0.1/hook", "address"),
        ("https://169.254.169.254/", "address"),
        ("http://93.184.216.34/hook", "scheme"),
    ):
        with pytest.raises(webhook_urls.UnsafeURL) as refused:
            webhook_urls.check(url, allow_loopback=True)
        assert refused.value.code == code


def _endpoint(partner, url: str) -> WebhookEndpoint:
    """An endpoint written directly (as if its URL had passed when it was added)."""
    endpoint = WebhookEndpoint(
        partner_id=partner.id, url=url, secret=webhook_signing.new_secret(), active=True
    )
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def _deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars())


@pytest.fixture
def loopback_app(make_app, seeded):
    app = make_app(WEBHOOKS_ALLOW_LOOPBACK=True, WEBHOOK_RETRY_BASE_SECONDS=1)
    with app.app_context():
        yield app


def test_a_confirmation_reaches_the_receiver_signed(loopback_app, receiver, drain):
    partner = make_partner("ours", campaign())
    endpoint = webhooks.add_endpoint(partner, receiver.url, None)
    receiver.secret = endpoint.secret
    other = make_partner("theirs", campaign())
    _endpoint(other, receiver.url)
    supporter, submission, consent = supporter_with_letters(campaign(), partner, "PL")
    events.consents_confirmed([consent.id])
    db.session.commit()  # as the caller does
    (delivery,) = _deliveries()  # for the partner's endpoint only
    assert delivery.state == "pending" and delivery.endpoint_id == endpoint.id
    delivery_id, secret = delivery.id, endpoint.secret
    name, email, wording = supporter.name, supporter.email, consent.wording
    drain()
    (got,) = receiver.wait_for(1)
    assert got.signed
    assert got.headers["webhook-id"] == f"delivery_{delivery_id}"
    assert got.headers["webhook-event"] == "consent.confirmed"
    body = got.event
    assert body["type"] == "consent.confirmed"
    person = body["data"]["person"]
    assert person["name"] == name and person["postal_addresses"] == [{"country": "PL"}]
    assert person["email_addresses"][0]["address"] == email
    assert body["data"]["consent"]["wording"] == wording
    assert body["data"]["campaign"]["slug"] == "time-for-release"
    (delivery,) = _deliveries()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)
    assert delivery.payload == "" and delivery.delivered_at is not None
    # A tampered body, or another secret, does not verify.
    now = int(time.time())
    assert not webhook_signing.verify(secret, got.headers, got.body + b" ", 300, now)
    assert not webhook_signing.verify(webhook_signing.new_secret(), got.headers, got.body, 300, now)
    assert not webhook_signing.verify(secret, got.headers, got.body, 300, now + 3600)


def test_nothing_is_sent_for_consents_that_do_not_stand(loopback_app, receiver):
    partner = make_partner("ours", campaign())
    _endpoint(partner, receiver.url)
    inactive = _endpoint(partner, receiver.url)
    inactive.active = False
    db.session.commit()
    _s, _sub, unconfirmed = supporter_with_letters(campaign(), partner, confirmed=False)
    _s, _sub, withdrawn = supporter_with_letters(campaign(), partner)
    withdrawn.withdrawn_at = utcnow()
    db.session.commit()
    events.consents_confirmed([unconfirmed.id, withdrawn.id, 10**9])
    db.session.commit()  # as the caller does
    events.consent_withdrawn(unconfirmed.id)  # never confirmed: the partner never heard
    db.session.commit()  # as the caller does
    events.consent_withdrawn(10**9)
    db.session.commit()  # as the caller does
    assert _deliveries() == []


def test_a_withdrawal_before_delivery_stops_the_confirmation(loopback_app, receiver, drain):
    partner = make_partner("ours", campaign())
    endpoint = _endpoint(partner, receiver.url)
    receiver.secret = endpoint.secret
    supporter, _sub, consent = supporter_with_letters(campaign(), partner)
    email = supporter.email
    events.consents_confirmed([consent.id])
    db.session.commit()  # as the caller does
    consent.withdrawn_at = utcnow()
    db.session.commit()
    events.consent_withdrawn(consent.id)
    db.session.commit()  # as the caller does
    drain()
    (got,) = receiver.wait_for(1)
    assert got.event["type"] == "consent.withdrawn" and got.signed
    assert got.event["data"]["person"]["email_addresses"][0] == {
        "address": email,
        "primary": True,
        "status": "unsubscribed",
    }
    confirmed, withdrawn = _deliveries()
    assert confirmed.state == "failed" and "withdrawn" in confirmed.last_error
    assert confirmed.payload == "" and withdrawn.state == "delivered"


def test_failures_are_retried_with_backoff_then_given_up(make_app, seeded, receiver):
    app = make_app(
        WEBHOOKS_ALLOW_LOOPBACK=True, WEBHOOK_MAX_ATTEMPTS=3, WEBHOOK_RETRY_BASE_SECONDS=10
    )
    with app.app_context():
        partner = make_partner("ours", campaign())
        _endpoint(partner, receiver.url)
        _s, _sub, consent = supporter_with_letters(campaign(), partner)
        events.consents_confirmed([consent.id])
        db.session.commit()  # as the caller does
        (delivery,) = _deliveries()
        receiver.failing = True
        waits = []
        for attempt in (1, 2, 3):
            before = utcnow()
            assert webhook_sender.deliver(delivery.id) == ("retry" if attempt < 3 else "failed")
            (delivery,) = _deliveries()
            assert delivery.attempts == attempt and delivery.last_status == 500
            # Not due before its time: a second try now does nothing.
            assert webhook_sender.deliver(delivery.id) == "skipped"
            waits.append((delivery.next_attempt_at - before).total_seconds())
            db.session.execute(WebhookDelivery.__table__.update().values(next_attempt_at=utcnow()))
            db.session.commit()
        assert 9 < waits[0] < 12 and 19 < waits[1] < 22
        assert delivery.state == "failed" and delivery.payload == ""
        assert "gave up after 3 attempts: HTTP 500" == delivery.last_error
        assert len(receiver.received) == 3
        # The retry was woken through RQ's scheduler, 10 and then 20 seconds later.
        assert get_queue(WEBHOOKS).scheduled_job_registry.count == 2


def test_a_url_that_turns_unsafe_is_not_called(make_app, seeded, receiver):
    """Checked again before each request: loopback once the setting is off."""
    app = make_app(WEBHOOKS_ALLOW_LOOPBACK=False)
    with app.app_context():
        partner = make_partner("ours", campaign())
        _endpoint(partner, receiver.url)
        _s, _sub, consent = supporter_with_letters(campaign(), partner)
        events.consents_confirmed([consent.id])
        db.session.commit()  # as the caller does
        (delivery,) = _deliveries()
        assert webhook_sender.deliver(delivery.id) == "retry"
        (delivery,) = _deliveries()
        assert delivery.last_error.startswith("not sent: the URL must start with https://")
        assert receiver.received == []


def test_two_workers_send_a_delivery_once(loopback_app, receiver):
    partner = make_partner("ours", campaign())
    _endpoint(partner, receiver.url)
    _s, _sub, consent = supporter_with_letters(campaign(), partner)
    events.consents_confirmed([consent.id])
    db.session.commit()  # as the caller does
    (delivery,) = _deliveries()
    first = webhook_sender.claim(delivery.id)
    assert first is not None and first.attempts == 1
    assert webhook_sender.claim(delivery.id) is None  # the other worker finds it taken
    assert webhook_sender.deliver(delivery.id) == "skipped"
    # Its lease runs out: another worker may take it, and the first one's late outcome
    # is not written over the second's.
    db.session.execute(WebhookDelivery.__table__.update().values(next_attempt_at=utcnow()))
    db.session.commit()
    assert webhook_sender.deliver(delivery.id) == "delivered"
    assert not webhook_sender._finish(first, 1, state="failed")
    (delivery,) = _deliveries()
    assert delivery.state == "delivered" and delivery.attempts == 2
    assert len(receiver.accepted()) == 1
    assert webhook_sender.deliver(delivery.id) == "skipped"


def test_the_sweep_wakes_what_redis_forgot(loopback_app, receiver, drain):
    partner = make_partner("ours", campaign())
    _endpoint(partner, receiver.url)
    _s, _sub, consent = supporter_with_letters(campaign(), partner)
    events.consents_confirmed([consent.id])
    db.session.commit()  # as the caller does
    redis_connection().flushdb()
    drain()
    assert receiver.received == []
    func, interval = __import__("campaign.periodic", fromlist=["PERIODIC"]).PERIODIC[
        "wake_webhook_deliveries"
    ]
    assert interval <= 60
    assert func() == 1
    drain()
    receiver.wait_for(1)
    assert func() == 0  # nothing left that is due
    (delivery,) = _deliveries()
    assert delivery.state == "delivered"
    # A delivery not yet due is left alone.
    partner = make_partner("again", campaign())
    _endpoint(partner, receiver.url)
    _s, _sub, later = supporter_with_letters(campaign(), partner)
    events.consents_confirmed([later.id])
    db.session.commit()  # as the caller does
    redis_connection().flushdb()
    db.session.execute(
        WebhookDelivery.__table__.update()
        .where(WebhookDelivery.state == "pending")
        .values(next_attempt_at=utcnow() + timedelta(minutes=5))
    )
    db.session.commit()
    assert func() == 0


def test_webhook_logs_name_ids_and_outcomes_never_the_person(loopback_app, receiver, caplog):
    partner = make_partner("ours", campaign())
    endpoint = _endpoint(partner, receiver.url)
    supporter, _sub, consent = supporter_with_letters(campaign(), partner, name="Ala Nowak")
    events.consents_confirmed([consent.id])
    db.session.commit()  # as the caller does
    (delivery,) = _deliveries()
    assert json.loads(delivery.payload)["data"]["person"]["name"] == "Ala Nowak"
    with caplog.at_level(logging.DEBUG):
        assert webhook_sender.deliver(delivery.id) == "delivered"
    assert f"webhook delivery {delivery.id} (endpoint {endpoint.id}, consent.confirmed)" in (
        caplog.text
    )
    for secret in ("Ala Nowak", supporter.email, endpoint.secret, receiver.url):
        assert secret not in caplog.text


def _raw_server(handle) -> tuple[str, threading.Thread, socket.socket]:
    """A loopback TCP server that runs ``handle(connection)`` for one connection."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():
        connection, _ = server.accept()
        with connection:
            handle(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.getsockname()[1]}/hook", thread, server


def _trickle(connection):
    connection.recv(65536)
    try:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 40:
            connection.sendall(bytes([byte]))
            time.sleep(0.3)
    except OSError:
        pass


def _silent(connection):
    connection.recv(65536)
    time.sleep(2)


def _redirect(connection):
    connection.recv(65536)
    connection.sendall(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n"
    )


@pytest.mark.parametrize(
    "handle,error,most_seconds",
    [
        (_trickle, "no complete answer in time", 3.8),
        (_silent, "timed out", 1.8),
        (_redirect, "HTTP 302: redirects are not followed", 1),
    ],
)
def test_slow_silent_and_redirecting_receivers(make_app, seeded, handle, error, most_seconds):
    """A receiver that trickles its answer is cut off after three timeouts, a silent
    one after one; a redirect is not followed. Each is tried again later."""
    app = make_app(WEBHOOKS_ALLOW_LOOPBACK=True, WEBHOOK_TIMEOUT=1)
    with app.app_context():
        url, thread, server = _raw_server(handle)
        partner = make_partner("ours", campaign())
        _endpoint(partner, url)
        _s, _sub, consent = supporter_with_letters(campaign(), partner)
        events.consents_confirmed([consent.id])
        db.session.commit()  # as the caller does
        (delivery,) = _deliveries()
        started = time.monotonic()
        assert webhook_sender.deliver(delivery.id) == "retry"
        assert time.monotonic() - started < most_seconds
        (delivery,) = _deliveries()
        assert delivery.last_error == error and delivery.state == "pending"
        server.close()
        thread.join(5)


@pytest.mark.parametrize(
    "settings,message",
    [
        ({"WEBHOOKS_ALLOW_LOOPBACK": True}, "WEBHOOKS_ALLOW_LOOPBACK must be off in production"),
        ({"API_RATE_LIMIT": "lots"}, "API_RATE_LIMIT must read like 60/minute;1000/hour"),
        ({"WEBHOOK_TIMEOUT": 120.0}, "WEBHOOK_TIMEOUT must be at most 30 seconds"),
        ({"WEBHOOK_MAX_ATTEMPTS": 0}, "WEBHOOK_MAX_ATTEMPTS must be above 0"),
    ],
)
def test_partner_settings_are_checked_at_start(settings, message):
    from campaign.core.config import ConfigError, load_config

    production = {
        "ENV": "production",
        "SECRET_KEY": "k" * 40,
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/x",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "MAIL_BACKEND": "outbox",
        "MAIL_FROM": "a@example.org",
    }
    assert load_config("/nonexistent", production)["WEBHOOKS_ALLOW_LOOPBACK"] is False
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config("/nonexistent", {**production, **settings})
    development = {**production, "ENV": "development"}
    assert load_config("/nonexistent", development)["WEBHOOKS_ALLOW_LOOPBACK"] is True
