"""Campaigns: create and edit; throttle, window, dates and figures validated."""

from __future__ import annotations

import re
from datetime import date, time

from campaign.extensions import db
from campaign.models import AuditEntry, Campaign

from .conftest import csrf_token
from .organisers_support import log_in_as

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


def field_error(html: str, field: str) -> str:
    """The error shown under one field."""
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return match.group(1) if match else ""


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
