"""Campaigns: create and edit; throttle, window, dates and figures validated; pause,
resume and cancel the sending."""

from __future__ import annotations

from datetime import date, time

from flask import g

from campaign.core.extensions import db
from campaign.devtools.backlog import make_backlog
from campaign.models import AuditEntry, Campaign

from .conftest import csrf_token
from .delivery_support import dispatch_all, states
from .organisers_support import field_error, log_in_as

VALID = {
    "title": "Second appeal",
    "slug": "second-appeal",
    "default_language": "lt",
    "opens_at": "2026-01-01",
    "closes_at": "2026-12-31",
    "imprisoned": "1150",
    "released_after_sentence": "2700",
    "freed_early": "310",
    "died_in_custody": "8",
    "vulnerable": "190",
    "figures_as_of": "2026-02-01",
    "target_countries": "lt, Poland, DEU",
    "target_body_kinds": ["parliament", "european_parliament"],
    "throttle_per_second": "2.5",
    "throttle_rep_per_hour": "20",
    "throttle_rep_per_day": "100",
    "throttle_domain_per_minute": "30",
    "send_window_start": "09:00",
    "send_window_end": "17:30",
    "send_window_weekdays_only": "y",
}


def post_form(client, url: str, **changes):
    page = client.get(url).get_data(as_text=True)
    data = {**VALID, **changes, "csrf_token": csrf_token(page)}
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def test_create_a_campaign_with_the_default_letters(app, client):
    log_in_as(client)
    response = post_form(client, "/organise/campaigns/new", default_letters="y")
    assert response.status_code == 302
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    assert campaign.target_countries == ["DE", "LT", "PL"]
    assert campaign.target_body_kinds == ["parliament", "european_parliament"]
    assert (campaign.send_window_start, campaign.send_window_end) == (time(9), time(17, 30))
    assert campaign.throttle_per_second == 2.5 and campaign.send_window_weekdays_only
    assert campaign.figures_as_of == date(2026, 2, 1) and campaign.imprisoned == 1150
    assert len(campaign.templates) == 45 and all(t.published_version for t in campaign.templates)
    entry = db.session.execute(
        db.select(AuditEntry).filter_by(action="create", object_type="campaign").limit(1)
    ).scalar()
    assert entry.actor == "organiser@example.org" and entry.changes["slug"] == [
        None,
        "second-appeal",
    ]


MISTAKES = {
    "throttle_per_second": ("0", "Number must be between 0.001 and 1000"),
    "throttle_rep_per_hour": ("-3", "Number must be at least 1"),
    "throttle_domain_per_minute": ("abc", "Not a valid integer value"),
    "send_window_end": ("", "Give both the start and the end of the sending window, or neither"),
    "closes_at": ("2025-12-01", "The campaign cannot close before it opens"),
    "imprisoned": ("-1", "Number must be at least 0"),
    "target_countries": ("LT, Narnia", "Not country codes: Narnia"),
    "default_language": ("zz", "two-letter language code"),
    "slug": ("Bad Slug!", "Use lower-case letters"),
}


def assert_unchanged(before) -> None:
    db.session.expire_all()
    campaign = db.session.execute(
        db.select(Campaign).filter_by(slug="time-for-release")
    ).scalar_one()
    assert (campaign.throttle_per_second, campaign.imprisoned, campaign.updated_at) == before
    assert db.session.execute(db.select(db.func.count(AuditEntry.id))).scalar() == 0


def test_every_mistake_is_shown_at_its_field_at_once_and_nothing_is_saved(seeded, client):
    log_in_as(client)
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    before = (campaign.throttle_per_second, campaign.imprisoned, campaign.updated_at)
    url = f"/organise/campaigns/{campaign.id}"

    response = post_form(client, url, **{field: value for field, (value, _) in MISTAKES.items()})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Nothing was saved" in html
    for field, (_, message) in MISTAKES.items():
        assert message in field_error(html.replace("&#39;", "'"), field), field
    assert_unchanged(before)

    # Rules between fields, once each field is right on its own.
    response = post_form(client, url, slug="time-for-release", throttle_rep_per_day="10")
    html = response.get_data(as_text=True)
    assert "cannot be below the hour" in field_error(html, "throttle_rep_per_day")
    response = post_form(client, url, slug="time-for-release", send_window_start="18:00")
    assert "must end after it starts" in field_error(
        response.get_data(as_text=True), "send_window_end"
    )
    assert_unchanged(before)

    db.session.add(Campaign(slug="other", title="Other"))
    db.session.commit()
    other = db.session.execute(db.select(Campaign.id).filter_by(slug="other")).scalar()
    taken = post_form(client, f"/organise/campaigns/{other}", slug="time-for-release")
    assert "Another campaign has this short name" in field_error(
        taken.get_data(as_text=True), "slug"
    )
    assert_unchanged(before)


