"""Partners' webhooks and API across real processes: web, worker and clock as the
Procfile starts them, a loopback receiver (allowed by WEBHOOKS_ALLOW_LOOPBACK). An
admin adds the endpoint and a token through the web; a consenting supporter's
confirmation reaches the receiver signed, and the person is in the API's listing.
Then, with the receiver failing and a delivery waiting for its retry, Redis is
emptied: the delivery still arrives once the receiver recovers, exactly once."""

# ruff: noqa: F811 - the receiver fixture imported from partners_support is an argument

from __future__ import annotations

import json
import re
import time
import urllib.request
from html import unescape

import pytest
from redis import Redis
from sqlalchemy import select

from campaign.core.extensions import db
from campaign.core.queues import WEBHOOKS, get_queue
from campaign.models import WebhookDelivery
from campaign.partners import events
from campaign.seed import seed_demo

from . import procfile
from .conftest import csrf_token
from .delivery_support import wait_until
from .partners_support import campaign, make_partner, receiver, supporter_with_letters  # noqa: F401
from .test_auth import PASSWORD, make_user


def deliveries() -> list[WebhookDelivery]:
    db.session.rollback()
    return list(db.session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars())


def api_get(base: str, path: str, token: str) -> dict:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.headers["Cache-Control"] == "no-store"
        return json.loads(response.read())


@pytest.mark.slow
def test_webhooks_reach_the_partner_and_survive_an_emptied_redis(
    make_app, _schema, redis_url, tmp_path, receiver
):
    app = make_app(WEBHOOKS_ALLOW_LOOPBACK=True)
    env = procfile.environment(
        _schema,
        redis_url,
        "http://127.0.0.1:9",
        PORT=procfile.free_port(),
        WEB_CONCURRENCY=1,
        MAIL_BACKEND="outbox",
        OUTBOX_DIR=tmp_path / "outbox",
        WEBHOOKS_ALLOW_LOOPBACK=1,
        WEBHOOK_RETRY_BASE_SECONDS=8,
    )
    with app.app_context():
        seed_demo()
        partner = make_partner("ours", campaign())
        make_user("admin@example.org", "admin")
        logs = {name: tmp_path / f"{name}.log" for name in ("web", "worker", "clock")}
        processes = [procfile.start(name, env, log) for name, log in logs.items()]
        try:
            base = f"http://127.0.0.1:{env['PORT']}"
            admin = procfile.Browser(base)
            admin.wait_until_up(processes[0], logs["web"])
            admin.login("admin@example.org", PASSWORD)
            page = f"/admin/partners/{partner.id}/api"
            shown = admin.post(
                f"{page}/endpoints",
                {"csrf_token": csrf_token(admin.get(page)), "url": receiver.url},
            )
            receiver.secret = unescape(re.search(r'id="secret"[^>]*value="([^"]+)"', shown)[1])
            made = admin.post(
                f"{page}/tokens", {"csrf_token": csrf_token(admin.get(page)), "label": "CRM"}
            )
            token = re.search(r'value="(tfr_[^"]+)"', made)[1]

            # A supporter who consented confirms: the worker sends the event, signed.
            first, _sub, consent = supporter_with_letters(campaign(), partner, name="Ala Nowak")
            first_email = first.email
            events.consents_confirmed([consent.id])
            db.session.commit()  # as the caller does
            (got,) = receiver.wait_for(1, timeout=30)
            assert got.signed and got.event["data"]["person"]["name"] == "Ala Nowak"
            listed = api_get(base, "/api/v1/campaigns/time-for-release/people", token)
            assert [p["email_addresses"][0]["address"] for p in listed["items"]] == [first_email]

            # The receiver fails; the next event's first attempt fails and its retry
            # waits in RQ's scheduler; then Redis forgets everything.
            receiver.failing = True
            _s, _sub, later = supporter_with_letters(campaign(), partner)
            events.consents_confirmed([later.id])
            db.session.commit()  # as the caller does
            wait_until(
                lambda: deliveries()[-1].attempts == 1 and deliveries()[-1].last_status == 500,
                30,
                what="the failed first attempt",
            )
            pending = deliveries()[-1]
            assert pending.state == "pending"
            assert get_queue(WEBHOOKS).scheduled_job_registry.count == 1
            Redis.from_url(redis_url).flushdb()
            assert get_queue(WEBHOOKS).scheduled_job_registry.count == 0
            receiver.failing = False

            # The clock's sweep finds it in the database once it is due.
            accepted = receiver.wait_for(2, timeout=90)
            time.sleep(3)  # nothing more arrives
            ids = [r.headers["webhook-id"] for r in receiver.accepted()]
            assert ids == [got.headers["webhook-id"], f"delivery_{pending.id}"]
            assert all(r.signed for r in accepted)
            assert [(d.state, d.attempts) for d in deliveries()] == [
                ("delivered", 1),
                ("delivered", 2),
            ]
            assert len(receiver.received) == 3  # two accepted, one refused
            staff_log = admin.get("/staff/webhooks")
            assert staff_log.count("webhook-delivered") == 2
        finally:
            procfile.stop(processes)
        output = logs["web"].read_text() + logs["worker"].read_text()
        assert "Traceback" not in output, output
        assert "webhook delivery 2 (endpoint 1, consent.confirmed) attempt 2: 200" in output
        assert first_email not in output and "Ala Nowak" not in output and token not in output
