"""The staff queue pages, the organisers' pause/resume/cancel buttons, and RQ's
dashboard mounted at /staff/rq behind the staff login."""

from __future__ import annotations

import re

from flask import g

from campaign.core.extensions import db
from campaign.devtools.backlog import make_backlog
from campaign.models import AuditEntry, Campaign, Letter
from campaign.models.base import utcnow

from .conftest import csrf_token
from .delivery_support import states
from .organisers_support import field_error
from .test_auth import login, make_user


def logged_in(app, role: str):
    # The test's app context outlives requests: forget the previous client's token.
    g.pop("csrf_token", None)
    client = app.test_client()
    make_user(f"{role}@example.org", role)
    assert login(client, f"{role}@example.org").status_code == 302
    return client


def test_the_queue_page_shows_waiting_scheduled_and_failed_per_representative(app):
    backlog = make_backlog(6, 3, campaign_slug="spring")
    first, second = backlog.letter_ids[:2]
    db.session.execute(
        db.update(Letter)
        .where(Letter.id == first)
        .values(state="failed", last_error="SendGrid 400: refused")
    )
    db.session.execute(
        db.update(Letter)
        .where(Letter.id == second)
        .values(next_attempt_at=utcnow().replace(year=2100))
    )
    db.session.commit()
    client = logged_in(app, "staff")
    overview = client.get("/staff/queues").get_data(as_text=True)
    assert "Backlog spring" in overview and "/staff/queues/spring" in overview
    assert "letters" in overview and "notifications" in overview  # the RQ queues
    page = client.get("/staff/queues/spring")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="count-waiting">4<' in html
    assert 'id="count-scheduled">1<' in html
    assert 'id="count-failed">1<' in html
    assert "Representative 0" in html and "rep0@office0.example.org" in html
    assert "2100-" in html  # when the scheduled letter is next tried
    assert "SendGrid 400: refused" in html
    assert "Pause sending" not in html  # staff see, organisers act
    assert client.get("/staff/queues/nope").status_code == 404


def test_organisers_pause_resume_and_cancel_from_the_page(app):
    make_backlog(2, 2, campaign_slug="spring")
    staff = logged_in(app, "staff")
    assert staff.post("/staff/queues/spring/pause", data={"csrf_token": "x"}).status_code in (
        400,
        403,
    )
    admin = logged_in(app, "admin")
    page = admin.get("/staff/queues/spring").get_data(as_text=True)
    assert "Pause sending" in page
    token = csrf_token(page)
    response = admin.post("/staff/queues/spring/pause", data={"csrf_token": token})
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sending paused: 2 queued letters wait." in page and "Resume sending" in page
    admin.post("/staff/queues/spring/resume", data={"csrf_token": token})
    assert db.session.execute(db.select(Campaign.sending_status)).scalar_one() == "active"
    admin.post("/staff/queues/spring/cancel", data={"csrf_token": token, "confirm_cancel": "y"})
    assert states() == {"cancelled": 2}
    audited = db.session.execute(
        db.select(AuditEntry.action, AuditEntry.actor).order_by(AuditEntry.id)
    ).all()
    assert audited == [(a, "admin@example.org") for a in ("pause", "resume", "cancel")]
    assert admin.post("/staff/queues/spring/explode", data={"csrf_token": token}).status_code == 404


def test_a_cancel_from_the_queue_page_without_the_confirmation_changes_nothing(app):
    """The same box to tick as on the organisers' page: cancelling cannot be undone."""
    make_backlog(2, 2, campaign_slug="spring")
    admin = logged_in(app, "admin")
    page = admin.get("/staff/queues/spring").get_data(as_text=True)
    assert 'name="confirm_cancel"' in page
    response = admin.post("/staff/queues/spring/cancel", data={"csrf_token": csrf_token(page)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tick this box to cancel the sending." in field_error(html, "confirm_cancel")
    assert 'id="count-waiting">2<' in html  # the rest of the page is there
    db.session.expire_all()
    assert db.session.execute(db.select(Campaign.sending_status)).scalar_one() == "active"
    assert states() == {"queued": 2}
    assert db.session.execute(db.select(db.func.count(AuditEntry.id))).scalar() == 0


def test_every_page_offering_cancel_asks_the_same_confirmation(app):
    """The organisers' campaign page and the staff queue page: one form, one box, one
    button (the shared macro), refused alike without the box."""
    make_backlog(1, 1, campaign_slug="spring")
    campaign_id = db.session.execute(db.select(Campaign.id)).scalar_one()
    admin = logged_in(app, "admin")

    def cancel_form(url: str) -> str:
        html = admin.get(url).get_data(as_text=True)
        found = re.search(
            r'<form method="post" action="[^"]*/cancel" novalidate>(.*?)</form>', html, re.S
        )
        assert found, url
        return re.sub(r'value="[^"]*"', "", found.group(1))  # without the CSRF token

    organisers = cancel_form(f"/organise/campaigns/{campaign_id}")
    staff = cancel_form("/staff/queues/spring")
    assert organisers == staff
    assert 'name="confirm_cancel"' in staff and "Cancel sending" in staff


def test_the_rq_dashboard_is_for_staff_only(app):
    anonymous = app.test_client()
    response = anonymous.get("/staff/rq/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert anonymous.get("/staff/rq/0/data/queues.json").status_code == 302
    organiser = logged_in(app, "organiser")
    assert organiser.get("/staff/rq/").status_code == 403
    assert organiser.post("/staff/rq/requeue/letters").status_code == 403
    staff = logged_in(app, "staff")
    page = staff.get("/staff/rq/")
    assert page.status_code == 200 and "RQ" in page.get_data(as_text=True)
    make_backlog(1, 1)
    from campaign.delivery import dispatch

    dispatch.kick()  # a dispatch job on the letters queue
    queues = staff.get("/staff/rq/0/data/queues.json").get_json()
    assert {q["name"]: q["count"] for q in queues["queues"]}["letters"] == 1
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    # Requeueing every failed job changes things: never from a plain link, and
    # never from the dashboard (admins act on /staff/jobs).
    assert staff.get("/staff/rq/requeue/letters").status_code == 405
    assert staff.post("/staff/rq/requeue/letters").status_code == 403


def test_the_menu_links_to_the_queues(app):
    client = logged_in(app, "staff")
    html = client.get("/staff/").get_data(as_text=True)
    assert "/staff/queues" in html and "/staff/rq/" in html