def test_a_number_too_large_for_the_database_is_refused_at_its_field(seeded, client):
    log_in_as(client)
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    before = (campaign.throttle_per_second, campaign.imprisoned, campaign.updated_at)
    huge = "1" + "0" * 30
    response = post_form(
        client, f"/organise/campaigns/{campaign.id}", imprisoned=huge, throttle_rep_per_day=huge
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Nothing was saved" in html
    for field in ("imprisoned", "throttle_rep_per_day"):
        assert "too large: at most 2,147,483,647" in field_error(html, field), field
    assert_unchanged(before)


def test_a_nul_character_in_any_field_is_refused_at_the_field(seeded, client):
    """PostgreSQL cannot store U+0000 in text: refused at its field, nothing written."""
    log_in_as(client)
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    before = (campaign.throttle_per_second, campaign.imprisoned, campaign.updated_at)
    for field in ("title", "organiser_name", "organiser_address", "target_countries"):
        response = post_form(client, f"/organise/campaigns/{campaign.id}", **{field: "Ab\x00c"})
        assert response.status_code == 422, field
        html = response.get_data(as_text=True)
        assert "invisible control character (U+0000)" in field_error(html, field), field
    assert_unchanged(before)


def test_edited_figures_show_on_the_first_page(seeded, client):
    log_in_as(client)
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    url = f"/organise/campaigns/{campaign.id}"
    response = post_form(
        client,
        url,
        slug="time-for-release",
        imprisoned="1234",
        figures_as_of="2026-02-01",
        send_window_start="",
        send_window_end="",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert campaign.send_window_start is None and campaign.imprisoned == 1234
    landing = client.get("/").get_data(as_text=True)
    assert "1,234" in landing and "February 2026" in landing
    entry = db.session.execute(db.select(AuditEntry).filter_by(object_type="campaign")).scalar_one()
    assert entry.changes["imprisoned"] == [1200, 1234]
    again = post_form(
        client,
        url,
        slug="time-for-release",
        imprisoned="1234",
        figures_as_of="2026-02-01",
        send_window_start="",
        send_window_end="",
    )
    assert "Nothing was changed." in client.get(again.headers["Location"]).get_data(as_text=True)


# -- sending: pause, resume, cancel from the campaign's page --------------------------


def sending_url(campaign_id: int, action: str) -> str:
    return f"/organise/campaigns/{campaign_id}/sending/{action}"


def sending_status() -> str:
    db.session.expire_all()
    return db.session.execute(db.select(Campaign.sending_status)).scalar_one()


def test_organisers_pause_resume_and_cancel_sending_from_the_campaign_page(app, client):
    backlog = make_backlog(3, 3, campaign_slug="spring")
    organiser = log_in_as(client)
    page_url = f"/organise/campaigns/{backlog.campaign_id}"
    page = client.get(page_url).get_data(as_text=True)
    assert "Pause sending" in page and "3 letters queued." in page
    token = csrf_token(page)

    response = client.post(sending_url(backlog.campaign_id, "pause"), data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == page_url
    page = client.get(page_url).get_data(as_text=True)
    assert "Sending paused: 3 queued letters wait." in page and "Resume sending" in page
    assert sending_status() == "paused"
    assert dispatch_all()["taken"] == 0 and states() == {"queued": 3}

    response = client.post(sending_url(backlog.campaign_id, "resume"), data={"csrf_token": token})
    assert response.status_code == 302
    assert "Sending resumed: 3 letters queued." in client.get(page_url).get_data(as_text=True)
    assert sending_status() == "active" and states() == {"queued": 3}

    response = client.post(
        sending_url(backlog.campaign_id, "cancel"),
        data={"csrf_token": token, "confirm_cancel": "y"},
    )
    assert response.status_code == 302
    page = client.get(page_url).get_data(as_text=True)
    assert "Sending cancelled: 3 queued letters cancelled." in page
    assert sending_status() == "cancelled" and states() == {"cancelled": 3}
    assert "Cancel sending" not in page and "Resume sending" in page

    entries = db.session.execute(
        db.select(AuditEntry).filter_by(object_type="campaign").order_by(AuditEntry.id)
    ).scalars()
    assert [(e.action, e.object_id, e.user_id, e.changes["queued_letters"]) for e in entries] == [
        ("pause", backlog.campaign_id, organiser.id, [3, 3]),
        ("resume", backlog.campaign_id, organiser.id, [3, 3]),
        ("cancel", backlog.campaign_id, organiser.id, [3, 0]),
    ]
    assert (
        client.post(
            sending_url(backlog.campaign_id, "explode"), data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert client.post(sending_url(999, "pause"), data={"csrf_token": token}).status_code == 404


def test_a_cancel_without_the_confirmation_changes_nothing(app, client):
    backlog = make_backlog(2, 2, campaign_slug="spring")
    log_in_as(client)
    page_url = f"/organise/campaigns/{backlog.campaign_id}"
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    response = client.post(sending_url(backlog.campaign_id, "cancel"), data={"csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tick this box to cancel the sending." in field_error(html, "confirm_cancel")
    assert 'value="spring"' in html  # the rest of the page shows the campaign as saved
    assert sending_status() == "active" and states() == {"queued": 2}
    assert db.session.execute(db.select(db.func.count(AuditEntry.id))).scalar() == 0


def test_only_organisers_control_the_sending(app):
    backlog = make_backlog(2, 2, campaign_slug="spring")
    anonymous = app.test_client()
    token = csrf_token(anonymous.get("/login").get_data(as_text=True))
    response = anonymous.post(sending_url(backlog.campaign_id, "pause"), data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # The test's app context outlives requests: forget the anonymous client's token.
    g.pop("csrf_token", None)
    staff = app.test_client()
    log_in_as(staff, "staff")
    token = csrf_token(staff.get("/manage").get_data(as_text=True))
    assert staff.get(f"/organise/campaigns/{backlog.campaign_id}").status_code == 403
    for action, data in (("pause", {}), ("cancel", {"confirm_cancel": "y"})):
        response = staff.post(
            sending_url(backlog.campaign_id, action), data={"csrf_token": token, **data}
        )
        assert response.status_code == 403, action
    assert sending_status() == "active" and states() == {"queued": 2}
    assert db.session.execute(db.select(db.func.count(AuditEntry.id))).scalar() == 0
